// The identity capability in-process against DynamoDB Local: the organisation registry (admins
// only; identifiers unique across orgs; verification audited), KAIRR's own role assignments (they
// take effect on every route; every role tried both ways), affiliation from verified claims, and
// explicit links (never a matching e-mail).
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { identityKeys } from '../../../lambdas/shared/store/keys';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { EVERY_ROLE, inProcessApi, person } from '../../support/api';
import { identityApi } from '../../../lambdas/identity/api';
import { forgetPerson } from '../../../lambdas/shared/identity/people';
import type { Caller } from '../../../lambdas/shared/http/caller';

let tables: TestTables;
const api = inProcessApi(identityApi, () => require('../../../lambdas/identity/handler').handler);
const admin = person('id-admin', ['admin']);
const auditor = person('id-auditor', ['auditor']);
const as = api.as;

beforeAll(async () => {
  useStageConfig('local');
  process.env.LOG_LEVEL = 'error';
  tables = await createTestTables();
});
afterAll(() => tables.drop());
beforeEach(() => forgetPerson());

const orgBody = (orgId: string, extra: Record<string, unknown> = {}) => ({
  orgId,
  names: { ko: `기관 ${orgId}`, en: `Org ${orgId}` },
  orgType: 'university',
  emailDomains: [`${orgId}.ac.kr`],
  homeOrganizations: [`${orgId}.ac.kr`],
  entityIds: [`https://idp.${orgId}.ac.kr/idp/shibboleth`],
  registrationNumber: '134-82-00001',
  ...extra,
});

async function events(stream: string) {
  const out = await tables.doc.send(new QueryCommand({ TableName: tables.names.audit, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': stream } }));
  return (out.Items ?? []).map((e) => ({ action: e.action, actor: e.actor.sub, reason: e.reason }));
}

describe('the organisation registry', () => {
  it('only an admin adds, edits or verifies an organisation; every role is refused otherwise', async () => {
    for (const role of EVERY_ROLE.filter((r) => r !== 'admin')) {
      const who = person(`id-${role}`, [role]);
      expect((await as(who).post('/v1/orgs', orgBody(`r-${role}`))).status).toBe(403);
      expect((await as(who).patch('/v1/orgs/none', { orgType: 'sme', reason: 'try it' })).status).toBe(403);
      expect((await as(who).post('/v1/orgs/none/verification', { verified: true, reason: 'try it' })).status).toBe(403);
    }
    expect((await as(undefined).get('/v1/orgs')).status).toBe(401);
    const created = await as(admin).post('/v1/orgs', orgBody('alpha'));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ orgId: 'alpha', verified: false, orgType: 'university' });
  });

  it('every authenticated role reads the registry; registration numbers only staff', async () => {
    await as(admin).post('/v1/orgs', orgBody('beta'));
    for (const role of EVERY_ROLE) {
      const res = await as(person(`id-${role}`, [role])).get('/v1/orgs/beta');
      expect(res.status).toBe(200);
      expect('registrationNumber' in res.body).toBe(['admin', 'chair', 'auditor'].includes(role));
    }
    const list = await as(person('r', ['researcher'])).get('/v1/orgs?limit=200');
    expect(list.body.items.map((o: any) => o.orgId)).toContain('beta');
  });

  it('refuses an identifier another org holds (naming it), a repeated one, and a bad field', async () => {
    await as(admin).post('/v1/orgs', orgBody('gamma'));
    const taken = await as(admin).post('/v1/orgs', orgBody('gamma2', { emailDomains: ['other.ac.kr', 'gamma.ac.kr'] }));
    expect(taken.status).toBe(409);
    expect(taken.body.error.details).toContainEqual({ path: 'emailDomains[1]', problem: '"gamma.ac.kr" belongs to organisation gamma' });
    const twice = await as(admin).post('/v1/orgs', orgBody('gamma3', { emailDomains: ['g3.ac.kr', 'G3.ac.kr'] }));
    expect(twice.status).toBe(400);
    expect(twice.body.error.details).toEqual([{ path: 'emailDomains[1]', problem: 'repeats emailDomains[0]' }]);
    const bad = await as(admin).post('/v1/orgs', orgBody('gamma4', { orgType: 'charity' }));
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe('orgType');
    expect((await as(admin).post('/v1/orgs', orgBody('gamma'))).status).toBe(409);
    // nothing half-written: gamma2's free domain is no one's
    expect((await as(admin).post('/v1/orgs', orgBody('delta', { emailDomains: ['other.ac.kr'] }))).status).toBe(201);
  });

  it('verification records who and when, is audited, and a change of what was verified undoes it', async () => {
    await as(admin).post('/v1/orgs', orgBody('eps'));
    const v = await as(admin).post('/v1/orgs/eps/verification', { verified: true, reason: 'checked the business registry' });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ verified: true, verifiedBy: 'id-admin', verificationNote: 'checked the business registry' });
    expect(Date.parse(v.body.verifiedAt)).toBeGreaterThan(Date.now() - 60_000);
    const renamed = await as(admin).patch('/v1/orgs/eps', { names: { ko: '새 이름', en: 'New name' }, reason: 'renamed' });
    expect(renamed.body.verified).toBe(true);
    const retyped = await as(admin).patch('/v1/orgs/eps', { orgType: 'sme', reason: 'spun out' });
    expect(retyped.body).toMatchObject({ verified: false, orgType: 'sme', verificationNote: 'unverified by the change of orgType' });
    expect(await events('org/eps')).toEqual([
      { action: 'org.create', actor: 'id-admin', reason: null },
      { action: 'org.verify', actor: 'id-admin', reason: 'checked the business registry' },
      { action: 'org.update', actor: 'id-admin', reason: 'renamed' },
      { action: 'org.update', actor: 'id-admin', reason: 'spun out' },
    ]);
  });

  it('moves match items with the org: a removed domain is free again', async () => {
    await as(admin).post('/v1/orgs', orgBody('zeta', { emailDomains: ['zeta.ac.kr', 'old-zeta.ac.kr'] }));
    expect((await as(admin).patch('/v1/orgs/zeta', { emailDomains: ['zeta.ac.kr'], reason: 'old domain retired' })).status).toBe(200);
    expect((await as(admin).post('/v1/orgs', orgBody('eta', { emailDomains: ['old-zeta.ac.kr'] }))).status).toBe(201);
  });
});

