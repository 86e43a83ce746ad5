// Exports through the API and the worker, end to end on DynamoDB Local and fauxqs: the worker is
// started by a real Lambda Invoke (Event) on the local endpoint, writes the files to S3 through the
// multipart sink, and the export is downloaded through its presigned URLs and verified offline.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { hashEvent, verifyExport, type ExportManifest } from '../../../lambdas/domain/audit';
import { auditItem } from '../../../lambdas/shared/store/write-path';
import { runExportJob } from '../../../lambdas/audit/export-worker';
import { requeueExport, startExport, getExport } from '../../../lambdas/audit/exports';
import { ANCHOR_BUCKET, EXPORT_BUCKET, admin, as, at, auditFixture, auditor, download, memorySource, readFolder, researcher, seedSubject, type AuditFixture } from './support';

const BASE = '2026-03-10T23:50:00.000Z'; // the window crosses midnight UTC
let fx: AuditFixture;

beforeAll(async () => {
  fx = await auditFixture();
  await seedSubject('allocation', 'a-1', [at(BASE, 1), at(BASE, 2), at(BASE, 30)]); // seq 3 on the next day
  await seedSubject('proposal', 'p-1', [at(BASE, -120), at(BASE, 5), at(BASE, 6)]); // seq 1 before the window
  await seedSubject('call', 'c-1', [at(BASE, -600)]); // entirely before the window
  await seedSubject('allocation', 'a-0', [at(BASE, 3)]);
});
afterAll(() => fx.stop());

const WINDOW = { from: at(BASE, -60), to: at(BASE, 60) };

async function exportAndWait(body: Record<string, unknown>, headers?: Record<string, string>) {
  const res = await as(auditor).post('/v1/audit/exports', body, headers);
  expect(res.status).toBe(202);
  await fx.lambda.idle(); // the asynchronous invocation (and Lambda's retries) are done
  const got = await as(auditor).get(`/v1/audit/exports/${res.body.exportId}`);
  expect(got.status).toBe(200);
  return { created: res, view: got.body };
}

