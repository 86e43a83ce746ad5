// Verifying a site copy, on DynamoDB Local through the data hub's API: the job dispatched through
// the real jobs capability (to an in-memory site), its report read through the mounted root, and
// what each end does to the verification, the location, the version's manifest and the
// recommender's placement record (keys.dataset).
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { locationItem } from '../../../lambdas/datahub/store';
import { createHash } from 'node:crypto';
import { readDatasetSite, settleVerificationsAt } from '../../../lambdas/datahub/index';
import { ddb, mainTable } from '../../../lambdas/shared/store/client';
import { keys } from '../../../lambdas/shared/store/keys';
import { verificationsOf } from '../../../lambdas/datahub/verification-store';
import { api, DATASET, FILES, publishedDataset, ROLE_CALLERS } from './support';
import { finishJob, locPath, readVerificationApi, registerCopy, STORAGE_ROOT, useVerifyWorld, verify } from './verification-support';

const w = useVerifyWorld();
const S = ROLE_CALLERS.steward;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** What the job reports for a copy holding exactly FILES (train/part-0.jsonl "hello world", README.md "hello"). */
const GOOD = `${sha('hello')}\t5\tREADME.md\n${sha('hello world')}\t11\ttrain/part-0.jsonl\n`;
const TAMPERED = `${sha('hello')}\t5\tREADME.md\n${sha('hello wor1d')}\t11\ttrain/part-0.jsonl\n`;

const location = async (id: string, version: string, locationId = 'kisti6.scratch') => (await api(S, 'GET', `/v1/datasets/${id}/versions/${version}/locations`)).body.items.find((l: { locationId: string }) => l.locationId === locationId);
const placement = async (id: string) => (await ddb().send(new GetCommand({ TableName: mainTable(), Key: keys.dataset(id), ConsistentRead: true }))).Item;
/** Whether a search filtered to a site finds the dataset (the index's site filter, eventually consistent reads aside: DynamoDB Local is consistent). */
const foundAt = async (id: string, site: string) => (await api(S, 'GET', `/v1/datasets?site=${site}&limit=100`)).body.items.some((d: { id: string }) => d.id === id);
const manifest = async (id: string, version: string) => (await api(S, 'GET', `/v1/datasets/${id}/versions/${version}/manifest`)).body.items;

async function copyAtKisti6(): Promise<string> {
  const { id } = await publishedDataset();
  await registerCopy(id, '1.0.0');
  return id;
}

