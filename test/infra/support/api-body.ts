// The REST API's operations as the synthesized template declares them: the one RestApi's OpenAPI
// Body (lib/platform/api-body.ts), read per path and method, with the function each integration
// invokes (the Fn::GetAtt in its uri) and the security scheme it requires (none for []).
import type { Template } from 'aws-cdk-lib/assertions';

export type Json = Record<string, any>;

export interface Operation {
  /** Upper case, as route specs write it. */
  method: string;
  path: string;
  operationId?: string;
  /** aws_proxy or mock. */
  integration: string;
  /** The logical id of the Lambda function the integration invokes. */
  functionId?: string;
  /** The security scheme the operation requires; undefined when it requires none. */
  authorizer?: string;
  /** The path parameters declared required. */
  requiredPathParams: string[];
  raw: Json;
}

/** The Body of the stack's one REST API. */
export function apiBodyOf(template: Template): Json {
  const apis = Object.values(template.findResources('AWS::ApiGateway::RestApi')) as Json[];
  if (apis.length !== 1) throw new Error(`expected one RestApi, found ${apis.length}`);
  const body = apis[0].Properties.Body;
  if (!body || typeof body !== 'object') throw new Error('the RestApi has no inline Body');
  return body;
}

/** The logical id in the first Fn::GetAtt [id, 'Arn'] of an intrinsic expression. */
export function functionIdIn(expr: unknown): string | undefined {
  return /"Fn::GetAtt":\["([A-Za-z0-9]+)","Arn"\]/.exec(JSON.stringify(expr))?.[1];
}

export function operationsOf(template: Template): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(apiBodyOf(template).paths as Json)) {
    for (const [method, op] of Object.entries(item as Json)) {
      const integration: Json = op['x-amazon-apigateway-integration'] ?? {};
      const security: Json[] = op.security ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        integration: integration.type,
        functionId: integration.type === 'aws_proxy' ? functionIdIn(integration.uri) : undefined,
        authorizer: security.length ? Object.keys(security[0])[0] : undefined,
        requiredPathParams: ((op.parameters ?? []) as Json[]).filter((p) => p.in === 'path' && p.required).map((p) => p.name),
        raw: op,
      });
    }
  }
  return out;
}

/** The routes' operations (the CORS preflights left out). */
export const routeOperationsOf = (template: Template): Operation[] => operationsOf(template).filter((o) => o.method !== 'OPTIONS');
