// @kairr/cdk-local runs a CDK app it knows nothing about: the example app (app.ts) is synthesized
// for real, bundles included, and started through the package's public API alone. Its
// authorizer verifies tokens of the dev OIDC issuer (only its JWKS address is pointed there),
// its function reads DynamoDB Local and the Secrets Manager fake, through the unchanged SDK.
// The same behaviour is asserted of both forms of its API: Method resources and an OpenAPI body.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startCdkLocal, Template, type CdkLocal } from '@kairr/cdk-local';
import { AUDIENCE, ISSUER, SECRET_NAME, synthExampleApp, type ApiForm, type ExampleIds } from './app';

describe.each<ApiForm>(['methods', 'openapi'])('the example app with its API as %s', (form) => {
  let dir: string;
  let ids: ExampleIds;
  let local: CdkLocal;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `cdk-local-example-${form}-`));
    ids = synthExampleApp(join(dir, 'cdk.out'), form);
    local = await startCdkLocal({
      outDir: join(dir, 'cdk.out'),
      stateDir: join(dir, 'state'),
      secrets: () => ({ [SECRET_NAME]: 'hello from the fake' }),
      oidc: { issuer: ISSUER, audience: AUDIENCE, identities: { writer: { sub: 'writer-1', groups: ['writers'] } } },
      functionEnv: (fn, ctx) => (ctx.authorizerFunctionIds.has(fn.logicalId) ? { JWKS_URI: ctx.jwksUri! } : undefined),
    });
    const ddb = new DynamoDBClient({ endpoint: local.info.dynamodbEndpoint, region: local.info.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await ddb.send(new PutItemCommand({ TableName: local.info.tables[ids.table], Item: { id: { S: 'n1' }, text: { S: 'first note' } } }));
    ddb.destroy();
  }, 240_000);

  afterAll(async () => {
    await local?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = (path: string, token?: string) => fetch(`${local.info.apiUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  test('the template has the form under test', () => {
    const t = Template.load(join(dir, 'cdk.out'));
    const methods = t.ofType('AWS::ApiGateway::Method').length;
    const body = t.ofType('AWS::ApiGateway::RestApi')[0][1].Properties?.Body;

    expect({ methods: methods > 0, body: body !== undefined }).toEqual(form === 'methods' ? { methods: true, body: false } : { methods: false, body: true });
  });

  test('the authorizer function is the one functionEnv pointed at the dev issuer', () => {
    expect(local.lambdas.def(ids.authorizerFn)).toBeDefined();
    expect(local.info.issuer).toBe(ISSUER);
    expect(Object.keys(local.info.tokens)).toEqual(['writer']);
  });

  test('a route behind the authorizer answers with the table item, the secret, the caller and the path template', async () => {
    const res = await get('/notes/n1', local.info.tokens.writer);

    expect({ status: res.status, body: await res.json() }).toEqual({
      status: 200,
      body: { id: 'n1', text: 'first note', greeting: 'hello from the fake', caller: 'writer-1', resource: '/notes/{id}' },
    });
  });

  test('a token the issuer minted later, for another identity, is accepted too', async () => {
    const token = local.oidc!.mint({ sub: 'reader-7', groups: [] });

    const res = await get('/notes/n1', token);

    expect(res.status).toBe(200);
    expect(((await res.json()) as { caller: string }).caller).toBe('reader-7');
  });

  test('without a token, or with one of another issuer, the gateway answers 401', async () => {
    const none = await get('/notes/n1');
    const forged = local.oidc!.mint({ sub: 'x', groups: [], iss: 'https://elsewhere.example' });
    const wrongIssuer = await get('/notes/n1', forged);

    expect(none.status).toBe(401);
    expect(wrongIssuer.status).toBe(401);
  });

  test('the function answers 404 for a note the table does not hold', async () => {
    const res = await get('/notes/missing', local.info.tokens.writer);

    expect(res.status).toBe(404);
  });

  test('the public mock route answers without a token', async () => {
    expect((await get('/health')).status).toBe(200);
  });

  test('a path no route has is the gateway answer, not a function call', async () => {
    expect((await get('/notes')).status).toBe(403);
  });
});
