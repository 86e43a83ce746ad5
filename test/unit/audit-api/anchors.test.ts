// Anchoring on DynamoDB Local and fauxqs: which heads a run anchors, the anchor object, the
// cursor, concurrent runs; and what anchors are for: an export of a history rewritten end to end
// (every hash recomputed, so the export is internally consistent) still fails verification
// against an anchor taken before the rewrite.
import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { nextEvent, parseAnchor, verifyExport, type AuditEvent, type ChainHead, type ExportManifest } from '../../../lambdas/domain/audit';
import { auditItem } from '../../../lambdas/shared/store/write-path';
import { anchorHeads, CURSOR_STREAM, readCursor, anchorsForExport } from '../../../lambdas/audit/anchoring';
import { ANCHOR_BUCKET, as, at, auditFixture, auditor, download, memorySource, researcher, seedSubject, type AuditFixture } from './support';

let fx: AuditFixture;
const T1 = new Date(Date.now() - 60 * 60_000).toISOString(); // the first run, an hour ago
const streams: Record<string, AuditEvent[]> = {};

beforeAll(async () => {
  fx = await auditFixture();
  streams.a = await seedSubject('allocation', 'a-1', [at(T1, -120), at(T1, -90), at(T1, -60)]);
  streams.p = await seedSubject('proposal', 'p-1', [at(T1, -100), at(T1, -30)]);
});
afterAll(() => fx.stop());

const run = (minutesAfterT1: number) => anchorHeads({ s3: fx.s3, bucket: ANCHOR_BUCKET, now: new Date(at(T1, minutesAfterT1)), retentionDays: 1 });

async function anchorObject(key: string): Promise<{ text: string; sha256: string }> {
  const got = await fx.s3.send(new GetObjectCommand({ Bucket: ANCHOR_BUCKET, Key: key }));
  const text = await got.Body!.transformToString('utf8');
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}

describe('anchoring', () => {
  it('anchors the head of every stream that moved, in an object that parses and checks', async () => {
    const r = await run(0);
    if (r.outcome !== 'anchored') throw new Error(`expected an anchor, got ${r.outcome}`);
    expect(r.ref.key).toMatch(/^anchors\/\d{4}\/\d{2}\/\d{2}\/\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{12}\.json$/);
    const obj = await anchorObject(r.ref.key);
    expect(obj.sha256).toBe(r.ref.sha256);
    const anchor = parseAnchor(obj.text);
    expect(anchor.heads).toEqual([
      { stream: 'allocation/a-1', seq: 3, hash: streams.a[2].hash },
      { stream: 'proposal/p-1', seq: 2, hash: streams.p[1].hash },
    ]);
    const cursor = (await readCursor())!.cursor;
    expect(cursor).toMatchObject({ watermark: at(T1, 0), runs: 1, recent: [r.ref] });
  });

  it('writes nothing when only its own cursor moved', async () => {
    expect((await run(1)).outcome).toBe('nothing-moved');
    const listed = await fx.s3.send(new ListObjectsV2Command({ Bucket: ANCHOR_BUCKET, Prefix: 'anchors/' }));
    expect(listed.Contents).toHaveLength(1);
  });

  it('anchors only what moved since, including its own previous run, and events that became visible late', async () => {
    streams.p.push(...(await seedSubject('proposal', 'p-2', [at(T1, 2)])));
    const r = await run(3);
    if (r.outcome !== 'anchored') throw new Error(r.outcome);
    expect(r.anchor.heads.map((h) => [h.stream, h.seq])).toEqual([
      ['audit-anchors/cursor', 1],
      ['proposal/p-2', 1],
    ]);
    // Committed with a time before that run's watermark, but seen only now (inside the overlap).
    await seedSubject('dataset', 'd-late', [at(T1, 2.5)]);
    const late = await run(4);
    if (late.outcome !== 'anchored') throw new Error(late.outcome);
    expect(late.anchor.heads.map((h) => h.stream)).toEqual(expect.arrayContaining(['dataset/d-late', CURSOR_STREAM]));
  });

  it("lets one of two concurrent runs advance the cursor; the other's object is still a valid anchor", async () => {
    await seedSubject('model', 'm-1', [at(T1, 5)]);
    // Both runs read the cursor before either writes: each one's PUT waits until both have got there.
    let arrived = 0;
    let release!: () => void;
    const bothThere = new Promise<void>((r) => (release = r));
    const s3 = { send: async (cmd: Parameters<typeof fx.s3.send>[0]) => (++arrived === 2 && release(), await bothThere, fx.s3.send(cmd)) } as unknown as typeof fx.s3;
    const concurrent = (m: number) => anchorHeads({ s3, bucket: ANCHOR_BUCKET, now: new Date(at(T1, m)) });
    const [x, y] = await Promise.all([concurrent(6), concurrent(6.01)]);
    expect([x.outcome, y.outcome].sort()).toEqual(['anchored', 'superseded']);
    for (const r of [x, y]) if (r.outcome !== 'nothing-moved') expect(parseAnchor((await anchorObject(r.ref.key)).text).heads.map((h) => h.stream)).toContain('model/m-1');
    expect((await readCursor())!.cursor.runs).toBe(4);
  });

  it('names for an export the anchors made since its window opened, and always the newest', () => {
    const recent = [
      { key: 'k3', sha256: 'c', createdAt: '2026-01-03T00:00:00.000Z', heads: 1 },
      { key: 'k2', sha256: 'b', createdAt: '2026-01-02T00:00:00.000Z', heads: 1 },
      { key: 'k1', sha256: 'a', createdAt: '2026-01-01T00:00:00.000Z', heads: 1 },
    ];
    expect(anchorsForExport(recent, '2026-01-02T00:00:00.000Z').map((a) => a.key)).toEqual(['k3', 'k2']);
    expect(anchorsForExport(recent, '2027-01-01T00:00:00.000Z').map((a) => a.key)).toEqual(['k3']);
    expect(anchorsForExport([], '2026-01-01T00:00:00.000Z')).toEqual([]);
  });
});

