// The template's REST APIs (API Gateway v1): routes with their Lambda proxy integrations and
// required parameters, MOCK integrations (CORS preflights), TOKEN authorizers and gateway responses.
// An API is read in either of the two forms CloudFormation has: an OpenAPI Body on the RestApi
// (rest-api-body.ts; CDK's SpecRestApi, SAM), or Resource and Method resources (CDK's RestApi).
// GatewayResponse resources apply to both.
import type { Template } from './template';
import { bodyApiOf, functionIdIn } from './rest-api-body';
import type { AuthorizerDef, GatewayResponseDef, MockRouteDef, RouteDef } from './rest-api-types';

export type { AuthorizerDef, GatewayResponseDef, MockRouteDef, RouteDef };

export interface ApiDef {
  logicalId: string;
  stageName: string;
  routes: RouteDef[];
  mocks: MockRouteDef[];
  authorizers: Record<string, AuthorizerDef>;
  gatewayResponses: Record<string, GatewayResponseDef>;
}

export function apisOf(t: Template): ApiDef[] {
  return t.ofType('AWS::ApiGateway::RestApi').map(([apiId, api]) => {
    if (api.Properties?.BodyS3Location) throw new Error(`RestApi ${apiId}: a BodyS3Location is not read locally; use an inline Body`);
    const fromBody = api.Properties?.Body !== undefined ? bodyApiOf(t, apiId, api.Properties.Body) : undefined;
    const resources = new Map<string, { parent: unknown; part: string }>();
    for (const [id, r] of t.ofType('AWS::ApiGateway::Resource')) {
      if (r.Properties?.RestApiId?.Ref !== apiId) continue;
      resources.set(id, { parent: r.Properties.ParentId, part: r.Properties.PathPart });
    }
    const pathOf = (resId: unknown): string => {
      if (resId && typeof resId === 'object' && 'Fn::GetAtt' in (resId as object)) return '';
      const id = (resId as { Ref?: string })?.Ref;
      const r = id ? resources.get(id) : undefined;
      if (!r) return '';
      return `${pathOf(r.parent)}/${r.part}`;
    };
    const authorizers: Record<string, AuthorizerDef> = { ...fromBody?.authorizers };
    for (const [id, r] of t.ofType('AWS::ApiGateway::Authorizer')) {
      if (r.Properties?.RestApiId?.Ref !== apiId) continue;
      const fnId = functionIdIn(t, r.Properties.AuthorizerUri);
      if (!fnId) throw new Error(`Authorizer ${id} has no Lambda function`);
      authorizers[id] = {
        logicalId: id,
        type: r.Properties.Type,
        functionLogicalId: fnId,
        identityHeader: String(r.Properties.IdentitySource ?? 'method.request.header.Authorization').replace('method.request.header.', ''),
        validationRegex: r.Properties.IdentityValidationExpression,
        ttlSeconds: Number(r.Properties.AuthorizerResultTtlInSeconds ?? 300),
      };
    }
    const routes: RouteDef[] = [...(fromBody?.routes ?? [])];
    const mocks: MockRouteDef[] = [...(fromBody?.mocks ?? [])];
    for (const [, r] of t.ofType('AWS::ApiGateway::Method')) {
      const p = r.Properties ?? {};
      if (p.RestApiId?.Ref !== apiId) continue;
      const path = pathOf(p.ResourceId) || '/';
      if (p.Integration?.Type === 'MOCK') {
        const ir = p.Integration.IntegrationResponses?.[0] ?? {};
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries((ir.ResponseParameters ?? {}) as Record<string, string>)) headers[k.replace('method.response.header.', '')] = String(v).replace(/^'|'$/g, '');
        const body = ir.ResponseTemplates?.['application/json'];
        mocks.push({ method: p.HttpMethod, path, statusCode: Number(ir.StatusCode ?? 200), headers, ...(typeof body === 'string' ? { body } : {}) });
        continue;
      }
      const fnId = functionIdIn(t, p.Integration?.Uri);
      if (!fnId || p.Integration?.Type !== 'AWS_PROXY') continue;
      routes.push({
        method: p.HttpMethod,
        path,
        functionLogicalId: fnId,
        authorizerLogicalId: p.AuthorizationType === 'CUSTOM' ? p.AuthorizerId?.Ref : undefined,
        requiredParams: Object.entries((p.RequestParameters ?? {}) as Record<string, boolean>)
          .filter(([, req]) => req)
          .map(([k]) => k),
        operationName: p.OperationName,
      });
    }
    const gatewayResponses: Record<string, GatewayResponseDef> = { ...fromBody?.gatewayResponses };
    for (const [, r] of t.ofType('AWS::ApiGateway::GatewayResponse')) {
      const p = r.Properties ?? {};
      if (p.RestApiId?.Ref !== apiId) continue;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries((p.ResponseParameters ?? {}) as Record<string, string>)) headers[k.replace('gatewayresponse.header.', '')] = String(v).replace(/^'|'$/g, '');
      gatewayResponses[p.ResponseType] = { type: p.ResponseType, statusCode: p.StatusCode ? Number(p.StatusCode) : undefined, template: p.ResponseTemplates?.['application/json'], headers };
    }
    const stage = t.ofType('AWS::ApiGateway::Stage').find(([, r]) => r.Properties?.RestApiId?.Ref === apiId);
    return { logicalId: apiId, stageName: stage?.[1].Properties?.StageName ?? 'prod', routes, mocks, authorizers, gatewayResponses };
  });
}