describe('a published version verified at kisti6, then re-verified after tampering', () => {
  test('verified: the location and the recommender learn it; tampered: failed naming the file, the manifest unchanged', async () => {
    const id = await copyAtKisti6();
    expect(await readDatasetSite(id)).toBeNull();
    expect(await foundAt(id, 'kisti6')).toBe(false);
    const before = await manifest(id, '1.0.0');

    const started = await verify(id, '1.0.0');

    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ state: 'running', mode: 'compare', siteId: 'kisti6', sitePath: '/scratch/kairr-datahub/corpus/v1', allocationId: 'alloc-k6', verificationId: expect.stringMatching(/^vfy-[0-9a-f]{26}$/) });
    expect(started.body.reportPath).toBe(`${STORAGE_ROOT}/datahub/verify/${started.body.verificationId}/report.tsv`);
    // the job runs as the steward's own site account, the script hashing the copy's folder
    const job = w.sites.jobOfDispatch(started.body.jobId)!;
    expect(job.req).toMatchObject({ user: 'steward1', account: 'kairr_alloc_k6' });
    expect(job.req.script).toContain("DIR='/scratch/kairr-datahub/corpus/v1'");
    expect((await readVerificationApi(id, '1.0.0', started.body.verificationId)).body.state).toBe('running');
    expect((await location(id, '1.0.0')).state).toBe('pending');

    finishJob(w, started.body, GOOD);
    const ended = await readVerificationApi(id, '1.0.0', started.body.verificationId);

    expect(ended.body).toMatchObject({ state: 'verified', files: 2, bytes: 16, problemCount: 0, endedAt: expect.any(String) });
    const verified = await location(id, '1.0.0');
    expect(verified).toMatchObject({ state: 'verified', lastVerifiedAt: ended.body.endedAt });
    expect(verified.reason).toBeUndefined();
    expect(await readDatasetSite(id)).toBe('kisti6');
    expect(await placement(id)).toMatchObject({ siteId: 'kisti6', version: '1.0.0', bytes: 16, sites: [{ siteId: 'kisti6', version: '1.0.0', bytes: 16 }] });
    // and the search's site filter finds it there (and not at spc)
    expect([await foundAt(id, 'kisti6'), await foundAt(id, 'spc')]).toEqual([true, false]);

    const again = await verify(id, '1.0.0');
    finishJob(w, again.body, TAMPERED);
    const failed = await readVerificationApi(id, '1.0.0', again.body.verificationId);

    expect(failed.body).toMatchObject({ state: 'failed', code: 'copy_mismatch', problemCount: 1, problems: [{ path: 'train/part-0.jsonl', problem: expect.stringContaining('SHA-256 differs') }] });
    const bad = await location(id, '1.0.0');
    expect(bad).toMatchObject({ state: 'failed', reason: expect.stringContaining('train/part-0.jsonl SHA-256 differs'), lastVerifiedAt: ended.body.endedAt });
    expect(await manifest(id, '1.0.0')).toEqual(before);
    // no verified copy is left: the recommender no longer places the dataset
    expect(await placement(id)).toBeUndefined();
    expect(await foundAt(id, 'kisti6')).toBe(false);
    // the first verification's record stands as it ended
    expect((await readVerificationApi(id, '1.0.0', started.body.verificationId)).body.state).toBe('verified');
  });

  test('reading an ended verification again changes nothing', async () => {
    const id = await copyAtKisti6();
    const v = (await verify(id, '1.0.0')).body;
    finishJob(w, v, GOOD);
    const first = await readVerificationApi(id, '1.0.0', v.verificationId);

    const second = await readVerificationApi(id, '1.0.0', v.verificationId);

    expect(second.body).toEqual(first.body);
  });
});

describe('settled by whatever learns that jobs ended at the site', () => {
  test('settleVerificationsAt records an ended job without anyone reading the verification, and leaves running ones running', async () => {
    const done = await copyAtKisti6();
    const busy = await copyAtKisti6();
    const a = (await verify(done, '1.0.0')).body;
    const b = (await verify(busy, '1.0.0')).body;
    finishJob(w, a, GOOD);

    const r = await settleVerificationsAt('kisti6', 'test-watcher');

    expect(r.settled).toBeGreaterThanOrEqual(1);
    expect((await verificationsOf(done, '1.0.0', 'kisti6.scratch'))[0]).toMatchObject({ verificationId: a.verificationId, state: 'verified' });
    expect((await location(done, '1.0.0')).state).toBe('verified');
    expect((await verificationsOf(busy, '1.0.0', 'kisti6.scratch'))[0]).toMatchObject({ verificationId: b.verificationId, state: 'running' });
  });
});

describe('retries and one verification at a time', () => {
  test('the same Idempotency-Key answers the same verification, and the site gets one job', async () => {
    const id = await copyAtKisti6();
    const submits = w.sites.submits;

    const a = await verify(id, '1.0.0', { key: 'same-key-123' });
    const b = await verify(id, '1.0.0', { key: 'same-key-123' });

    expect(a.status).toBe(202);
    expect(b.status).toBe(202);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(b.body.verificationId).toBe(a.body.verificationId);
    expect(w.sites.submits).toBe(submits + 1);
  });

  test('the same key with another body is refused, and no key at all is refused naming the header', async () => {
    const id = await copyAtKisti6();
    await verify(id, '1.0.0', { key: 'reused-key-456' });

    const other = await verify(id, '1.0.0', { key: 'reused-key-456', body: { allocationId: 'alloc-k6', resource: 'gh200', timeLimit: 10 } });
    const none = await verify(id, '1.0.0', { key: null });

    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
    expect(none.status).toBe(400);
    expect(none.body.error.details).toEqual([{ path: 'headers.Idempotency-Key', problem: expect.stringContaining('required') }]);
  });

  test('a second verification while one runs is refused', async () => {
    const id = await copyAtKisti6();
    const first = await verify(id, '1.0.0');

    const second = await verify(id, '1.0.0');

    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('verification_running');
    expect(second.body.error.details[0]).toMatchObject({ path: 'locationId', problem: expect.stringContaining(first.body.verificationId) });
  });
});

