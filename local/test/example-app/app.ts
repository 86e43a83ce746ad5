// A small CDK app that is not KAIRR, to show that @kairr/cdk-local runs any CDK app: a REST API
// whose routes go through a TOKEN authorizer (verifying JWTs from an OIDC issuer with
// aws-jwt-verify), a function that reads a DynamoDB table and a Secrets Manager secret, and a
// public health route. Synthesized in process, bundles included, as `cdk synth` would. The API comes
// in the two forms CloudFormation has, the same routes in each: Resource and Method resources
// (CDK's RestApi) or one RestApi whose OpenAPI Body holds them (CDK's SpecRestApi, SAM).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { App, Aws, Duration, Stack, type CfnElement } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

export const ISSUER = 'https://login.notes.example';
export const AUDIENCE = 'notes-api';
export const SECRET_NAME = 'notes/greeting';

export interface ExampleIds {
  table: string;
  authorizerFn: string;
  notesFn: string;
}

/** Where the lock file (and node_modules) of the workspace holding this app is. */
function projectRootOf(dir: string): string {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'package-lock.json'))) return d;
    if (dirname(d) === d) throw new Error(`no package-lock.json above ${dir}`);
  }
}

function fn(scope: Construct, id: string, entry: string, environment: Record<string, string>): NodejsFunction {
  const root = projectRootOf(__dirname);
  return new NodejsFunction(scope, id, {
    entry: join(__dirname, 'handlers', entry),
    handler: 'handler',
    runtime: lambda.Runtime.NODEJS_22_X,
    timeout: Duration.seconds(10),
    projectRoot: root,
    depsLockFilePath: join(root, 'package-lock.json'),
    environment,
    bundling: { format: OutputFormat.CJS, target: 'node20', externalModules: [], forceDockerBundling: false, logLevel: LogLevel.ERROR },
  });
}

export type ApiForm = 'methods' | 'openapi';

export function synthExampleApp(outdir: string, form: ApiForm = 'methods'): ExampleIds {
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'NotesExample');
  const idOf = (c: Construct) => stack.getLogicalId(c.node.defaultChild as CfnElement);

  const table = new dynamodb.TableV2(stack, 'Notes', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
  const secret = new secretsmanager.Secret(stack, 'Greeting', { secretName: SECRET_NAME });
  // The issuer's address is the real one; only where the keys are fetched from changes locally.
  const authorizerFn = fn(stack, 'Authorize', 'authorize.ts', { ISSUER, AUDIENCE, JWKS_URI: `${ISSUER}/.well-known/jwks.json` });
  const notesFn = fn(stack, 'NotesFn', 'notes.ts', { TABLE_NAME: table.tableName, SECRET_ID: secret.secretName });
  table.grantReadData(notesFn);
  secret.grantRead(notesFn);

  if (form === 'methods') {
    const api = new apigateway.RestApi(stack, 'Api', { cloudWatchRole: false, deployOptions: { stageName: 'v1' } });
    const authorizer = new apigateway.TokenAuthorizer(stack, 'Tokens', { handler: authorizerFn, resultsCacheTtl: Duration.seconds(0) });
    api.root.addResource('health').addMethod('GET', new apigateway.MockIntegration({ requestTemplates: { 'application/json': '{"statusCode": 200}' }, integrationResponses: [{ statusCode: '200' }] }), {
      methodResponses: [{ statusCode: '200' }],
    });
    api.root.addResource('notes').addResource('{id}').addMethod('GET', new apigateway.LambdaIntegration(notesFn), { authorizer });
  } else {
    const uri = (f: lambda.IFunction) => `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}:lambda:path/2015-03-31/functions/${f.functionArn}/invocations`;
    const body = {
      openapi: '3.0.1',
      info: { title: 'notes', version: '1' },
      paths: {
        '/health': {
          get: { responses: { '200': { description: 'up' } }, 'x-amazon-apigateway-integration': { type: 'mock', requestTemplates: { 'application/json': '{"statusCode": 200}' }, responses: { default: { statusCode: '200' } } } },
        },
        '/notes/{id}': {
          get: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            security: [{ tokens: [] }],
            responses: { '200': { description: 'a note' } },
            'x-amazon-apigateway-integration': { type: 'aws_proxy', httpMethod: 'POST', uri: uri(notesFn) },
          },
        },
      },
      components: {
        securitySchemes: {
          tokens: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'custom', 'x-amazon-apigateway-authorizer': { type: 'token', authorizerUri: uri(authorizerFn), authorizerResultTtlInSeconds: 0 } },
        },
      },
      'x-amazon-apigateway-request-validators': { params: { validateRequestBody: false, validateRequestParameters: true } },
      'x-amazon-apigateway-request-validator': 'params',
    };
    const api = new apigateway.SpecRestApi(stack, 'Api', { apiDefinition: apigateway.ApiDefinition.fromInline(body), cloudWatchRole: false, deployOptions: { stageName: 'v1' } });
    const principal = new iam.ServicePrincipal('apigateway.amazonaws.com');
    notesFn.addPermission('ByApi', { principal, sourceArn: api.arnForExecuteApi('GET', '/notes/*', '*') });
    authorizerFn.addPermission('ByApi', { principal, sourceArn: Stack.of(api).formatArn({ service: 'execute-api', resource: api.restApiId, resourceName: 'authorizers/*' }) });
  }

  app.synth();
  return { table: idOf(table), authorizerFn: idOf(authorizerFn), notesFn: idOf(notesFn) };
}
