// The authorizer against two real (local) OIDC issuers over HTTP: their JWKS are fetched as in AWS.
// Federation: two issuers, each subject namespaced; refusals: a wrong issuer, no exp, nbf in the
// future, an HS256 token "signed" with the RSA public key, a withdrawn key once its TTL passed,
// groups that name a site the stage does not have, and a ":" in an unprefixed subject.
import { createHmac } from 'node:crypto';
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { LocalOidcIssuer } from '../../../local/oidc';
import { useStageConfig } from '../../support/config';
import { callerFromContext } from '../../../lambdas/shared/http/caller';
import type { TrustedIssuer } from '../../../lambdas/domain/identity/issuers';

const ARN = 'arn:aws:execute-api:ap-northeast-2:123456789012:abc123/local/GET/v1/me';
const CLAIMS = {
  subject: 'sub',
  email: 'email',
  emailVerified: 'email_verified',
  name: 'name',
  username: 'preferred_username',
  groups: 'groups',
  homeOrganization: 'schac_home_organization',
  scopedAffiliation: 'eduperson_scoped_affiliation',
};

let own: LocalOidcIssuer;
let fed: LocalOidcIssuer;
let stranger: LocalOidcIssuer;
let authorizer: typeof import('../../../lambdas/authorizer/handler');

function issuer(id: string, o: LocalOidcIssuer, extra: Partial<TrustedIssuer>): TrustedIssuer {
  return {
    id,
    issuerUrl: o.issuer,
    audience: ['kairr-api'],
    jwksUri: `${o.url}/jwks.json`,
    subjectPrefix: `${id}:`,
    claims: CLAIMS,
    affiliation: ['email'],
    requireEmailVerified: true,
    roles: { groupNames: false, groupMap: {}, default: [] },
    jwksTtlSeconds: 600,
    ...extra,
  };
}

beforeAll(async () => {
  useStageConfig('local');
  own = new LocalOidcIssuer('https://own.test', 'kairr-api');
  fed = new LocalOidcIssuer('https://federation.test', 'kairr-api');
  stranger = new LocalOidcIssuer('https://stranger.test', 'kairr-api');
  await Promise.all([own.listen(), fed.listen(), stranger.listen()]);
  process.env.OIDC_ISSUERS = JSON.stringify([
    issuer('own', own, { subjectPrefix: '', roles: { groupNames: true, groupMap: {}, default: [] } }),
    issuer('fed', fed, {
      affiliation: ['home-organization', 'scoped-affiliation', 'email'],
      roles: { groupNames: false, groupMap: { 'committee-chairs': 'chair', 'spc-ops': 'site-operator:spc' }, default: ['researcher'] },
      jwksTtlSeconds: 60,
    }),
  ]);
  process.env.LOG_LEVEL = 'error';
  authorizer = require('../../../lambdas/authorizer/handler');
});

afterAll(async () => {
  await Promise.all([own.close(), fed.close(), stranger.close()]);
});

const event = (token: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: `Bearer ${token}`, methodArn: ARN });

async function authorize(token: string) {
  const res = await authorizer.handler(event(token));
  return callerFromContext(res.context as Record<string, unknown>)!;
}

const refused = (token: string) => expect(authorizer.handler(event(token))).rejects.toThrow('Unauthorized');

