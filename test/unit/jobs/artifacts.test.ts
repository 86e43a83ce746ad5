// A job's declared inputs and outputs (catalogue versions, `kairr:<artifactId>@<version>`), checked
// at dispatch through the data hub's face against DynamoDB Local: the real jobs and data hub
// handlers, a fake scheduler that records what it is asked to submit. Every refusal names its
// field, submits nothing and records no job; a restricted input needs a permit at the job's site.
import { handler as jobsHandler } from '../../../lambdas/jobs/handler';
import { jobsApi } from '../../../lambdas/jobs/api';
import { siteAccountsApi } from '../../../lambdas/connectors/site-accounts/api';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import type { SchedulerDriver, SubmitJobRequest } from '../../../lambdas/connectors/driver';
import { recordProvisioned } from '../../../lambdas/connectors/allocation-writes';
import { addMember } from '../../../lambdas/ledger/service';
import { recordVerifiedCopy } from '../../../lambdas/datahub';
import { grantWrites } from '../../../lambdas/datahub/permits';
import { commitDatahub } from '../../../lambdas/datahub/store';
import { resetDatahubConfig } from '../../../lambdas/datahub/config';
import type { PermitRecord } from '../../../lambdas/domain/datahub/permit';
import { apiOf, person } from '../../support/invoke';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from '../ledger/support';
import { api as hub, publishedDataset, ROLE_CALLERS } from '../datahub/support';

let fx: LedgerFixture;
let allocationId: string;
const submits: SubmitJobRequest[] = [];
const jobs = apiOf({ ...jobsApi, ...siteAccountsApi }, jobsHandler as never);
const operator = person('op-spc', ['site-operator'], ['spc']);
// the data hub support's steward and researcher, members of the allocation here
const steward = person(ROLE_CALLERS.steward.sub);
const researcher = person(ROLE_CALLERS.researcher.sub);
const base = { site: 'spc', resource: 'h200', script: '#!/bin/bash\ntrue\n', gpus: 1, timeLimit: 1 };
const dispatch = (who: ReturnType<typeof person>, extra: Record<string, unknown>) => jobs(who, 'POST', `/v1/allocations/${allocationId}/jobs`, { ...base, ...extra });
const ref = (id: string, v = '1.0.0') => `kairr:${id}@${v}`;
const ctx = system('catalogue');

const ds: Record<'atSpc' | 'atKisti6' | 'restricted' | 'output', string> = { atSpc: '', atKisti6: '', restricted: '', output: '' };

async function jobCount(): Promise<number> {
  const r = await jobs(steward, 'GET', `/v1/allocations/${allocationId}/jobs`);
  return r.body.items.length;
}

/** A refusal: the status and code, the fields named, and nothing submitted or recorded. */
async function expectRefused(who: ReturnType<typeof person>, extra: Record<string, unknown>, status: number, code: string, paths: string[]) {
  const [before, sent] = [await jobCount(), submits.length];
  const r = await dispatch(who, extra);
  expect({ status: r.status, code: r.body.error.code, paths: r.body.error.details.map((d: { path: string }) => d.path) }).toEqual({ status, code, paths });
  expect(submits.length).toBe(sent);
  expect(await jobCount()).toBe(before);
  return r.body.error as { message: string; details: { path: string; problem: string }[] };
}