describe('affiliation from verified claims', () => {
  beforeAll(async () => {
    await as(admin).post('/v1/orgs', orgBody('kaist', { emailDomains: ['kaist.ac.kr'], homeOrganizations: ['kaist.ac.kr'] }));
  });

  const researcher = (sub: string, affiliation: Caller['affiliation']) => person(sub, ['researcher'], { affiliation });

  it('a verified e-mail at a subdomain matches the org; unverified until an admin verifies the org', async () => {
    const me = await as(researcher('aff-1', [{ source: 'email', value: 'cs.kaist.ac.kr' }])).get('/v1/me');
    expect(me.status).toBe(200);
    expect(me.body.affiliation).toMatchObject({ status: 'unverified-org', orgId: 'kaist', orgType: 'university', source: 'email' });
    await as(admin).post('/v1/orgs/kaist/verification', { verified: true, reason: 'KAIST is KAIST' });
    const again = await as(researcher('aff-1', [{ source: 'email', value: 'cs.kaist.ac.kr' }])).get('/v1/me');
    expect(again.body.affiliation).toMatchObject({ status: 'verified', orgId: 'kaist' });
  });

  it('no claims, or claims the registry does not know: unmatched, until an admin records the affiliation', async () => {
    expect((await as(researcher('aff-2', [])).get('/v1/me')).body.affiliation).toMatchObject({ status: 'unmatched', candidates: [] });
    expect((await as(researcher('aff-2', [{ source: 'email', value: 'gmail.com' }])).get('/v1/me')).body.affiliation.status).toBe('unmatched');
    for (const role of EVERY_ROLE.filter((r) => r !== 'admin')) expect((await as(person(`x-${role}`, [role])).put('/v1/people/aff-2/affiliation', { orgId: 'kaist', reason: 'confirmed by letter' })).status).toBe(403);
    expect((await as(admin).put('/v1/people/aff-2/affiliation', { orgId: 'no-such', reason: 'typo' })).body.error.details).toEqual([{ path: 'orgId', problem: 'is not an organisation in the registry (no-such)' }]);
    expect((await as(admin).put('/v1/people/aff-2/affiliation', { orgId: 'kaist', reason: 'confirmed by letter' })).status).toBe(200);
    expect((await as(researcher('aff-2', [])).get('/v1/me')).body.affiliation).toMatchObject({ status: 'verified', orgId: 'kaist', source: 'admin' });
  });
});