describe('federation: several trusted issuers', () => {
  it("accepts each issuer's tokens, namespacing every subject but the stage's own", async () => {
    expect((await authorize(own.mint({ sub: 'alice', groups: ['researcher'] }))).sub).toBe('alice');
    expect((await authorize(fed.mint({ sub: 'alice' }))).sub).toBe('fed:alice');
  });

  it('two issuers with the same sub are two people', async () => {
    const a = await authorize(own.mint({ sub: 'same-sub', groups: ['admin'] }));
    const b = await authorize(fed.mint({ sub: 'same-sub' }));
    expect(a.sub).not.toBe(b.sub);
    expect(a.roles).toEqual(['admin']);
    expect(b.roles).toEqual(['researcher']); // the federation's default, never the other issuer's admin
    expect([a.issuer, b.issuer]).toEqual(['own', 'fed']);
  });

  it('an issuer grants only the roles its configuration maps: KAIRR role names from a federation grant nothing', async () => {
    const c = await authorize(fed.mint({ sub: 'bob', groups: ['admin', 'chair', 'committee-chairs', 'spc-ops'] }));
    expect(c.roles).toEqual(['chair', 'researcher', 'site-operator']);
    expect(c.siteIds).toEqual(['spc']);
  });

  it('site-operator:<x> counts only for a site the stage configures', async () => {
    const c = await authorize(own.mint({ sub: 'op', groups: ['site-operator:spc', 'site-operator:atlantis'] }));
    expect(c.siteIds).toEqual(['spc']);
    const none = await authorize(own.mint({ sub: 'op2', groups: ['site-operator:atlantis'] }));
    expect(none.roles).toEqual([]);
  });

  it('hands on affiliation only from claims the issuer vouches for (a verified e-mail; schac; scoped affiliation)', async () => {
    const unverified = await authorize(own.mint({ sub: 'u1', groups: ['researcher'], email: 'u1@kaist.ac.kr' }));
    expect(unverified.affiliation).toBeUndefined();
    const verified = await authorize(own.mint({ sub: 'u2', groups: ['researcher'], email: 'u2@cs.kaist.ac.kr', email_verified: true, schac_home_organization: 'evil.example' }));
    expect(verified.affiliation).toEqual([{ source: 'email', value: 'cs.kaist.ac.kr' }]); // this issuer does not vouch for schac
    const federated = await authorize(fed.mint({ sub: 'u3', schac_home_organization: 'snu.ac.kr', eduperson_scoped_affiliation: ['faculty@snu.ac.kr', 'junk'] }));
    expect(federated.affiliation).toEqual([
      { source: 'home-organization', value: 'snu.ac.kr' },
      { source: 'scoped-affiliation', value: 'snu.ac.kr', relation: 'faculty' },
    ]);
  });
});

describe('refused tokens', () => {
  it('a token of an issuer the stage does not trust', async () => {
    await refused(stranger.mint({ sub: 'x', groups: ['admin'] }));
  });

  it("a token naming a trusted issuer but signed by another's key", async () => {
    await refused(stranger.mint({ sub: 'x', groups: ['admin'], iss: own.issuer }));
  });

  it('a token for another audience', async () => {
    await refused(own.mint({ sub: 'x', groups: ['admin'], aud: 'someone-else' }));
  });

  it('a token without exp', async () => {
    const token = own.mint({ sub: 'forever', groups: ['admin'], expiresIn: null });
    expect(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString())).not.toHaveProperty('exp');
    await refused(token);
  });

  it('an expired token, and one whose nbf is in the future', async () => {
    await refused(own.mint({ sub: 'x', groups: ['admin'], expiresIn: -60 }));
    await refused(own.mint({ sub: 'x', groups: ['admin'], nbf: Math.floor(Date.now() / 1000) + 3600 }));
  });

  it('an HS256 token "signed" with the issuer\'s RSA public key (algorithm confusion)', async () => {
    const valid = own.mint({ sub: 'x', groups: ['admin'] });
    const [h, p] = valid.split('.');
    const header = { ...JSON.parse(Buffer.from(h, 'base64url').toString()), alg: 'HS256' };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${p}`;
    const forged = `${input}.${createHmac('sha256', own.publicKeyPem()).update(input).digest('base64url')}`;
    await refused(forged);
  });

  it('a subject of the unprefixed issuer with a ":" (it would pose as another issuer\'s, or as system:)', async () => {
    await refused(own.mint({ sub: 'fed:alice', groups: ['admin'] }));
    await refused(own.mint({ sub: 'system:approval-flow', groups: ['admin'] }));
  });

  it('a key the issuer withdrew: still trusted until its TTL, refused after it', async () => {
    const before = fed.mint({ sub: 'rotating' });
    expect((await authorize(before)).sub).toBe('fed:rotating');
    fed.rotateKey(); // the old key leaves the JWKS
    expect((await authorize(before)).sub).toBe('fed:rotating'); // cached keys: within the 60 s TTL
    const realNow = authorizer.jwksClock.now;
    try {
      authorizer.jwksClock.now = () => realNow() + 61_000;
      await refused(before);
      expect((await authorize(fed.mint({ sub: 'rotating' }))).sub).toBe('fed:rotating'); // the new key works
    } finally {
      authorizer.jwksClock.now = realNow;
    }
  });
});
