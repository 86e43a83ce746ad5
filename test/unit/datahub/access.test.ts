// Access applications for restricted data through the data hub's API, in-process (docs/datahub.md,
// "Access to restricted data"): what a bad application is told (422 naming each field), idempotent
// applying, the committee's decisions (an approval grants the permit in the same transaction, and
// the permit opens locations and downloads), returning and re-applying, withdrawal, the four-eyes
// rule, revocation, and a flow that does not start leaving the application visibly in error. The
// flow is the real ASL file on the local Step Functions service (access-support.ts).
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { datahubKeys } from '../../../lambdas/shared/store/keys';
import { admin, allocation, applicationBody, auditOf, auditor, curator, executionArnOf, researcher, restrictedDataset, seedAllocation, steward, useAccessWorld, verifiedCopy } from './access-support';
import { api, publishedDataset, publishVersion, who, type ApiResult } from './support';

const w = useAccessWorld();
const paths = (r: ApiResult) => ((r.body?.error?.details ?? []) as { path: string }[]).map((d) => d.path).sort();
const apply = (datasetId: string, body: unknown, caller = researcher, headers: Record<string, string> = {}) => api(caller, 'POST', `/v1/datasets/${datasetId}/access-applications`, body, headers);
const decide = (appId: string, decision: string, caller = steward, comment = `${decision}: reviewed`) => api(caller, 'POST', `/v1/datahub/access-applications/${appId}/decision`, { decision, comment });
const files = (id: string, caller = researcher) => api(caller, 'GET', `/v1/datasets/${id}/versions/1.0.0/files/README.md`);
const locations = (id: string, caller = researcher) => api(caller, 'GET', `/v1/datasets/${id}/versions/1.0.0/locations`);
const stranger = who('stranger-1', 'researcher');
const dac1 = who('dac-1', 'researcher');
const dac2 = who('dac-2', 'researcher');