describe('POST /v1/audit/exports and GET /v1/audit/exports/{exportId}', () => {
  it('exports the window as JSONL: files and manifest downloaded by presigned URL verify offline', async () => {
    const { created, view } = await exportAndWait({ ...WINDOW, format: 'jsonl' });
    expect(created.body).toMatchObject({ state: 'queued', format: 'jsonl', from: WINDOW.from, to: WINDOW.to, requestedBy: auditor.sub, attempts: 0 });
    expect(view).toMatchObject({ state: 'succeeded', totalRecords: 6, streams: 3, attempts: 1, location: { bucket: EXPORT_BUCKET, prefix: `exports/${view.exportId}/` } });
    expect(view.urlsExpireAt).toEqual(expect.any(String));
    const files = await download(view);
    const manifest = JSON.parse(files.get('manifest.json')!) as ExportManifest;
    // Streams in byte order; a-1 crosses midnight whole; p-1 starts at seq 2, linked to seq 1's hash.
    expect(manifest.streams.map((s) => [s.stream, s.firstSeq, s.lastSeq])).toEqual([
      ['allocation/a-0', 1, 1],
      ['allocation/a-1', 1, 3],
      ['proposal/p-1', 2, 3],
    ]);
    expect(manifest.streams[2].firstPrevHash).not.toBe('0'.repeat(64));
    expect(manifest.chainHeads.map((h) => [h.stream, h.seq])).toEqual([
      ['allocation/a-0', 1],
      ['allocation/a-1', 3],
      ['proposal/p-1', 3],
    ]);
    expect(manifest.manifestHash).toBe(view.manifestHash);
    const report = await verifyExport(memorySource(files));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, records: 6 });
  });

  it('exports CSV with formula-like cells neutralised; an edited cell fails verification', async () => {
    const { view } = await exportAndWait({ ...WINDOW, format: 'csv' });
    expect(view.state).toBe('succeeded');
    const files = await download(view);
    const csv = files.get('events-00001.csv')!;
    expect(csv).toContain(`'=HYPERLINK(""x"") step 0`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
    expect((await verifyExport(memorySource(files))).ok).toBe(true);
    files.set('events-00001.csv', csv.replace('step 0', 'step 9'));
    const bad = await verifyExport(memorySource(files));
    expect(bad.ok).toBe(false);
    expect(bad.problems.map((p) => p.field)).toEqual(expect.arrayContaining(['hash', 'files[0].sha256']));
  });

  it('narrows to one subject type, or one subject (a whole stream, from before the window)', async () => {
    const byType = (await exportAndWait({ ...WINDOW, format: 'jsonl', filters: { subjectType: 'allocation' } })).view;
    expect(byType).toMatchObject({ state: 'succeeded', totalRecords: 4, streams: 2, filters: { subjectType: 'allocation' } });
    const one = (await exportAndWait({ from: at(BASE, -1000), to: at(BASE, 1000), format: 'csv', filters: { subjectType: 'proposal', subjectId: 'p-1' } })).view;
    expect(one).toMatchObject({ state: 'succeeded', totalRecords: 3, streams: 1 });
    const files = await download(one);
    const m = JSON.parse(files.get('manifest.json')!) as ExportManifest;
    expect(m.filters).toEqual({ subjectType: 'proposal', subjectId: 'p-1' });
    expect((await verifyExport(memorySource(files))).ok).toBe(true);
  });

  it('writes an empty export (manifest only) when nothing is in the window', async () => {
    const { view } = await exportAndWait({ from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z', format: 'jsonl' });
    expect(view).toMatchObject({ state: 'succeeded', totalRecords: 0, files: [] });
    expect((await verifyExport(memorySource(await download(view)))).ok).toBe(true);
  });

  it('audits the export itself: requested by the auditor, started and completed by the worker', async () => {
    const { view } = await exportAndWait({ ...WINDOW, format: 'jsonl', filters: { subjectType: 'call' } });
    const events = await as(auditor).get(`/v1/audit/events?subjectType=export&subjectId=${view.exportId}`);
    expect(events.status).toBe(200);
    expect(events.body.items.map((e: { action: string; actor: { role: string } }) => [e.action, e.actor.role])).toEqual([
      ['audit.export.request', 'auditor'],
      ['audit.export.start', 'system'],
      ['audit.export.complete', 'system'],
    ]);
    expect(events.body.items[2].details).toMatchObject({ totalRecords: 0, manifestHash: view.manifestHash });
  });

  it('replays a retried request with the same Idempotency-Key, and refuses the key with another body', async () => {
    const key = 'audit-export-key-1';
    const first = await exportAndWait({ ...WINDOW, format: 'jsonl' }, { 'idempotency-key': key });
    const before = fx.invoked.length;
    const again = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'jsonl' }, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ exportId: first.view.exportId, state: 'succeeded' });
    expect(fx.invoked.length).toBe(before); // finished: not started again
    const other = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'csv' }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');
  });

  it('creates one export, one request event and one worker start for two concurrent requests with the same key', async () => {
    const key = 'audit-export-race-1';
    const before = fx.invoked.length;
    const body = { ...WINDOW, format: 'csv', filters: { subjectType: 'call' } };
    const [a, b] = await Promise.all([as(auditor).post('/v1/audit/exports', body, { 'idempotency-key': key }), as(auditor).post('/v1/audit/exports', body, { 'idempotency-key': key })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.exportId).toBe(a.body.exportId);
    await fx.lambda.idle();
    const id = a.body.exportId as string;
    const events = await as(auditor).get(`/v1/audit/events?subjectType=export&subjectId=${id}`);
    expect(events.body.items.filter((e: { action: string }) => e.action === 'audit.export.request')).toHaveLength(1);
    expect(events.body.items.filter((e: { action: string }) => e.action === 'audit.export.start')).toHaveLength(1);
    // The loser may have re-invoked the worker while the export was still queued; a second start did nothing.
    expect(fx.invoked.length - before).toBeGreaterThanOrEqual(1);
    expect((await as(auditor).get(`/v1/audit/exports/${id}`)).body.state).toBe('succeeded');
  });

  it('names each bad field (400)', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ ...WINDOW, format: 'xlsx' }, 'format'],
      [{ from: WINDOW.to, to: WINDOW.from, format: 'csv' }, 'to'],
      [{ from: 'yesterday', to: WINDOW.to, format: 'csv' }, 'from'],
      [{ ...WINDOW, format: 'csv', filters: { actor: 'admin-1' } }, 'filters.actor'],
      [{ ...WINDOW, format: 'csv', filters: { action: 'ledger.usage' } }, 'filters.action'],
      [{ ...WINDOW, format: 'csv', filters: { subjectId: 'p-1' } }, 'filters.subjectType'],
      [{ ...WINDOW, format: 'csv', filters: { subjectType: 'Bad Type' } }, 'filters.subjectType'],
      [{ from: '2000-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z', format: 'csv' }, 'to'],
      [{ ...WINDOW, format: 'csv', extra: 1 }, 'extra'],
    ];
    for (const [body, path] of cases) {
      const res = await as(auditor).post('/v1/audit/exports', body);
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    }
    const bad = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'csv' }, { 'idempotency-key': 'no spaces allowed' });
    expect(bad.status).toBe(400);
  });

  it('is for auditors only: researchers and admins get 403; an unknown export is 404', async () => {
    for (const who of [researcher, admin]) {
      expect((await as(who).post('/v1/audit/exports', { ...WINDOW, format: 'csv' })).status).toBe(403);
      expect((await as(who).get('/v1/audit/exports')).status).toBe(403);
    }
    expect((await as(auditor).get('/v1/audit/exports/exp-00000000000000000000000000')).status).toBe(404);
    expect((await as(auditor).get('/v1/audit/exports/not-an-id')).status).toBe(400);
  });

  it('lists exports newest first, with an opaque nextToken', async () => {
    const page1 = await as(auditor).get('/v1/audit/exports?limit=2');
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(2);
    expect(page1.body.items[0].requestedAt >= page1.body.items[1].requestedAt).toBe(true);
    const page2 = await as(auditor).get(`/v1/audit/exports?limit=2&nextToken=${page1.body.nextToken}`);
    expect(page2.body.items[0].exportId).not.toBe(page1.body.items[1].exportId);
    expect((await as(auditor).get('/v1/audit/exports?nextToken=garbage')).status).toBe(400);
  });
});

