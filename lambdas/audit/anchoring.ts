// Anchoring: on a schedule, the heads of every stream that moved since the last run are written as
// one anchor object (lambdas/domain/audit/anchor.ts) to the S3 bucket under Object Lock in
// compliance mode. Nobody can then rewrite a stream's history up to an anchored head, not even an
// admin with full access to DynamoDB: the rewritten events would no longer hash to the locked head.
//
// Which streams moved: the byTime index holds every event under its UTC day, sorted by time, with
// the event's stream, seq and hash. A run reads [watermark - OVERLAP, now) and keeps, per stream,
// the highest seq seen and its hash. Every head in an anchor is therefore a real event's hash at
// that seq (what the verifier compares). The overlap re-reads the last minutes of the previous run
// so that an event committed just before that run but not yet visible in the (eventually
// consistent) index is still anchored; re-anchoring a head is harmless.
//
// The run's cursor (watermark, the latest anchors) is an audited subject too (stream
// audit-anchors/cursor), updated with the same conditional write as everything else, so two
// concurrent runs cannot both advance it. Its own event is anchored by the next run that has
// anything else to anchor; a run that finds only that event writes nothing.
import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { buildAnchor, serializeAnchor, type AuditAnchor } from '../domain/audit';
import { ddb, mainTable } from '../shared/store/client';
import { auditStream, type ItemKey } from '../shared/store/keys';
import { commit, StaleWriteError, type AuditContext, type Item } from '../shared/store/write-path';
import { HOUR_MS, scanByTime } from './by-time';

export const CURSOR_SUBJECT = { type: 'audit-anchors', id: 'cursor' } as const;
export const CURSOR_STREAM = auditStream(CURSOR_SUBJECT.type, CURSOR_SUBJECT.id);
export const cursorKey = (): ItemKey => ({ pk: 'AUDIT#ANCHORS', sk: 'CURSOR' });

/** Re-read this much before the watermark (late-visible index entries). */
export const OVERLAP_MS = 10 * 60_000;
/** The first run looks back this far (a fresh deployment has nothing older). */
export const FIRST_RUN_LOOKBACK_DAYS = 366;
/** Anchors kept on the cursor for exports and GET /v1/audit/anchors; all stay in the bucket. */
export const RECENT_ANCHORS = 48;

export interface AnchorRef {
  key: string;
  versionId?: string;
  sha256: string;
  createdAt: string;
  heads: number;
}

export interface AnchorCursor {
  /** Everything with time < watermark - OVERLAP_MS was read by an earlier run. */
  watermark: string;
  runs: number;
  /** Newest first. */
  recent: AnchorRef[];
}

export async function readCursor(): Promise<{ cursor: AnchorCursor; item: Item } | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: cursorKey(), ConsistentRead: true }));
  if (!out.Item) return null;
  const { watermark, runs, recent } = out.Item as Record<string, unknown>;
  return { cursor: { watermark: String(watermark), runs: Number(runs ?? 0), recent: (recent as AnchorRef[]) ?? [] }, item: out.Item as Item };
}

/** The anchors an export should name: those made since its window opened, and always the newest. */
export function anchorsForExport(recent: readonly AnchorRef[], from: string): { key: string; sha256: string; createdAt: string }[] {
  const picked = recent.filter((a, i) => i === 0 || a.createdAt >= from);
  return picked.map((a) => ({ key: a.key, sha256: a.sha256, createdAt: a.createdAt }));
}

/** Per stream, the highest seq with time in [from, to) and its hash, read from the byTime index. */
export async function headsMovedBetween(from: string, to: string): Promise<Map<string, { seq: number; hash: string }>> {
  const heads = new Map<string, { seq: number; hash: string }>();
  await scanByTime(
    from,
    to,
    (items) => {
      for (const it of items) {
        const stream = String(it.pk);
        const seq = Number(it.sk);
        const cur = heads.get(stream);
        if (!cur || seq > cur.seq) heads.set(stream, { seq, hash: String(it.hash) });
      }
    },
    // The first run looks back a year, mostly empty: day slices there, hourly ones for an interval.
    { attributes: ['pk', 'sk', 'hash'], sliceMs: Date.parse(to) - Date.parse(from) > 2 * 86_400_000 ? 86_400_000 : HOUR_MS },
  );
  return heads;
}