describe('a draft registered by path', () => {
  async function draftAtKisti6(withManifest: boolean): Promise<string> {
    const id = (await api(S, 'POST', '/v1/datasets', DATASET)).body.id as string;
    expect((await api(S, 'POST', `/v1/datasets/${id}/versions`, { version: '0.1.0' })).status).toBe(201);
    if (withManifest) expect((await api(S, 'PUT', `/v1/datasets/${id}/versions/0.1.0/manifest/pages/1`, { files: FILES })).status).toBe(200);
    await registerCopy(id, '0.1.0', 'big/corpus');
    return id;
  }

  test('without files it takes the manifest the job made', async () => {
    const id = await draftAtKisti6(false);
    const v = (await verify(id, '0.1.0')).body;
    expect(v.mode).toBe('adopt');

    finishJob(w, v, GOOD);
    const ended = await readVerificationApi(id, '0.1.0', v.verificationId);

    expect(ended.body).toMatchObject({ state: 'verified', mode: 'adopt', files: 2 });
    expect(await manifest(id, '0.1.0')).toEqual([
      { path: 'README.md', bytes: 5, sha256: sha('hello'), mediaType: 'text/markdown' },
      { path: 'train/part-0.jsonl', bytes: 11, sha256: sha('hello world'), mediaType: 'application/octet-stream' },
    ]);
    expect((await api(S, 'GET', `/v1/datasets/${id}/versions/0.1.0`)).body).toMatchObject({ files: 2, bytes: 16 });
    expect(await readDatasetSite(id)).toBe('kisti6');
  });

  test('with a manifest it is compared, and an extra file fails it without touching the manifest', async () => {
    const id = await draftAtKisti6(true);
    const v = (await verify(id, '0.1.0')).body;

    finishJob(w, v, `${GOOD}${sha('x')}\t1\tstray.tmp\n`);
    const ended = await readVerificationApi(id, '0.1.0', v.verificationId);

    expect(ended.body).toMatchObject({ state: 'failed', mode: 'compare', problems: [{ path: 'stray.tmp', problem: 'is at the site but not in the manifest' }] });
    expect((await location(id, '0.1.0')).state).toBe('failed');
    expect((await manifest(id, '0.1.0')).map((f: { path: string }) => f.path)).toEqual(['README.md', 'train/part-0.jsonl']);
  });
});

describe('jobs that could not check the copy', () => {
  test('a failed job fails the verification and leaves the location as it was', async () => {
    const id = await copyAtKisti6();
    const v = (await verify(id, '1.0.0')).body;

    finishJob(w, v, null, 'FAILED', 1);
    const ended = await readVerificationApi(id, '1.0.0', v.verificationId);

    expect(ended.body).toMatchObject({ state: 'failed', code: 'job_failed', reason: expect.stringContaining('FAILED, exit code 1') });
    expect((await location(id, '1.0.0')).state).toBe('pending');
  });

  test('a job that ended well without a readable report is report_unreachable, the location unchanged', async () => {
    const id = await copyAtKisti6();
    const v = (await verify(id, '1.0.0')).body;

    finishJob(w, v, null);
    const ended = await readVerificationApi(id, '1.0.0', v.verificationId);

    expect(ended.body).toMatchObject({ state: 'failed', code: 'report_unreachable' });
    expect((await location(id, '1.0.0')).state).toBe('pending');
  });

  test('a folder missing at the site fails the location (exit 66)', async () => {
    const id = await copyAtKisti6();
    const v = (await verify(id, '1.0.0')).body;

    finishJob(w, v, null, 'FAILED', 66);
    await readVerificationApi(id, '1.0.0', v.verificationId);

    expect(await location(id, '1.0.0')).toMatchObject({ state: 'failed', reason: expect.stringContaining('folder is not there at kisti6') });
  });
});