describe('export failures', () => {
  it('answers 503 and marks the export failed when the worker cannot be started', async () => {
    const fn = process.env.EXPORT_WORKER_FUNCTION;
    process.env.EXPORT_WORKER_FUNCTION = 'no-such-function';
    try {
      const res = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'csv' });
      expect(res.status).toBe(503);
      const list = await as(auditor).get('/v1/audit/exports?limit=1');
      expect(list.body.items[0]).toMatchObject({ state: 'failed', error: { code: 'worker_unavailable' } });
    } finally {
      process.env.EXPORT_WORKER_FUNCTION = fn;
    }
  });

  it('exports tampered events as stored; a broken link is listed; the verifier names every one', async () => {
    const events = await seedSubject('dataset', 'd-tamper', [at(BASE, 10), at(BASE, 11), at(BASE, 12)]);
    // seq 1: content edited, hash kept (the writer trusts stored hashes: not listed, the verifier finds it).
    await fx.tables.doc.send(new PutCommand({ TableName: fx.tables.names.audit, Item: auditItem({ ...events[0], reason: 'rewritten afterwards' }) }));
    // seq 2: content edited and re-hashed, so seq 3's link to it breaks (listed at export time).
    const edited = { ...events[1], reason: 're-hashed afterwards' };
    await fx.tables.doc.send(new PutCommand({ TableName: fx.tables.names.audit, Item: auditItem({ ...edited, hash: hashEvent(edited) }) }));
    const { view } = await exportAndWait({ ...WINDOW, format: 'jsonl', filters: { subjectType: 'dataset' } });
    expect(view).toMatchObject({ state: 'succeeded', anomalies: [expect.objectContaining({ stream: 'dataset/d-tamper', seq: 3, field: 'prevHash' })] });
    const report = await verifyExport(memorySource(await download(view)));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => [p.seq, p.field])).toEqual(
      expect.arrayContaining([
        [1, 'hash'],
        [3, 'prevHash'],
      ]),
    );
  });

  it('fails (no manifest, no partial upload) on an event it cannot write, and says why', async () => {
    const [e] = await seedSubject('model', 'm-bad', [at(BASE, 12)]);
    await fx.tables.doc.send(new PutCommand({ TableName: fx.tables.names.audit, Item: { ...auditItem(e), actor: 'not an object' } }));
    const { view } = await exportAndWait({ ...WINDOW, format: 'csv', filters: { subjectType: 'model' } });
    expect(view).toMatchObject({ state: 'failed', error: { code: 'invalid_event', message: expect.stringContaining('model/m-bad') } });
    expect(view.files).toBeUndefined();
    const left = await fx.s3.send(new ListObjectsV2Command({ Bucket: EXPORT_BUCKET, Prefix: `exports/${view.exportId}/` }));
    expect(left.Contents ?? []).toEqual([]);
  });

  it('stops before the time limit and records it as timed out', async () => {
    fx.setWorker(async () => undefined); // hold the worker back: this test runs it itself
    const held = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'jsonl', filters: { subjectType: 'allocation' } });
    await fx.lambda.idle();
    fx.setWorker(null);
    const rec = await runExportJob(held.body.exportId, { requestId: 'test-timeout', remainingMs: () => 1_000 });
    expect(rec).toMatchObject({ state: 'failed', error: { code: 'timed_out' } });
  });

  it('starts an export once when its invocation is delivered twice', async () => {
    fx.setWorker(async () => undefined);
    const held = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'csv', filters: { subjectType: 'proposal' } });
    await fx.lambda.idle();
    fx.setWorker(null);
    const [a, b] = await Promise.all([runExportJob(held.body.exportId, { requestId: 'dup-a' }), runExportJob(held.body.exportId, { requestId: 'dup-b' })]);
    expect([a.state, b.state].sort()).toEqual(['running', 'succeeded']);
    const events = await as(auditor).get(`/v1/audit/events?subjectType=export&subjectId=${held.body.exportId}&action=audit.export.start`);
    expect(events.body.items).toHaveLength(1);
  });

  it('runs again after a transient failure (requeued), and gives up after three attempts', async () => {
    fx.setWorker(async () => undefined);
    const held = await as(auditor).post('/v1/audit/exports', { ...WINDOW, format: 'csv', filters: { subjectType: 'call' } });
    await fx.lambda.idle();
    fx.setWorker(null);
    const id = held.body.exportId as string;
    const ctx = { actor: { sub: 'system:test', role: 'system' }, requestId: 'transient' };
    // Attempt 1 "failed transiently": the worker put it back to queued before rethrowing.
    expect((await startExport(id, ctx, { staleAfterMs: 60_000 })).started).toBe(true);
    await requeueExport(id, 'ThrottlingException', ctx);
    expect(await getExport(id)).toMatchObject({ state: 'queued', attempts: 1 });
    // A run still in progress is not started twice...
    expect((await startExport(id, ctx, { staleAfterMs: 60_000 })).started).toBe(true);
    expect(await startExport(id, ctx, { staleAfterMs: 60_000 })).toMatchObject({ started: false, why: 'running' });
    // ...unless it started longer ago than the worker may run (it was killed at its time limit).
    expect(await startExport(id, ctx, { staleAfterMs: 0 })).toMatchObject({ started: true, record: { attempts: 3 } });
    const rec = await runExportJob(id, { requestId: 'last', now: new Date(Date.now() + 3_600_000) });
    expect(rec).toMatchObject({ state: 'failed', error: { code: 'attempts_exhausted' } });
  });
});

describe('buckets', () => {
  it('never writes into the anchor bucket from an export', async () => {
    const anchors = await readFolder(fx.s3, ANCHOR_BUCKET, '');
    expect([...anchors.keys()].filter((k) => !k.startsWith('anchors/'))).toEqual([]);
  });
});