/** The flow's committee task for the application has its token stored (the flow waits for the committee). */
async function waiting(appId: string): Promise<void> {
  const executionArn = executionArnOf(w, appId);
  await w.sfn.tasks.waitFor({ executionArn, stateName: 'AwaitDecision' }, { timeoutMs: 10_000 });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const item = await w.fx.tables.doc.send(new QueryCommand({ TableName: w.fx.tables.names.main, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': datahubKeys.application(appId).pk } }));
    if (item.Items?.[0]?.taskToken) return;
    if (Date.now() > deadline) throw new Error(`the flow of ${appId} never stored its task token`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

let R: string; // restricted, committee = its steward (steward-1), copies at the hub and kisti6
beforeAll(async () => {
  await seedAllocation(allocation('alloc-r9', [researcher.sub, 'colleague-1', dac2.sub]));
  await seedAllocation(allocation('alloc-suspended', [researcher.sub], 'suspended'));
  await seedAllocation(allocation('alloc-theirs', ['someone-else']));
  R = await restrictedDataset();
});

describe('applying: every problem is a 422 naming its field, and nothing is written', () => {
  it('names acceptTerms, the period, a site with no verified copy, unpublished and deprecated versions, and users outside the allocation, all at once', async () => {
    const { id } = await publishedDataset({ accessLevel: 'restricted' });
    await verifiedCopy(id, '1.0.0', 'kisti6');
    await publishVersion(id, '1.1.0');
    const dep = await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/transitions`, { action: 'deprecate', successor: { artifactId: id, version: '1.1.0' }, reason: 'superseded' });
    expect(dep.status).toBe(200);
    const r = await apply(id, applicationBody('alloc-r9', { acceptTerms: false, end: '2020-01-01T00:00:00Z', siteId: 'spc', versions: ['1.0.0', '9.9.9'], users: ['colleague-1', 'outsider-7'] }));
    expect([r.status, r.body.error.code]).toEqual([422, 'application_invalid']);
    // an end in the past is before the start (now) as well
    expect(paths(r)).toEqual(['acceptTerms', 'end', 'end', 'siteId', 'users[1]', 'versions[0]', 'versions[1]']);
    const details = r.body.error.details as { path: string; problem: string }[];
    expect(details.filter((d) => d.path === 'end').map((d) => d.problem)).toEqual(['must be after start', 'is in the past']);
    const byPath = Object.fromEntries(details.map((d) => [d.path, d.problem]));
    expect(byPath).toMatchObject({ 'versions[0]': 'is deprecated', 'versions[1]': 'is not a published version of the dataset', 'users[1]': 'is not a member of allocation alloc-r9' });
    expect(byPath.siteId).toMatch(/holds no verified copy/);
    expect((await api(researcher, 'GET', '/v1/datahub/access-applications')).body.items.filter((a: { datasetId: string }) => a.datasetId === id)).toEqual([]);
  });

  it('names the period when it is longer than the policy allows, or ends before it starts', async () => {
    const long = await apply(R, applicationBody('alloc-r9', { end: new Date(Date.now() + 400 * 86_400_000).toISOString() }));
    expect([long.status, paths(long)]).toEqual([422, ['end']]);
    expect(long.body.error.details[0].problem).toMatch(/366 days/);
    const backwards = await apply(R, applicationBody('alloc-r9', { start: new Date(Date.now() + 10 * 86_400_000).toISOString(), end: new Date(Date.now() + 5 * 86_400_000).toISOString() }));
    expect([backwards.status, backwards.body.error.details]).toEqual([422, [{ path: 'end', problem: 'must be after start' }]]);
  });

  it('names the allocation when it is not active, or the applicant is not its member', async () => {
    const suspended = await apply(R, applicationBody('alloc-suspended'));
    expect([suspended.status, suspended.body.error.details]).toEqual([422, [{ path: 'allocationId', problem: 'is suspended; an application serves an active allocation' }]]);
    for (const allocationId of ['alloc-theirs', 'alloc-none']) {
      const r = await apply(R, applicationBody(allocationId));
      expect([r.status, r.body.error.details]).toEqual([422, [{ path: 'allocationId', problem: 'names no allocation you are a member of' }]]);
    }
  });

  it('a site copy that is pending or failed is no verified copy', async () => {
    const { id } = await publishedDataset({ accessLevel: 'restricted' });
    expect((await api(steward, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'scratch', path: 'pending' })).status).toBe(201);
    const r = await apply(id, applicationBody('alloc-r9'));
    expect([r.status, paths(r)]).toEqual([422, ['siteId']]);
  });

  it('refuses public and registered datasets with 422 not_restricted; a dataset named as a model, an unpublished model or an unknown dataset is 404; a malformed body 400', async () => {
    for (const accessLevel of ['public', 'registered']) {
      const { id } = await publishedDataset({ accessLevel });
      const r = await apply(id, applicationBody('alloc-r9'));
      expect([r.status, r.body.error.code, paths(r)]).toEqual([422, 'not_restricted', ['id']]);
    }
    expect((await apply('ds-00000000000000000000000000', applicationBody('alloc-r9'))).status).toBe(404);
    const { id: model } = await api(steward, 'POST', '/v1/models', { name: { en: 'm' }, description: { en: 'm' }, fieldOfScience: '1.2', licence: 'MIT', accessLevel: 'restricted' }).then((r) => r.body);
    // gated models take applications (gated-models.test.ts); one with no published version is not shown
    expect((await api(researcher, 'POST', `/v1/models/${model}/access-applications`, applicationBody('alloc-r9'))).status).toBe(404);
    expect((await api(researcher, 'POST', `/v1/models/${R}/access-applications`, applicationBody('alloc-r9'))).status).toBe(404);
    const bad = await apply(R, { ...applicationBody('alloc-r9'), acceptTerms: 'yes', extra: 1 });
    expect(bad.status).toBe(400);
    expect(paths(bad)).toEqual(expect.arrayContaining(['acceptTerms']));
  });
});

describe('an application, decided by the committee', () => {
  it('is idempotent: the same Idempotency-Key answers the first application, marked replayed, and starts one flow', async () => {
    const key = `apply-${process.pid}-${Date.now()}`;
    const body = applicationBody('alloc-r9', { purpose: 'idempotent apply' });
    const first = await apply(R, body, researcher, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await apply(R, body, researcher, { 'idempotency-key': key });
    expect([again.status, again.headers['idempotent-replayed'], again.body.applicationId]).toEqual([201, 'true', first.body.applicationId]);
    const mine = (await api(researcher, 'GET', '/v1/datahub/access-applications')).body.items.filter((a: { purpose: string }) => a.purpose === 'idempotent apply');
    expect(mine).toHaveLength(1);
    expect(w.sfn.executions.list({ stateMachineArn: w.machineArn }).filter((e) => e.executionArn.endsWith(first.body.applicationId))).toHaveLength(1);
    const reused = await apply(R, { ...body, purpose: 'something else' }, researcher, { 'idempotency-key': key });
    expect([reused.status, reused.body.error.code]).toEqual([409, 'idempotency_key_reused']);
    await waiting(first.body.applicationId);
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${first.body.applicationId}/withdraw`)).status).toBe(200);
  });

  it('approved: the application and the permit in one audited commit, the flow ends, and the permit opens locations and downloads', async () => {
    expect((await files(R)).status).toBe(404);
    expect((await locations(R)).status).toBe(403);
    const created = await apply(R, applicationBody('alloc-r9', { users: ['colleague-1'] }));
    expect(created.status).toBe(201);
    const app = created.body;
    expect(app).toMatchObject({ state: 'submitted', applicant: researcher.sub, users: [researcher.sub, 'colleague-1'], siteId: 'kisti6', terms: { digest: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(app).not.toHaveProperty('taskToken');
    await waiting(app.applicationId);
    // what the committee sees: the dataset's queue, and the application itself (never the task token)
    const queue = await api(steward, 'GET', `/v1/datasets/${R}/access-applications?state=submitted`);
    expect(queue.body.items.map((a: { applicationId: string }) => a.applicationId)).toContain(app.applicationId);
    expect(JSON.stringify(queue.body)).not.toContain('taskToken');

    const decided = await decide(app.applicationId, 'approve');
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ state: 'approved', permitId: `dhp-${app.applicationId.slice(4)}`, decisions: [{ decision: 'approve', by: steward.sub, comment: 'approve: reviewed' }] });
    const done = await w.sfn.executions.waitFor(executionArnOf(w, app.applicationId));
    expect(done.status).toBe('SUCCEEDED');

    // one transaction: the two audit events share their request, and the permit exists exactly as approved
    const appEvents = await auditOf(w.fx, `dh-application/${app.applicationId}`);
    const permitEvents = await auditOf(w.fx, `dh-permit/${decided.body.permitId}`);
    expect(appEvents.map((e) => e.action)).toEqual(['dataset.access-application.submit', 'dataset.access-application.await-committee', 'dataset.access-application.approve']);
    expect(permitEvents.map((e) => [e.action, e.actor])).toEqual([['dataset.permit.grant', steward.sub]]);
    expect(permitEvents[0].details).toMatchObject({ applicationId: app.applicationId, datasets: [R], users: [researcher.sub, 'colleague-1'], sites: ['kisti6'] });

    const permits = await api(researcher, 'GET', '/v1/datahub/permits');
    expect(permits.body.items).toEqual([expect.objectContaining({ id: decided.body.permitId, state: 'active', datasets: [R], sites: ['kisti6'], applicationId: app.applicationId, grantedBy: steward.sub })]);
    expect((await api(who('colleague-1', 'researcher'), 'GET', '/v1/datahub/permits')).body.items.map((p: { id: string }) => p.id)).toEqual([decided.body.permitId]);
    expect((await api(steward, 'GET', `/v1/datahub/permits?datasetId=${R}`)).body.items.map((p: { id: string }) => p.id)).toContain(decided.body.permitId);
    const dl = await files(R);
    expect(dl.status).toBe(302);
    expect((await locations(R)).body.items.map((l: { locationId: string }) => l.locationId).sort()).toEqual(['hub', 'kisti6.scratch']);
    expect((await files(R, stranger)).status).toBe(404);
    // a second decision is refused: the application is approved
    expect((await decide(app.applicationId, 'reject')).status).toBe(409);
  });

  it('revoked by the committee with a reason: the permit is no longer honoured and the application shows revoked', async () => {
    const [permit] = (await api(researcher, 'GET', '/v1/datahub/permits')).body.items;
    expect((await api(researcher, 'POST', `/v1/datahub/permits/${permit.id}/revoke`, { reason: 'mine' })).status).toBe(403);
    expect((await api(stranger, 'POST', `/v1/datahub/permits/${permit.id}/revoke`, { reason: 'x' })).status).toBe(404);
    expect((await api(steward, 'POST', `/v1/datahub/permits/${permit.id}/revoke`, {})).status).toBe(400);
    const r = await api(steward, 'POST', `/v1/datahub/permits/${permit.id}/revoke`, { reason: 'used outside the stated purpose' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'revoked', revokedBy: steward.sub, revokeReason: 'used outside the stated purpose' });
    expect((await files(R)).status).toBe(404);
    expect((await locations(R)).status).toBe(403);
    expect((await api(researcher, 'GET', `/v1/datahub/access-applications/${permit.applicationId}`)).body.state).toBe('revoked');
    expect((await auditOf(w.fx, `dh-permit/${permit.id}`)).map((e) => e.action)).toEqual(['dataset.permit.grant', 'dataset.permit.revoke']);
  });

  it('rejected: the flow ends, no permit is granted', async () => {
    const app = (await apply(R, applicationBody('alloc-r9', { purpose: 'to be rejected' }))).body;
    await waiting(app.applicationId);
    const r = await decide(app.applicationId, 'reject', steward, 'The purpose does not match the terms');
    expect(r.body).toMatchObject({ state: 'rejected', decisions: [{ decision: 'reject', comment: 'The purpose does not match the terms' }] });
    expect(r.body.permitId).toBeUndefined();
    expect((await w.sfn.executions.waitFor(executionArnOf(w, app.applicationId))).status).toBe('SUCCEEDED');
    expect((await api(researcher, 'GET', '/v1/datahub/permits')).body.items.filter((p: { applicationId: string }) => p.applicationId === app.applicationId)).toEqual([]);
    expect((await files(R)).status).toBe(404);
  });

  it("returned with the committee's comment: the applicant reads it and applies again (a returned application is not resubmitted)", async () => {
    const app = (await apply(R, applicationBody('alloc-r9', { purpose: 'too vague' }))).body;
    await waiting(app.applicationId);
    const returned = await decide(app.applicationId, 'return', steward, 'Say which experiments use the data');
    expect(returned.body).toMatchObject({ state: 'returned', decisions: [{ decision: 'return', comment: 'Say which experiments use the data' }] });
    expect((await w.sfn.executions.waitFor(executionArnOf(w, app.applicationId))).status).toBe('SUCCEEDED');
    const seen = await api(researcher, 'GET', `/v1/datahub/access-applications/${app.applicationId}`);
    expect(seen.body.decisions[0].comment).toBe('Say which experiments use the data');
    // deciding a returned application again is refused; the applicant applies anew
    expect((await decide(app.applicationId, 'approve')).status).toBe(409);
    const again = await apply(R, applicationBody('alloc-r9', { purpose: 'Pre-training experiments 1-3 of the proposal' }));
    expect([again.status, again.body.state]).toEqual([201, 'submitted']);
    await waiting(again.body.applicationId);
    // a returned application may still be withdrawn (closed), as a submitted one
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${app.applicationId}/withdraw`)).body.state).toBe('closed');
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${again.body.applicationId}/withdraw`)).body.state).toBe('closed');
  });

  it('withdrawn by its applicant only: the flow ends, a decision afterwards is refused', async () => {
    const app = (await apply(R, applicationBody('alloc-r9', { purpose: 'withdrawn later' }))).body;
    await waiting(app.applicationId);
    expect((await api(steward, 'POST', `/v1/datahub/access-applications/${app.applicationId}/withdraw`)).status).toBe(403);
    const r = await api(researcher, 'POST', `/v1/datahub/access-applications/${app.applicationId}/withdraw`);
    expect(r.body).toMatchObject({ state: 'closed', closedReason: 'withdrawn by the applicant' });
    expect((await w.sfn.executions.waitFor(executionArnOf(w, app.applicationId))).status).toBe('SUCCEEDED');
    expect((await decide(app.applicationId, 'approve')).status).toBe(409);
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${app.applicationId}/withdraw`)).status).toBe(409);
  });

  it("only the dataset's committee decides: a member never on their own application; others 403, or 404 where the application is not theirs to see", async () => {
    const id = await restrictedDataset({ committee: [dac1.sub, dac2.sub] });
    const app = (await apply(id, applicationBody('alloc-r9'), dac2)).body;
    expect(app.state).toBe('submitted');
    await waiting(app.applicationId);
    const own = await decide(app.applicationId, 'approve', dac2);
    expect([own.status, own.body.error.message]).toEqual([403, expect.stringMatching(/own application/)]);
    // an admin reads but does not decide; an auditor's role has no decision route
    expect((await decide(app.applicationId, 'approve', admin)).status).toBe(403);
    expect((await decide(app.applicationId, 'approve', auditor)).status).toBe(403);
    // a named committee replaces the stewards: the steward, like a stranger or a curator, is not shown the application
    for (const c of [steward, stranger, curator]) expect((await decide(app.applicationId, 'approve', c)).status).toBe(404);
    expect((await api(stranger, 'GET', `/v1/datahub/access-applications/${app.applicationId}`)).status).toBe(404);
    expect((await api(stranger, 'GET', `/v1/datasets/${id}/access-applications`)).status).toBe(403);
    const ok = await decide(app.applicationId, 'approve', dac1);
    expect([ok.status, ok.body.state, ok.body.decisions[0].by]).toEqual([200, 'approved', dac1.sub]);
    expect((await w.sfn.executions.waitFor(executionArnOf(w, app.applicationId))).status).toBe('SUCCEEDED');
  });
});

describe('a decision flow that does not start', () => {
  it('leaves the application in state error with the cause (503 to the applicant), never silently waiting', async () => {
    const real = process.env.DATAHUB_ACCESS_STATE_MACHINE_ARN!;
    process.env.DATAHUB_ACCESS_STATE_MACHINE_ARN = `${real}-missing`;
    let r: ApiResult;
    const key = `no-flow-${process.pid}-${Date.now()}`;
    const body = applicationBody('alloc-r9', { purpose: 'no flow' });
    try {
      r = await apply(R, body, researcher, { 'idempotency-key': key });
    } finally {
      process.env.DATAHUB_ACCESS_STATE_MACHINE_ARN = real;
    }
    expect([r.status, r.body.error.code]).toEqual([503, 'unavailable']);
    const [app] = (await api(researcher, 'GET', '/v1/datahub/access-applications')).body.items.filter((a: { purpose: string }) => a.purpose === 'no flow');
    expect(app).toMatchObject({ state: 'error', error: expect.stringMatching(/^the decision flow did not start: StateMachineDoesNotExist/) });
    expect((await auditOf(w.fx, `dh-application/${app.applicationId}`)).map((e) => e.action)).toEqual(['dataset.access-application.submit', 'dataset.access-application.error']);
    // visible to the committee, and no decision is possible on it
    expect((await api(steward, 'GET', `/v1/datasets/${R}/access-applications?state=error`)).body.items.map((a: { applicationId: string }) => a.applicationId)).toContain(app.applicationId);
    expect((await decide(app.applicationId, 'approve')).status).toBe(409);
    // a retry with the same key shows the application as it is (in error), not the stored "submitted"
    const retry = await apply(R, body, researcher, { 'idempotency-key': key });
    expect([retry.status, retry.headers['idempotent-replayed'], retry.body.applicationId, retry.body.state]).toEqual([201, 'true', app.applicationId, 'error']);
  });
});
