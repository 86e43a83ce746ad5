// Permits for restricted data (docs/datahub.md, "Permits"): the one permit model the hub and the
// pipeline validator share, the application's lifecycle rules, and enforcement of a permit by the
// hub's locations and downloads on DynamoDB Local, with every restricted read audited.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { activePermit, inForce, permitState, permitTtl, type PermitRecord } from '../../../lambdas/domain/datahub/permit';
import { applyDecision, applyExpire, applyWithdraw, committeeOf, periodProblems, termsDigest, type Application } from '../../../lambdas/domain/datahub/application';
import { permitFor } from '../../../lambdas/domain/pipelines/context';
import { grantWrites, readPermitsOf, revokePermit } from '../../../lambdas/datahub/permits';
import { commitDatahub, locationItem } from '../../../lambdas/datahub/store';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AuditContext } from '../../../lambdas/shared/store/write-path';
import { api, datahubFixture, publishedDataset, ROLE_CALLERS, type Fixture } from './support';

const { steward, researcher, admin, auditor } = ROLE_CALLERS;
const DAY = 86_400_000;
const NOW = new Date('2026-12-04T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
let seq = 0;
const ulidish = () => `${Date.now().toString(36)}${(++seq).toString(36)}`.padEnd(26, '0').slice(0, 26);

function permit(over: Partial<PermitRecord> = {}): PermitRecord {
  const id = ulidish();
  return {
    id: `dhp-${id}`,
    applicationId: `dha-${id}`,
    datasets: ['ds-a'],
    versions: [],
    users: ['researcher-9'],
    sites: ['kisti6'],
    start: iso(Date.now() - DAY),
    end: iso(Date.now() + 30 * DAY),
    grantedAt: iso(Date.now()),
    grantedBy: 'steward-1',
    ...over,
  };
}

describe('the permit model', () => {
  const p = permit({ start: iso(NOW.getTime() - DAY), end: iso(NOW.getTime() + DAY) });

  it('is honoured only inside its period and while not revoked', () => {
    expect(inForce(p, NOW)).toBe(true);
    expect(inForce(p, new Date(NOW.getTime() - 2 * DAY))).toBe(false);
    expect(inForce(p, new Date(p.end))).toBe(false);
    expect(inForce({ ...p, revokedAt: iso(NOW.getTime()) }, NOW)).toBe(false);
    expect([permitState(p, NOW), permitState(p, new Date(NOW.getTime() - 2 * DAY)), permitState(p, new Date(NOW.getTime() + 2 * DAY)), permitState({ ...p, revokedAt: 'x' }, NOW)]).toEqual(['active', 'pending', 'expired', 'revoked']);
  });

  it('names a user, a dataset and a site; no site asked means any site (the hub copy)', () => {
    expect(activePermit([p], 'researcher-9', 'ds-a', 'kisti6', NOW)?.id).toBe(p.id);
    expect(activePermit([p], 'researcher-9', 'ds-a', 'spc', NOW)).toBeUndefined();
    expect(activePermit([p], 'researcher-9', 'ds-a', undefined, NOW)?.id).toBe(p.id);
    expect(activePermit([p], 'someone-else', 'ds-a', 'kisti6', NOW)).toBeUndefined();
    expect(activePermit([p], 'researcher-9', 'ds-b', 'kisti6', NOW)).toBeUndefined();
  });

  it("is the pipeline validator's permit too, so the two cannot disagree", () => {
    expect(permitFor([p], 'researcher-9', 'ds-a', 'kisti6', NOW)).toBe(activePermit([p], 'researcher-9', 'ds-a', 'kisti6', NOW));
    expect(permitFor([p], 'researcher-9', 'ds-a', 'spc', NOW)).toBeUndefined();
  });

  it('lets DynamoDB remove it only a grace period after its end', () => {
    expect(permitTtl('2026-12-10T00:00:00Z', 30)).toBe(Date.parse('2026-12-10T00:00:00Z') / 1000 + 30 * 86_400);
  });
});

describe("an access application's rules", () => {
  const dataset = { stewards: ['steward-1'], committee: ['dac-1', 'dac-2'] };
  const app: Application = {
    applicationId: `dha-${'a'.repeat(26)}`,
    datasetId: 'ds-a',
    versions: [],
    applicant: 'dac-2',
    purpose: 'p',
    allocationId: 'alloc-1',
    users: ['dac-2'],
    start: iso(NOW.getTime()),
    end: iso(NOW.getTime() + DAY),
    siteId: 'kisti6',
    terms: { digest: termsDigest('t'), acceptedAt: iso(NOW.getTime()) },
    state: 'submitted',
    decisions: [],
    reminders: 0,
    createdAt: iso(NOW.getTime()),
    updatedAt: iso(NOW.getTime()),
  };

  it('is decided by the named committee, or else the stewards, never by the applicant', () => {
    expect(committeeOf(dataset)).toEqual(['dac-1', 'dac-2']);
    expect(committeeOf({ stewards: ['steward-1'] })).toEqual(['steward-1']);
    const ok = applyDecision(app, dataset, { decision: 'approve', comment: 'fine' }, { sub: 'dac-1', roles: ['researcher'] }, NOW);
    expect(ok).toMatchObject({ state: 'approved', decisions: [{ decision: 'approve', by: 'dac-1', comment: 'fine' }] });
    expect(() => applyDecision(app, dataset, { decision: 'approve', comment: '' }, { sub: 'dac-2', roles: ['researcher'] }, NOW)).toThrow(/own application/);
    expect(() => applyDecision(app, dataset, { decision: 'approve', comment: '' }, { sub: 'steward-1', roles: ['researcher'] }, NOW)).toThrow(/committee/);
    expect(() => applyDecision(ok, dataset, { decision: 'reject', comment: '' }, { sub: 'dac-1', roles: ['researcher'] }, NOW)).toThrow(/is approved/);
  });

  it('is withdrawn only by its applicant, and closed by the flow only while undecided', () => {
    expect(applyWithdraw(app, { sub: 'dac-2', roles: [] }, NOW).state).toBe('closed');
    expect(() => applyWithdraw(app, { sub: 'dac-1', roles: [] }, NOW)).toThrow(/applicant/);
    expect(applyExpire(app, NOW)?.state).toBe('closed');
    expect(applyExpire({ ...app, state: 'approved' }, NOW)).toBeNull();
  });

  it('names what is wrong with a period', () => {
    const d = (ms: number) => new Date(NOW.getTime() + ms);
    expect(periodProblems(d(0), d(DAY), 366, NOW)).toEqual([]);
    expect(periodProblems(d(2 * DAY), d(DAY), 366, NOW)).toEqual([{ path: 'end', problem: 'must be after start' }]);
    expect(periodProblems(d(-2 * DAY), d(-DAY), 366, NOW)).toEqual([{ path: 'end', problem: 'is in the past' }]);
    expect(periodProblems(d(0), d(400 * DAY), 366, NOW)[0]).toMatchObject({ path: 'end', problem: expect.stringContaining('366 days') });
    expect(periodProblems(new Date('x'), d(DAY), 366, NOW)[0].path).toBe('start');
  });

  it('records the terms by a digest of their NFC form, so the same words always give the same digest', () => {
    expect(termsDigest('데이터'.normalize('NFD'))).toBe(termsDigest('데이터'));
    expect(termsDigest('a')).not.toBe(termsDigest('b'));
    expect(termsDigest('a')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('permits open restricted locations and downloads, and every such read is audited', () => {
  let fx: Fixture;
  let id: string;
  const ctx: AuditContext = { actor: { sub: 'steward-1', role: 'researcher' }, requestId: 'permits-test' };
  const locations = (who = researcher) => api(who, 'GET', `/v1/datasets/${id}/versions/1.0.0/locations`);

  beforeAll(async () => {
    fx = await datahubFixture({ s3: true });
    id = (await publishedDataset({ accessLevel: 'restricted' })).id;
    // the hub's verified copy, as a completed upload leaves it (uploads.test.ts walks that path)
    const at = new Date().toISOString();
    await fx.tables.doc.send(
      new PutCommand({ TableName: fx.tables.names.main, Item: locationItem({ artifactId: id, version: '1.0.0', locationId: 'hub', kind: 'hub', path: '', state: 'verified', createdAt: at, createdBy: 'steward-1', updatedAt: at }) }),
    );
    for (const body of [
      { siteId: 'kisti6', root: 'scratch', path: 'corpus/v1' },
      { siteId: 'spc', root: 'data', path: 'corpus/v1' },
    ]) {
      const r = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, body);
      if (r.status !== 201) throw new Error(`location: ${r.status} ${r.text}`);
    }
  });
  afterAll(async () => fx.stop());

  async function grant(p: PermitRecord) {
    const g = grantWrites(p);
    await commitDatahub(ctx, { changes: [g.change], sideWrites: g.sideWrites });
  }
  async function auditActions(subject: string): Promise<{ action: string; details: Record<string, unknown> }[]> {
    const out = await fx.tables.doc.send(new QueryCommand({ TableName: fx.tables.names.audit, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': subject } }));
    return (out.Items ?? []).map((i) => ({ action: i.action as string, details: (i.details ?? {}) as Record<string, unknown> }));
  }

  it('without a permit a researcher sees no locations and cannot download', async () => {
    expect((await locations()).status).toBe(403);
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/README.md`)).status).toBe(404);
    expect((await auditActions(`dh-access/${id}`)).map((e) => e.action)).toEqual([]);
    expect(await readPermitsOf('researcher-9', new Date())).toEqual([]);
  });

  it("a permit at kisti6 shows the hub's copy and the kisti6 copy, not spc's, to the users it names, and the read is audited", async () => {
    const p = permit({ datasets: [id], sites: ['kisti6'] });
    await grant(p);
    const r = await locations();
    expect(r.status).toBe(200);
    expect(r.body.items.map((l: { locationId: string }) => l.locationId).sort()).toEqual(['hub', 'kisti6.scratch']);
    expect((await locations(ROLE_CALLERS.reviewer)).status).toBe(403);
    expect((await readPermitsOf('researcher-9', new Date())).map((x) => x.id)).toEqual([p.id]);
    const reads = await auditActions(`dh-access/${id}`);
    expect(reads).toEqual([{ action: 'dataset.access.locations', details: expect.objectContaining({ what: 'locations', version: '1.0.0', sites: ['kisti6'], permitId: p.id }) }]);
    expect((await auditActions(`dh-permit/${p.id}`)).map((e) => e.action)).toEqual(['dataset.permit.grant']);
  });

  it("the permit holder downloads from the hub's copy, and the download is audited with the file", async () => {
    const r = await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/README.md`);
    expect(r.status).toBe(302);
    expect(r.headers.location).toContain('README.md');
    const downloads = (await auditActions(`dh-access/${id}`)).filter((e) => e.action === 'dataset.access.download');
    expect(downloads).toEqual([{ action: 'dataset.access.download', details: expect.objectContaining({ path: 'README.md', version: '1.0.0', permitId: expect.stringMatching(/^dhp-/) }) }]);
    expect((await api(ROLE_CALLERS.reviewer, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/README.md`)).status).toBe(404);
    // a file the version does not have is not a read
    expect((await api(researcher, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/nope.txt`)).status).toBe(404);
    expect((await auditActions(`dh-access/${id}`)).filter((e) => e.action === 'dataset.access.download')).toHaveLength(1);
  });

  it('stewards and staff still see every copy, and their reads of restricted data are audited too', async () => {
    for (const who of [steward, auditor, admin]) expect((await locations(who)).body.items.map((l: { locationId: string }) => l.locationId).sort()).toEqual(['hub', 'kisti6.scratch', 'spc.data']);
    const readers = (await auditActions(`dh-access/${id}`)).filter((e) => e.action === 'dataset.access.locations');
    expect(readers).toHaveLength(4);
    expect(readers.map((e) => e.details.sites)).toEqual([['kisti6'], ['kisti6', 'spc'], ['kisti6', 'spc'], ['kisti6', 'spc']]);
    expect(readers.slice(1).every((e) => e.details.permitId === undefined)).toBe(true);
  });

  it('a permit that has ended, or has not started, is not honoured even while its items remain', async () => {
    const other = (await publishedDataset({ accessLevel: 'restricted' })).id;
    await api(steward, 'POST', `/v1/datasets/${other}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'scratch', path: 'x' });
    await grant(permit({ datasets: [other], start: iso(Date.now() - 10 * DAY), end: iso(Date.now() - DAY) }));
    await grant(permit({ datasets: [other], start: iso(Date.now() + DAY), end: iso(Date.now() + 10 * DAY) }));
    expect((await api(researcher, 'GET', `/v1/datasets/${other}/versions/1.0.0/locations`)).status).toBe(403);
    expect((await readPermitsOf('researcher-9', new Date())).flatMap((x) => x.datasets)).not.toContain(other);
  });

  it('only the committee or an admin revokes, with a reason; afterwards the holder is refused again', async () => {
    const [p] = await readPermitsOf('researcher-9', new Date());
    await expect(revokePermit(p.id, 'misuse', { sub: 'researcher-9', roles: ['researcher'] }, ctx)).rejects.toThrow(/committee or an admin/);
    await expect(revokePermit(p.id, 'misuse', { sub: 'stranger', roles: ['researcher'] }, ctx)).rejects.toThrow(/not found/i);
    await expect(revokePermit(p.id, '  ', { sub: 'steward-1', roles: ['researcher'] }, ctx)).rejects.toThrow(/reason/);
    const revoked = await revokePermit(p.id, 'misuse', { sub: 'steward-1', roles: ['researcher'] }, ctx);
    expect(revoked).toMatchObject({ revokedBy: 'steward-1', revokeReason: 'misuse' });
    expect((await locations()).status).toBe(403);
    expect(await readPermitsOf('researcher-9', new Date())).toEqual([]);
    expect((await auditActions(`dh-permit/${p.id}`)).map((e) => e.action)).toEqual(['dataset.permit.grant', 'dataset.permit.revoke']);
    // a second revocation changes nothing and records nothing
    await revokePermit(p.id, 'again', { sub: 'admin-1', roles: ['admin'] }, ctx);
    expect((await auditActions(`dh-permit/${p.id}`)).map((e) => e.action)).toEqual(['dataset.permit.grant', 'dataset.permit.revoke']);
  });
});