/** anchors/2026/11/27/20261127T100000.000Z-1a2b3c4d5e6f.json: sorts by time; unique per content. */
export function anchorObjectKey(a: AuditAnchor): string {
  const t = a.createdAt;
  return `anchors/${t.slice(0, 4)}/${t.slice(5, 7)}/${t.slice(8, 10)}/${t.replace(/[-:]/g, '')}-${a.anchorHash.slice(0, 12)}.json`;
}

export type AnchorRunResult = { outcome: 'anchored'; ref: AnchorRef; anchor: AuditAnchor } | { outcome: 'nothing-moved'; scanned: { from: string; to: string } } | { outcome: 'superseded'; ref: AnchorRef };

export interface AnchorRunOptions {
  s3: S3Client;
  bucket: string;
  now?: Date;
  requestId?: string;
  /** Each anchor's own COMPLIANCE retention (the bucket's default applies too). */
  retentionDays?: number;
}

/** One anchoring run (the scheduled job's body). */
export async function anchorHeads(o: AnchorRunOptions): Promise<AnchorRunResult> {
  const now = o.now ?? new Date();
  const to = now.toISOString();
  const got = await readCursor();
  const from = got ? new Date(Date.parse(got.cursor.watermark) - OVERLAP_MS).toISOString() : new Date(now.getTime() - FIRST_RUN_LOOKBACK_DAYS * 86_400_000).toISOString();
  const heads = from < to ? await headsMovedBetween(from, to) : new Map();
  if (![...heads.keys()].some((s) => s !== CURSOR_STREAM)) return { outcome: 'nothing-moved', scanned: { from, to } };

  const anchor = buildAnchor(Object.fromEntries(heads), to);
  const body = serializeAnchor(anchor);
  const key = anchorObjectKey(anchor);
  // Locked in COMPLIANCE mode for retention.auditAnchorRetentionDays: by the bucket's default, and
  // by the object's own retention, which a later change of the default cannot shorten. A PUT to an
  // Object Lock bucket must carry a checksum: SHA-256.
  const lock = o.retentionDays ? { ObjectLockMode: 'COMPLIANCE' as const, ObjectLockRetainUntilDate: new Date(now.getTime() + o.retentionDays * 86_400_000) } : {};
  const put = await o.s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: key, Body: body, ContentType: 'application/json', ChecksumAlgorithm: 'SHA256', ...lock }));
  const ref: AnchorRef = { key, ...(put.VersionId ? { versionId: put.VersionId } : {}), sha256: createHash('sha256').update(body).digest('hex'), createdAt: anchor.createdAt, heads: anchor.heads.length };

  const ctx: AuditContext = { actor: { sub: 'system:audit-anchor', role: 'system' }, requestId: o.requestId ?? '', now };
  const next = { ...cursorKey(), watermark: to, runs: (got?.cursor.runs ?? 0) + 1, recent: [ref, ...(got?.cursor.recent ?? [])].slice(0, RECENT_ANCHORS) } as Item;
  try {
    await commit(ctx, { changes: [{ subject: { ...CURSOR_SUBJECT }, before: got?.item ?? null, after: next, action: 'audit.anchor', details: { key: ref.key, sha256: ref.sha256, heads: ref.heads, versionId: ref.versionId ?? null } }] });
  } catch (e) {
    // Another run advanced the cursor first. The object written here is a valid anchor all the same
    // (locked heads of real events); the other run's cursor names its own.
    if (e instanceof StaleWriteError) return { outcome: 'superseded', ref };
    throw e;
  }
  return { outcome: 'anchored', ref, anchor };
}