beforeAll(async () => {
  fx = await ledgerFixture();
  process.env.DATAHUB_CONFIG = JSON.stringify({ siteStorage: { spc: { roots: [{ name: 'data', path: '/data/kairr' }] }, kisti6: { roots: [{ name: 'scratch', path: '/scratch/kairr' }] } } });
  resetDatahubConfig();
  const a = await newAllocation({ 'spc/h200': 1000 }, { startDate: '2026-01-01', endDate: '2099-12-31' });
  allocationId = a.id;
  for (const m of [steward, researcher]) await addMember(a.id, { sub: m.sub }, system('members'));
  await recordProvisioned(a.id, [{ resourceKey: 'spc/h200', siteId: 'spc', account: 'kairr-artifacts-test' }], system('provisioned'));
  for (const [m, login] of [
    [steward, 'ast1'],
    [researcher, 'ares9'],
  ] as const) {
    expect((await jobs(operator, 'PUT', `/v1/sites/spc/accounts/${m.sub}`, { username: login })).status).toBe(200);
  }
  useDriverFactory(
    (site) =>
      ({
        driver: 'fake',
        siteId: site.id,
        cluster: site.scheduler.cluster,
        submitJob: async (req: SubmitJobRequest) => {
          submits.push(req);
          return { jobId: String(5000 + submits.length), alreadySubmitted: false };
        },
        jobStatus: async (jobId: string) => ({ jobId, name: 'kairr.x', account: 'kairr-artifacts-test', user: 'ast1', partition: 'h200', state: 'PENDING', phase: 'pending', heldByBudget: false, gpus: 1 }),
      }) as unknown as SchedulerDriver,
  );
  ds.atSpc = (await publishedDataset({ name: { en: 'Copy at spc' } })).id;
  await recordVerifiedCopy(ds.atSpc, '1.0.0', 'spc', 'corpus/v1', 'system:test', ctx);
  ds.atKisti6 = (await publishedDataset({ name: { en: 'Copy at kisti6' } })).id;
  await recordVerifiedCopy(ds.atKisti6, '1.0.0', 'kisti6', 'corpus/v1', 'system:test', ctx);
  ds.restricted = (await publishedDataset({ name: { en: 'Restricted copy at spc' }, accessLevel: 'restricted' })).id;
  await recordVerifiedCopy(ds.restricted, '1.0.0', 'spc', 'restricted/v1', 'system:test', ctx);
  ds.output = (await publishedDataset({ name: { en: 'Written by jobs' } })).id;
  expect((await hub(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${ds.output}/versions`, { version: '2.0.0', changelog: 'made by a job' })).status).toBe(201);
});

afterAll(async () => {
  useDriverFactory(undefined);
  await fx?.stop();
});

describe('a job that declares what it reads and writes', () => {
  test('a member dispatches with an input copied at the site and a draft output of an artifact they steward: 201, recorded and shown', async () => {
    const r = await dispatch(steward, { inputs: [ref(ds.atSpc)], outputs: [ref(ds.output, '2.0.0')] });
    expect(r.status).toBe(201);
    expect(r.body.inputs).toEqual([{ ref: ref(ds.atSpc), artifactId: ds.atSpc, version: '1.0.0', kind: 'dataset', accessLevel: 'public', locationId: 'spc.pipelines' }]);
    expect(r.body.outputs).toEqual([{ ref: ref(ds.output, '2.0.0'), artifactId: ds.output, version: '2.0.0', kind: 'dataset', accessLevel: 'public' }]);
    expect(submits.at(-1)?.dispatchId).toBe(r.body.jobId);
    const got = await jobs(steward, 'GET', `/v1/allocations/${allocationId}/jobs/${r.body.jobId}`);
    expect(got.status).toBe(200);
    expect(got.body.inputs).toEqual(r.body.inputs);
    expect(got.body.outputs).toEqual(r.body.outputs);
  });

  test('another member may read the same public input (not an output: they do not steward it)', async () => {
    expect((await dispatch(researcher, { inputs: [ref(ds.atSpc)] })).status).toBe(201);
    await expectRefused(researcher, { outputs: [ref(ds.output, '1.0.0')] }, 422, 'output_not_writable', ['outputs[0]']);
  });

  test('a job without inputs or outputs shows neither', async () => {
    const r = await dispatch(researcher, {});
    expect(r.status).toBe(201);
    expect(r.body).not.toHaveProperty('inputs');
    expect(r.body).not.toHaveProperty('outputs');
  });

  test('the same retry (Idempotency-Key) answers the first job with its artifacts, and submits nothing more', async () => {
    const body = { ...base, inputs: [ref(ds.atSpc)] };
    const first = await jobs(steward, 'POST', `/v1/allocations/${allocationId}/jobs`, body, { 'idempotency-key': 'artifacts-retry-1' });
    const sent = submits.length;
    const again = await jobs(steward, 'POST', `/v1/allocations/${allocationId}/jobs`, body, { 'idempotency-key': 'artifacts-retry-1' });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(again.body.inputs).toEqual(first.body.inputs);
    expect(submits.length).toBe(sent);
  });
});

describe('each bad declaration is named, and nothing is submitted or recorded', () => {
  test('a reference that is not kairr:<artifactId>@<version> is a 400 naming it', async () => {
    const e = await expectRefused(steward, { inputs: [ref(ds.atSpc), `kairr:${ds.atSpc}`], outputs: ['ds-x@1.0.0'] }, 400, 'validation_failed', ['inputs[1]', 'outputs[0]']);
    expect(e.details[0].problem).toBe('must be a catalogue version, kairr:<artifactId>@<version>');
  });

  test('the same version twice is a 400 naming the repeat', async () => {
    const e = await expectRefused(steward, { inputs: [ref(ds.atSpc), ref(ds.atSpc)] }, 400, 'validation_failed', ['inputs[1]']);
    expect(e.details[0].problem).toBe('repeats inputs[0]');
  });

  test('an unknown artifact, or a version that does not exist, is 422 unknown_artifact', async () => {
    await expectRefused(steward, { inputs: [ref('ds-00000000000000000000000000'), ref(ds.atSpc, '9.9.9')] }, 422, 'unknown_artifact', ['inputs[0]', 'inputs[1]']);
  });

  test('a draft the caller may not read answers as unknown (a stranger learns nothing of it), as input or output', async () => {
    await expectRefused(researcher, { inputs: [ref(ds.output, '2.0.0')] }, 422, 'unknown_artifact', ['inputs[0]']);
    await expectRefused(researcher, { outputs: [ref(ds.output, '2.0.0')] }, 422, 'unknown_artifact', ['outputs[0]']);
  });

  test('an input with no verified copy at the job site is 422 no_copy_at_site, naming the site', async () => {
    const e = await expectRefused(steward, { inputs: [ref(ds.atKisti6)] }, 422, 'no_copy_at_site', ['inputs[0]']);
    expect(e.details[0].problem).toContain('has no verified copy at spc');
  });

  test('a published output is refused: published versions never change', async () => {
    const e = await expectRefused(steward, { outputs: [ref(ds.atSpc)] }, 422, 'output_not_writable', ['outputs[0]']);
    expect(e.details[0].problem).toContain('is published');
  });

  test('every problem at once: one 422 naming each field', async () => {
    await expectRefused(steward, { inputs: [ref(ds.atKisti6), ref('ds-00000000000000000000000000')], outputs: [ref(ds.atSpc)] }, 422, 'no_copy_at_site', ['inputs[0]', 'inputs[1]', 'outputs[0]']);
  });
});

describe('restricted inputs need a permit for the caller at the job site', () => {
  let seq = 0;
  async function grant(over: Partial<PermitRecord>): Promise<PermitRecord> {
    const id = `dhp-${String(++seq).padStart(26, '0')}`;
    const p: PermitRecord = {
      id,
      applicationId: `dha-${String(seq).padStart(26, '0')}`,
      datasets: [ds.restricted],
      versions: [],
      users: [researcher.sub],
      sites: ['spc'],
      start: new Date(Date.now() - 86_400_000).toISOString(),
      end: new Date(Date.now() + 86_400_000).toISOString(),
      grantedAt: new Date().toISOString(),
      grantedBy: ROLE_CALLERS.steward.sub,
      ...over,
    };
    const g = grantWrites(p);
    await commitDatahub(ctx, { changes: [g.change], sideWrites: g.sideWrites });
    return p;
  }

  test('without a permit: 403 permit_required naming the input (and nothing about its copies)', async () => {
    const e = await expectRefused(researcher, { inputs: [ref(ds.restricted)] }, 403, 'permit_required', ['inputs[0]']);
    expect(e.details[0].problem).toContain(`no permit for ${ds.restricted} at spc`);
    expect(e.message).not.toMatch(/restricted\/v1|cop(y|ies)/);
  });

  test('a problem no permit would fix is answered first (422), the permit after', async () => {
    await expectRefused(researcher, { inputs: [ref(ds.restricted), ref(ds.atKisti6)] }, 422, 'no_copy_at_site', ['inputs[1]']);
  });

  test('a permit at another site, or one that has ended, does not count', async () => {
    await grant({ sites: ['kisti6'] });
    await grant({ start: new Date(Date.now() - 3 * 86_400_000).toISOString(), end: new Date(Date.now() - 86_400_000).toISOString() });
    await expectRefused(researcher, { inputs: [ref(ds.restricted)] }, 403, 'permit_required', ['inputs[0]']);
  });

  test("with a permit at the site in force now, the job is dispatched and records the permit; the permit is the holder's alone", async () => {
    const p = await grant({});
    const r = await dispatch(researcher, { inputs: [ref(ds.restricted)] });
    expect(r.status).toBe(201);
    expect(r.body.inputs).toEqual([{ ref: ref(ds.restricted), artifactId: ds.restricted, version: '1.0.0', kind: 'dataset', accessLevel: 'restricted', locationId: 'spc.pipelines', permitId: p.id }]);
    await expectRefused(steward, { inputs: [ref(ds.restricted)] }, 403, 'permit_required', ['inputs[0]']);
  });
});

describe('who may dispatch with artifacts', () => {
  const inputs = () => [ref(ds.atSpc)];
  test.each([
    ['admin', person('admin-1', ['admin']), 403],
    ['auditor', person('auditor-1', ['auditor']), 403],
    ['reviewer', person('reviewer-1', ['reviewer']), 403],
    ['site operator', operator, 403],
    ['a researcher who is not a member', person('outsider-1'), 404],
  ])('%s: refused before the catalogue is asked', async (_n, who, status) => {
    const sent = submits.length;
    const r = await dispatch(who, { inputs: inputs() });
    expect(r.status).toBe(status);
    expect(submits.length).toBe(sent);
  });
});
