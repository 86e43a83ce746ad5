// Gated models (issue 13 §4, docs/datahub.md "Gated models"): a restricted model takes the same
// access applications as a restricted dataset. Its request is pending, accepted or rejected (the
// view's `gate`); an application may name no site, and its permit then opens the hub's copy only.
import { APPLICATION_STATES, gateOf } from '../../../lambdas/domain/datahub/application';
import { admin, allocation, applicationBody, researcher, seedAllocation, steward, useAccessWorld, verifiedCopy } from './access-support';
import { api, DATASET, publishedDataset, publishVersion, type ApiResult } from './support';

const w = useAccessWorld();
const paths = (r: ApiResult) => ((r.body?.error?.details ?? []) as { path: string }[]).map((d) => d.path).sort();
const hubOnly = (over: Record<string, unknown> = {}) => {
  const { siteId: _site, ...body } = applicationBody('alloc-gm', over);
  return body;
};
const apply = (id: string, body: unknown) => api(researcher, 'POST', `/v1/models/${id}/access-applications`, body);
const decide = (appId: string, decision: string) => api(steward, 'POST', `/v1/datahub/access-applications/${appId}/decision`, { decision, comment: `${decision}: reviewed` });
const file = (id: string) => api(researcher, 'GET', `/v1/models/${id}/versions/1.0.0/files/README.md`);

/** A published model (steward-1 its steward), with a verified copy in the hub's storage unless told otherwise. */
async function model(accessLevel: string, hubCopy = true): Promise<string> {
  const created = await api(steward, 'POST', '/v1/models', { ...DATASET, licence: 'MIT', accessLevel });
  if (created.status !== 201) throw new Error(`create: ${created.status} ${created.text}`);
  const id = created.body.id as string;
  await publishVersion(id, '1.0.0', 'models', { modelCard: { language: ['ko'], pipeline_tag: 'text-generation' } });
  if (hubCopy) await verifiedCopy(id, '1.0.0', 'hub');
  return id;
}

/** The flow waits for the committee before a decision is answered to it (access.test.ts does the same). */
async function waiting(appId: string): Promise<void> {
  const executionArn = `${w.machineArn.replace(':stateMachine:', ':execution:')}:${appId}`;
  await w.sfn.tasks.waitFor({ executionArn, stateName: 'AwaitDecision' }, { timeoutMs: 10_000 });
}

beforeAll(async () => {
  await seedAllocation(allocation('alloc-gm', [researcher.sub]));
});

describe('a gated model', () => {
  it('accepted: the request is pending, then accepted; the permit covers the hub copy only, and the model files download', async () => {
    const M = await model('restricted');
    expect((await file(M)).status).toBe(404);
    const created = await apply(M, hubOnly());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ datasetId: M, state: 'submitted', gate: 'pending', siteId: 'hub' });
    const queue = await api(steward, 'GET', `/v1/models/${M}/access-applications`);
    expect(queue.body.items.map((a: { applicationId: string; gate: string }) => [a.applicationId, a.gate])).toEqual([[created.body.applicationId, 'pending']]);
    await waiting(created.body.applicationId);

    const decided = await decide(created.body.applicationId, 'approve');
    expect([decided.status, decided.body.state, decided.body.gate]).toEqual([200, 'approved', 'accepted']);
    const permits = await api(researcher, 'GET', '/v1/datahub/permits');
    expect(permits.body.items.find((p: { id: string }) => p.id === decided.body.permitId)).toMatchObject({ datasets: [M], sites: ['hub'], state: 'active' });
    expect((await api(steward, 'GET', `/v1/datahub/permits?datasetId=${M}`)).body.items.map((p: { id: string }) => p.id)).toEqual([decided.body.permitId]);
    expect((await file(M)).status).toBe(302);
    const locations = await api(researcher, 'GET', `/v1/models/${M}/versions/1.0.0/locations`);
    expect([locations.status, locations.body.items.map((l: { locationId: string }) => l.locationId)]).toEqual([200, ['hub']]);
    expect((await api(researcher, 'GET', `/v1/datahub/access-applications/${created.body.applicationId}`)).body.gate).toBe('accepted');
  });

  it('rejected: the request shows rejected, no permit is granted, and the files stay refused (404)', async () => {
    const M = await model('restricted');
    const created = await apply(M, hubOnly({ purpose: 'to be rejected' }));
    expect(created.status).toBe(201);
    await waiting(created.body.applicationId);
    const decided = await decide(created.body.applicationId, 'reject');
    expect([decided.status, decided.body.state, decided.body.gate, decided.body.permitId]).toEqual([200, 'rejected', 'rejected', undefined]);
    expect((await file(M)).status).toBe(404);
    expect((await api(researcher, 'GET', `/v1/models/${M}/versions/1.0.0/locations`)).status).toBe(403);
  });

  it('a public model takes no application: 422 not_restricted naming the id', async () => {
    const M = await model('public');
    const r = await apply(M, hubOnly());
    expect([r.status, r.body.error.code, paths(r)]).toEqual([422, 'not_restricted', ['id']]);
    expect(r.body.error.details[0].problem).toBe('is a public model; only restricted models take access applications');
  });

  it('names siteId when the hub holds no verified copy, or a named site holds none', async () => {
    const M = await model('restricted', false);
    const none = await apply(M, hubOnly());
    expect([none.status, paths(none)]).toEqual([422, ['siteId']]);
    expect(none.body.error.details[0].problem).toMatch(/^is omitted \(the hub copy only\), but the hub holds no verified copy/);
    const site = await apply(M, applicationBody('alloc-gm'));
    expect([site.status, paths(site)]).toEqual([422, ['siteId']]);
    // a model held at a site may be applied for there, as a dataset is
    await verifiedCopy(M, '1.0.0', 'kisti6');
    const atSite = await apply(M, applicationBody('alloc-gm', { purpose: 'at kisti6' }));
    expect([atSite.status, atSite.body.siteId, atSite.body.gate]).toEqual([201, 'kisti6', 'pending']);
    await waiting(atSite.body.applicationId);
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${atSite.body.applicationId}/withdraw`)).body.gate).toBe('rejected');
  });

  it('a dataset application still names its processing site: without siteId it is a 422 naming siteId', async () => {
    const { id } = await publishedDataset({ accessLevel: 'restricted' });
    await verifiedCopy(id, '1.0.0', 'hub');
    const r = await api(researcher, 'POST', `/v1/datasets/${id}/access-applications`, hubOnly());
    expect([r.status, r.body.error.details]).toEqual([422, [{ path: 'siteId', problem: 'is required: a dataset application names the site where the data is processed' }]]);
    // and the hub is no processing site for a dataset
    const hub = await api(researcher, 'POST', `/v1/datasets/${id}/access-applications`, hubOnly({ siteId: 'hub' }));
    expect([hub.status, paths(hub)]).toEqual([422, ['siteId']]);
    expect((await api(admin, 'GET', `/v1/datasets/${id}/access-applications`)).body.items).toEqual([]);
  });
});

describe('the gate, in Hugging Face terms', () => {
  it('is pending only while the committee may still decide, accepted once approved, rejected in every other final state', () => {
    expect(Object.fromEntries(APPLICATION_STATES.map((st) => [st, gateOf(st)]))).toEqual({
      submitted: 'pending',
      returned: 'rejected',
      approved: 'accepted',
      rejected: 'rejected',
      closed: 'rejected',
      revoked: 'rejected',
      error: 'rejected',
    });
  });
});
