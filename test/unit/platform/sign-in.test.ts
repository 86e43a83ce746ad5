// GET /v1/auth/config: how a client signs in to the stage, without a token. What the platform
// function is given at synth (SIGN_IN: each trusted issuer, its discovery document, its public client
// ids; the Cognito pool's portal client) and answers: never an audience, a key address, a claim
// mapping or anything else of the authorizer's, and never a secret (public clients have none).
// The local runtime's rewrite of each discovery address to its dev issuer is here too.
import { Stack } from 'aws-cdk-lib';
import { inProcessApi } from '../../support/api';
import { useStageConfig } from '../../support/config';
import { platformApi } from '../../../lambdas/platform/api';
import { issuersOf, publicClientsOf, signInOf } from '../../../lib/config/identity';
import { loadStageConfig, parseStageConfig } from '../../../lib/config/load';
import { Identity } from '../../../lib/platform/identity';
import { withLocalDiscovery } from '../../../local/runtime';

const api = inProcessApi(platformApi, () => require('../../../lambdas/platform/handler').handler);
const signInOfStage = (stage: string) => {
  const identity = loadStageConfig(stage).identity;
  return signInOf(issuersOf(identity), publicClientsOf(identity));
};
const responseSchema = platformApi.signIn.responses[200].schema;

beforeAll(() => {
  useStageConfig('local');
  process.env.LOG_LEVEL = 'error';
  process.env.SIGN_IN = JSON.stringify(signInOfStage('local'));
});

it('answers without a token: each issuer, its discovery document and public clients, and which is the default', async () => {
  const r = await api.as(undefined).get('/v1/auth/config');
  expect(r.status).toBe(200);
  expect(responseSchema.safeParse(r.body).success).toBe(true);
  expect(r.body).toEqual({
    stage: 'local',
    defaultIssuer: 'local',
    issuers: [
      { id: 'local', issuer: 'https://oidc.kairr.local', discoveryUrl: 'https://oidc.kairr.local/.well-known/openid-configuration', clients: { cli: 'kairr-cli' } },
      { id: 'federation', issuer: 'https://federation.kairr.local', discoveryUrl: 'https://federation.kairr.local/.well-known/openid-configuration', clients: { cli: 'kairr-cli' } },
    ],
  });
  // public, and the same for everyone: a cache may keep it a while
  expect(r.headers['cache-control']).toBe('public, max-age=300');
});

it("the example stage: its own realm is the default, each realm's CLI and portal clients", () => {
  expect(signInOfStage('example')).toEqual({
    defaultIssuer: 'accounts',
    issuers: [
      { id: 'kafe', issuer: 'https://login.kairr.example.kr/realms/kafe', discoveryUrl: 'https://login.kairr.example.kr/realms/kafe/.well-known/openid-configuration', clients: { cli: 'kairr-cli', portal: 'kairr-portal' } },
      { id: 'accounts', issuer: 'https://login.kairr.example.kr/realms/kairr', discoveryUrl: 'https://login.kairr.example.kr/realms/kairr/.well-known/openid-configuration', clients: { cli: 'kairr-cli', portal: 'kairr-portal' } },
    ],
  });
});

it('the single-issuer form names its clients beside its issuer; with issuers[] they go on each issuer', () => {
  const single = loadStageConfig('localstack');
  const cfg = parseStageConfig({ ...structuredClone(single), identity: { issuerUrl: 'https://login.example/', audience: 'kairr-api', clients: { cli: 'kairr-cli' } } });
  expect(signInOf(issuersOf(cfg.identity), publicClientsOf(cfg.identity))).toEqual({
    defaultIssuer: 'default',
    issuers: [{ id: 'default', issuer: 'https://login.example/', discoveryUrl: 'https://login.example/.well-known/openid-configuration', clients: { cli: 'kairr-cli' } }],
  });
  const local = loadStageConfig('local');
  expect(() => parseStageConfig({ ...structuredClone(local), identity: { ...structuredClone(local.identity), clients: { cli: 'x' } } })).toThrow(/identity\.clients: cannot be combined with identity\.issuers/);
  expect(() => parseStageConfig({ ...structuredClone(single), identity: { ...single.identity, clients: { cli: 'x', secret: 'no' } } })).toThrow(/identity\.clients/);
});

it("adds the Cognito pool, when the stage has one, with its app client as the portal's (resolved at deploy)", () => {
  const stack = new Stack(undefined, 'T', { env: { region: 'ap-northeast-2' } });
  const cfg = loadStageConfig('local');
  const identity = new Identity(stack, 'Identity', { config: { ...cfg.identity, cognitoUserPool: { enabled: true } }, stage: 'local' });
  const resolved = stack.resolve(identity.signIn) as { issuers: { id: string; clients: unknown; discoveryUrl: unknown }[] };
  expect(resolved.issuers.map((i) => i.id)).toEqual(['local', 'federation', 'cognito']);
  const cognito = resolved.issuers[2];
  expect(cognito.clients).toEqual({ portal: { Ref: expect.stringMatching(/^IdentityUserPoolPortal/) } });
  expect(JSON.stringify(cognito.discoveryUrl)).toMatch(/cognito-idp\.ap-northeast-2\.amazonaws\.com\/.*\/\.well-known\/openid-configuration/);
});

it('locally, each discovery address is its dev issuer; the issuer identifiers and clients stay the stage', () => {
  const issuers = [
    { entry: { id: 'local', issuerUrl: 'https://oidc.kairr.local', audience: ['kairr-api'], subjectPrefix: '' }, oidc: { url: 'http://127.0.0.1:4101' } },
    { entry: { id: 'federation', issuerUrl: 'https://federation.kairr.local', audience: ['kairr-api'], subjectPrefix: 'federation:' }, oidc: { url: 'http://127.0.0.1:4102' } },
  ] as unknown as Parameters<typeof withLocalDiscovery>[1]['issuers'];
  const rewritten = JSON.parse(withLocalDiscovery(JSON.stringify(signInOfStage('local')), { issuers }));
  expect(rewritten.issuers).toEqual([
    { id: 'local', issuer: 'https://oidc.kairr.local', discoveryUrl: 'http://127.0.0.1:4101/.well-known/openid-configuration', clients: { cli: 'kairr-cli' } },
    { id: 'federation', issuer: 'https://federation.kairr.local', discoveryUrl: 'http://127.0.0.1:4102/.well-known/openid-configuration', clients: { cli: 'kairr-cli' } },
  ]);
});