describe('GET /v1/audit/anchors', () => {
  it('lists the latest anchors with presigned URLs that download exactly the locked bytes', async () => {
    const res = await as(auditor).get('/v1/audit/anchors');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(3);
    const newest = res.body.items[0];
    const body = await (await fetch(newest.url)).text();
    expect(createHash('sha256').update(body).digest('hex')).toBe(newest.sha256);
    expect(parseAnchor(body).heads).toHaveLength(newest.heads);
    expect((await as(researcher).get('/v1/audit/anchors')).status).toBe(403);
  });
});

describe('what anchors protect', () => {
  it('catches a history rewritten end to end after it was anchored, which the export alone cannot', async () => {
    // An insider with full write access to the audit table rewrites allocation/a-1 from seq 2 on,
    // recomputing every hash, so the chain is consistent again.
    const [e1, e2, e3] = streams.a;
    let head: ChainHead = { seq: e1.seq, hash: e1.hash };
    for (const e of [e2, e3]) {
      const { v: _v, seq: _s, prevHash: _p, hash: _h, ...fields } = e;
      const forged = nextEvent(head, { ...fields, reason: 'nothing happened here' });
      await fx.tables.doc.send(new PutCommand({ TableName: fx.tables.names.audit, Item: auditItem(forged) }));
      head = { seq: forged.seq, hash: forged.hash };
    }
    const res = await as(auditor).post('/v1/audit/exports', { from: at(T1, -180), to: at(T1, 60), format: 'jsonl', filters: { subjectType: 'allocation' } });
    expect(res.status).toBe(202);
    await fx.lambda.idle();
    const view = (await as(auditor).get(`/v1/audit/exports/${res.body.exportId}`)).body;
    expect(view.state).toBe('succeeded');
    const files = await download(view);
    const manifest = JSON.parse(files.get('manifest.json')!) as ExportManifest;
    expect(manifest.anchors.length).toBeGreaterThanOrEqual(1);

    // On its own, the rewritten export adds up: hashes, links, manifest.
    expect((await verifyExport(memorySource(files))).ok).toBe(true);
    // Against the anchors the auditor fetches from the locked bucket, it does not.
    const anchors = await Promise.all((await as(auditor).get('/v1/audit/anchors')).body.items.map(async (a: { key: string; url: string }) => ({ name: a.key, anchor: parseAnchor(await (await fetch(a.url)).text()) })));
    const report = await verifyExport(memorySource(files), { anchors });
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual(expect.arrayContaining([expect.objectContaining({ stream: 'allocation/a-1', seq: 3 })]));
  });
});