describe("KAIRR's own role assignments", () => {
  it('only an admin assigns roles; a role given in KAIRR counts on the next request, a role taken back too', async () => {
    const carol = person('carol', ['researcher']);
    expect((await as(carol).get('/v1/people')).status).toBe(403);
    for (const role of EVERY_ROLE.filter((r) => r !== 'admin')) expect((await as(person(`y-${role}`, [role])).put('/v1/people/carol/roles', { roles: ['auditor'], reason: 'audit duty' })).status).toBe(403);
    const set = await as(admin).put('/v1/people/carol/roles', { roles: ['auditor', 'site-operator:kisti6'], reason: 'audit duty' });
    expect(set.status).toBe(200);
    expect(set.body.roles).toEqual(['auditor', 'site-operator:kisti6']);
    const me = await as(carol).get('/v1/me');
    expect(me.body).toMatchObject({ sub: 'carol', roles: ['auditor', 'researcher', 'site-operator'], siteIds: ['kisti6'] });
    expect((await as(carol).get('/v1/people')).status).toBe(200);
    await as(admin).put('/v1/people/carol/roles', { roles: [], reason: 'audit finished' });
    expect((await as(carol).get('/v1/people')).status).toBe(403);
    expect((await events('person/carol')).map((e) => e.action)).toEqual(['person.roles', 'person.roles']);
  });

  it('a role granted in another execution environment is seen at once: a refusal re-reads the record', async () => {
    const dave = person('dave', ['researcher']);
    expect((await as(dave).get('/v1/people')).status).toBe(403); // this environment now caches "no record"
    // another environment's admin request wrote the record; this one's cache does not know
    await tables.doc.send(new PutCommand({ TableName: tables.names.main, Item: { ...identityKeys.person('dave'), sub: 'dave', roles: ['auditor'], aliases: [], createdAt: 'x', updatedAt: 'x' } }));
    expect((await as(dave).get('/v1/people')).status).toBe(200);
  });

  it('refuses roles KAIRR does not have and sites the stage does not configure', async () => {
    const res = await as(admin).put('/v1/people/erin/roles', { roles: ['chair', 'site-operator:atlantis', 'wizard'], reason: 'typos' });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toEqual(['roles[1]', 'roles[2]']);
  });

  it('auditors read people; nobody else but admins', async () => {
    await as(admin).put('/v1/people/frank/roles', { roles: ['reviewer'], reason: 'joins the panel' });
    expect((await as(auditor).get('/v1/people/frank')).body).toMatchObject({ sub: 'frank', roles: ['reviewer'] });
    for (const role of ['researcher', 'reviewer', 'chair', 'site-operator'] as const) expect((await as(person(`z-${role}`, [role])).get('/v1/people/frank')).status).toBe(403);
  });
});

describe('links between issuers', () => {
  it('two issuers with the same sub are two people; an admin link makes one act as the other, and only then', async () => {
    const home = person('gina', ['researcher']);
    const fed = person('federation:gina', ['researcher'], { issuer: 'federation', email: 'gina@snu.ac.kr' });
    await as(admin).put('/v1/people/gina/roles', { roles: ['reviewer'], reason: 'joins the panel' });
    expect((await as(fed).get('/v1/me')).body).toMatchObject({ sub: 'federation:gina', roles: ['researcher'] });
    const linked = await as(admin).post(`/v1/people/gina/links`, { subject: 'federation:gina', reason: 'same person, confirmed in person' });
    expect(linked.status).toBe(201);
    expect(linked.body.aliases).toEqual(['federation:gina']);
    expect((await as(fed).get('/v1/me')).body).toMatchObject({ sub: 'gina', via: 'federation:gina', roles: ['researcher', 'reviewer'] });
    expect((await as(home).get('/v1/me')).body.sub).toBe('gina');
    // roles go to the person, not the linked subject
    expect((await as(admin).put(`/v1/people/${encodeURIComponent('federation:gina')}/roles`, { roles: ['admin'], reason: 'nope' })).status).toBe(409);
    expect((await as(admin).del(`/v1/people/gina/links/${encodeURIComponent('federation:gina')}`)).status).toBe(200);
    expect((await as(fed).get('/v1/me')).body).toMatchObject({ sub: 'federation:gina', roles: ['researcher'] });
  });

  it('refuses to link a subject that has a record of its own, or oneself; only admins link', async () => {
    await as(admin).put('/v1/people/hana/roles', { roles: ['chair'], reason: 'chairs' });
    await as(admin).put(`/v1/people/${encodeURIComponent('federation:hana')}/roles`, { roles: ['admin'], reason: 'admin there' });
    const res = await as(admin).post('/v1/people/hana/links', { subject: 'federation:hana', reason: 'merge' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('subject_has_record');
    expect((await as(admin).post('/v1/people/hana/links', { subject: 'hana', reason: 'self' })).status).toBe(400);
    for (const role of EVERY_ROLE.filter((r) => r !== 'admin')) expect((await as(person(`w-${role}`, [role])).post('/v1/people/hana/links', { subject: 'other:hana', reason: 'merge' })).status).toBe(403);
  });
});
