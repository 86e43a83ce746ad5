// Every route, every role, both ways: the route spec's roles pass the router (a request with a body
// is then refused for its body: 400, or reaches the service: 200/404), every other role gets 403,
// and no token gets 401, except on the public routes, which answer everyone. Who-owns-what checks
// beyond the role (the PI, a member, a stranger) are in the other files of this folder.
import { ROLES, type Role, type RouteSpec } from '../../../lambdas/shared/http/spec';
import { accountabilityApi } from '../../../lambdas/accountability/api';
import { api, award, caller, fixture, newCall, TWO_TRANCHES, type Fixture } from './support';

let f: Fixture;
let path: Record<string, string>;
beforeAll(async () => {
  f = await fixture();
  const callId = await newCall(TWO_TRANCHES);
  const id = (await award({ callId, credits: { 'spc/h200': 100 }, startDate: '2026-02-01' })).id;
  const fake = 'reclaim-01jd3x8e0c7k9m2n4p6q8r0s2t';
  path = { callId, id, allocationId: id, reportId: 'month-1', trancheId: 't2', reclaimId: fake };
});
afterAll(async () => {
  await f?.stop();
});

const personas: (Role | 'anonymous')[] = ['anonymous', ...ROLES];
const cases = Object.keys(accountabilityApi).flatMap((name) => personas.map((p) => [name, p] as const));

it.each(cases)('%s as %s', async (name, persona) => {
  const route = accountabilityApi[name as keyof typeof accountabilityApi] as RouteSpec;
  const url = route.path.replace(/\{([^}]+)\}/g, (_, k: string) => path[k]);
  const who = persona === 'anonymous' ? undefined : caller(`${persona}-matrix`, [persona], persona === 'site-operator' ? { siteIds: ['spc'] } : {});
  // a body that no schema accepts: a caller the route admits gets a 400 for it, never a 403
  const res = await api(who, route.method, url, route.body ? { unexpected: true } : undefined);
  const admitted = route.auth === 'public' || (persona !== 'anonymous' && (route.auth === 'any' || (route.auth as readonly string[]).includes(persona)));
  if (!admitted) {
    expect({ name, persona, status: res.status, code: res.body?.error?.code }).toEqual({ name, persona, status: persona === 'anonymous' ? 401 : 403, code: persona === 'anonymous' ? 'unauthorized' : 'forbidden' });
  } else if (route.body) {
    expect({ name, persona, status: res.status }).toEqual({ name, persona, status: 400 });
  } else {
    expect({ name, persona, admitted: ![401, 403].includes(res.status) && res.status < 500 }).toEqual({ name, persona, admitted: true });
  }
});
