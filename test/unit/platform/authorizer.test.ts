// The authorizer's pure parts: the cached policy must cover every method of the API stage (a token
// cached after a POST must still allow a GET), and claims are read by name or dotted path.
// (The authorizer against real issuers: test/unit/identity/authorizer.test.ts.)
import { useStageConfig } from '../../support/config';
process.env.OIDC_ISSUERS = '[]';
useStageConfig('local');
import { wildcardResource, claimAt, jwksUrlAllowed } from '../../../lambdas/authorizer/handler';
import { rolesFromGroups } from '../../../lambdas/shared/http/caller';

describe('authorizer policy', () => {
  it('allows every method and path of the same API and stage', () => {
    expect(wildcardResource('arn:aws:execute-api:ap-northeast-2:123456789012:abc123/prod/POST/v1/allocations')).toBe('arn:aws:execute-api:ap-northeast-2:123456789012:abc123/prod/*/*');
  });
});

describe('claims', () => {
  it('reads groups by name or dotted path', () => {
    expect(claimAt({ groups: ['a'] }, 'groups')).toEqual(['a']);
    expect(claimAt({ realm_access: { roles: ['chair'] } }, 'realm_access.roles')).toEqual(['chair']);
    expect(claimAt({ 'cognito:groups': ['admin'] }, 'cognito:groups')).toEqual(['admin']);
    expect(claimAt({}, 'groups')).toBeUndefined();
  });

  it('maps groups to roles, scoping site operators to their sites and ignoring unknown groups', () => {
    expect(rolesFromGroups(['researcher', '/chair', 'site-operator:spc', 'site-operator', 'wizard', 'admin:spc'])).toEqual({ roles: ['chair', 'researcher', 'site-operator'], siteIds: ['spc'] });
  });

  it('fetches keys over HTTPS, or HTTP only from loopback', () => {
    expect(jwksUrlAllowed('https://login.example.kr/certs')).toBe(true);
    expect(jwksUrlAllowed('http://127.0.0.1:9999/jwks.json')).toBe(true);
    expect(jwksUrlAllowed('http://login.example.kr/certs')).toBe(false);
  });
});