describe('bad requests: a 4xx naming the field, nothing written', () => {
  test('a body without allocationId, an unknown location, a malformed verification id', async () => {
    const id = await copyAtKisti6();

    const noAlloc = await verify(id, '1.0.0', { body: { resource: 'gh200' } });
    const unknown = await verify(id, '1.0.0', { locationId: 'kisti6.nowhere' });
    const badId = await api(S, 'GET', `${locPath('datasets', id, '1.0.0')}/verifications/not-an-id`);

    expect(noAlloc.status).toBe(400);
    expect(noAlloc.body.error.details.map((d: { path: string }) => d.path)).toContain('allocationId');
    expect(unknown.status).toBe(404);
    expect(badId.status).toBe(400);
    expect(badId.body.error.details[0].path).toBe('params.verificationId');
  });

  test('an allocation the steward is no member of is refused by the dispatch path; no verification is recorded', async () => {
    const id = await copyAtKisti6();
    const submits = w.sites.submits;

    const r = await verify(id, '1.0.0', { body: { allocationId: 'alloc-other', resource: 'gh200' } });

    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expect(w.sites.submits).toBe(submits);
    expect(await verificationsOf(id, '1.0.0', 'kisti6.scratch')).toEqual([]);
    // the location can still be verified: nothing is left running
    expect((await verify(id, '1.0.0')).status).toBe(202);
  });

  test('a site whose reports cannot come back is refused before any job', async () => {
    const id = await copyAtKisti6();
    expect((await api(S, 'POST', `/v1/datasets/${id}/versions/1.0.0/locations`, { siteId: 'spc', root: 'data', path: 'corpus' })).status).toBe(201);

    const spc = await verify(id, '1.0.0', { locationId: 'spc.data' });

    expect(spc.status).toBe(422);
    expect(spc.body.error).toMatchObject({ code: 'report_unreachable', details: [{ path: 'locationId', problem: expect.stringContaining('reportMount') }] });
  });

  test("the hub's own copy is checked at upload, not by a job", async () => {
    const id = await copyAtKisti6();
    const now = new Date().toISOString();
    await ddb().send(
      new PutCommand({ TableName: mainTable(), Item: locationItem({ artifactId: id, version: '1.0.0', locationId: 'hub', kind: 'hub', path: `${id}/1.0.0`, state: 'verified', createdAt: now, createdBy: S.sub, updatedAt: now }) }),
    );

    const r = await verify(id, '1.0.0', { locationId: 'hub' });

    expect(r.status).toBe(422);
    expect(r.body.error).toMatchObject({ code: 'location_not_at_site', details: [{ path: 'locationId' }] });
  });
});

describe('every role, both ways', () => {
  let id: string;
  let vid: string;
  beforeAll(async () => {
    id = await copyAtKisti6();
    const v = (await verify(id, '1.0.0')).body;
    finishJob(w, v, GOOD);
    vid = v.verificationId;
  });
  const callers = { anonymous: undefined, researcher: ROLE_CALLERS.researcher, steward: ROLE_CALLERS.steward, curator: ROLE_CALLERS.curator, admin: ROLE_CALLERS.admin, auditor: ROLE_CALLERS.auditor };

  test.each([
    ['anonymous', 401],
    ['researcher', 403],
    ['curator', 403],
    ['auditor', 403],
    ['steward', 202],
    ['admin', 202],
  ] as const)('POST verify as %s: %i', async (role, status) => {
    // each allowed caller verifies a copy of their own making, so two runs never meet
    const target = status === 202 ? await copyAtKisti6() : id;
    const r = await api(callers[role], 'POST', `${locPath('datasets', target, '1.0.0')}/verify`, { allocationId: 'alloc-k6', resource: 'gh200' }, { 'idempotency-key': `role-${role}-key` });

    expect(r.status).toBe(status);
  });

  test.each([
    ['anonymous', 401],
    ['researcher', 403],
    ['steward', 200],
    ['curator', 200],
    ['admin', 200],
    ['auditor', 200],
  ] as const)('GET a verification as %s: %i', async (role, status) => {
    const r = await api(callers[role], 'GET', `${locPath('datasets', id, '1.0.0')}/verifications/${vid}`);

    expect(r.status).toBe(status);
    if (status === 200) expect(r.body.state).toBe('verified');
  });
});
