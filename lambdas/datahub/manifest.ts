// Manifest pages. A page's files are items of their own (DHMAN#id#version / F#path), written with
// BatchWriteItem, and then the page is committed on the version (audited: its file count, bytes and
// digest). Only committed pages count: a file item whose page was never committed (a crash between
// the two steps) is invisible and is overwritten by the retry. Paths are unique across pages:
// a page is refused when one of its paths is already in another page, and submitting re-counts
// every page's files, so a race between two pages is caught before curation.
import { BatchGetCommand, BatchWriteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { datahubKeys } from '../shared/store/keys';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { retryOnStale, type AuditContext } from '../shared/store/write-path';
import { ConflictError, ForbiddenError, NotFoundError, PayloadTooLargeError, RuleViolationError, ValidationError } from '../domain/errors';
import { canEdit, canReadArtifact, canReadVersion, type Viewer } from '../domain/datahub/access';
import { assertMutable } from '../domain/datahub/lifecycle';
import { mergeFormats, pageLimitProblem, pageSummary, totals, validatePage, type Problem } from '../domain/datahub/manifest';
import type { Artifact, ArtifactKind, ManifestFile, Version } from '../domain/datahub/model';
import { commitDatahub as commitSet, queryAllPrefix, readArtifactAndVersion, uploadOf, versionChange } from './store';
import type { ManifestPageBody } from './schemas';

export interface WriteStats {
  requests: number;
  consumedWcu: number;
  readUnits: number;
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

const fileItem = (id: string, version: string, page: number, f: ManifestFile) => ({ ...datahubKeys.manifestFile(id, version, f.path), ...f, page });

/** Paths of the page already in another page of the version (one wave of BatchGetItem). */
async function pathsInOtherPages(id: string, version: string, page: number, files: ManifestFile[], stats: WriteStats): Promise<{ path: string; page: number }[]> {
  const found: { path: string; page: number }[] = [];
  const batches: ManifestFile[][] = [];
  for (let i = 0; i < files.length; i += 100) batches.push(files.slice(i, i + 100));
  await pool(batches, 10, async (batch) => {
    let keys: Record<string, unknown>[] | undefined = batch.map((f) => ({ ...datahubKeys.manifestFile(id, version, f.path) }));
    while (keys?.length) {
      const out = await ddb().send(new BatchGetCommand({ RequestItems: { [mainTable()]: { Keys: keys, ProjectionExpression: '#p, #pg', ExpressionAttributeNames: { '#p': 'path', '#pg': 'page' } } }, ReturnConsumedCapacity: 'TOTAL' }));
      stats.requests++;
      stats.readUnits += (out.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      for (const it of out.Responses?.[mainTable()] ?? []) if (it.page !== page) found.push({ path: String(it.path), page: Number(it.page) });
      keys = out.UnprocessedKeys?.[mainTable()]?.Keys as Record<string, unknown>[] | undefined;
    }
  });
  return found;
}

export async function batchWrite(items: Record<string, unknown>[], stats: WriteStats, concurrency = 8): Promise<void> {
  const batches: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  await pool(batches, concurrency, async (batch) => {
    let req: { PutRequest: { Item: Record<string, unknown> } }[] | undefined = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; req?.length; attempt++) {
      const out = await ddb().send(new BatchWriteCommand({ RequestItems: { [mainTable()]: req }, ReturnConsumedCapacity: 'TOTAL' }));
      stats.requests++;
      stats.consumedWcu += (out.ConsumedCapacity ?? []).reduce((s, c) => s + (c.CapacityUnits ?? 0), 0);
      req = out.UnprocessedItems?.[mainTable()] as typeof req;
      if (req?.length) await new Promise((r) => setTimeout(r, Math.min(1000, 20 * 2 ** attempt)));
    }
  });
}

function editable(a: Artifact, v: Version | undefined, viewer: Viewer, id: string, version: string): Version {
  if (!v || !canReadVersion(a, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  if (!canEdit(a, viewer)) throw new ForbiddenError('Only a steward of the artifact (or an admin) changes its manifest');
  assertMutable(v, 'its manifest');
  return v;
}

export async function putPage(kind: ArtifactKind, id: string, version: string, pageNo: number, body: ManifestPageBody, viewer: Viewer, ctx: AuditContext, stats: WriteStats = { requests: 0, consumedWcu: 0, readUnits: 0 }): Promise<Version> {
  const { files, problems } = validatePage(body.files);
  if (problems.length)
    throw new ValidationError(
      problems,
      `The manifest page is invalid: ${problems
        .slice(0, 5)
        .map((p) => `${p.path} ${p.problem}`)
        .join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`,
    );
  const summary = pageSummary(files);
  const first = await readArtifactAndVersion(kind, id, version);
  const v0 = editable(first.artifact, first.version, viewer, id, version);
  const existing = v0.pages[String(pageNo)];
  if (existing) {
    if (existing.digest === summary.digest) return v0;
    throw new ConflictError(`Page ${pageNo} holds other files; delete it first to replace it`, [{ path: 'params.page', problem: 'is registered with other files' }], 'page_exists');
  }
  const limit = pageLimitProblem(v0.pages, pageNo, files.length);
  if (limit) throw limit.path === 'files' ? new PayloadTooLargeError(`The manifest ${limit.problem}`, [limit]) : new ValidationError([limit]);
  const clash = await pathsInOtherPages(id, version, pageNo, files, stats);
  const committed = clash.filter((c) => v0.pages[String(c.page)]);
  if (committed.length)
    throw new ConflictError(
      `${committed.length} path(s) of this page are in other pages already`,
      committed.slice(0, 20).map((c) => ({ path: `files[${files.findIndex((f) => f.path === c.path)}].path`, problem: `"${c.path}" is already in page ${c.page}` })),
      'path_in_other_page',
    );
  await batchWrite(
    files.map((f) => fileItem(id, version, pageNo, f)),
    stats,
  );
  return retryOnStale(async () => {
    const cur = await readArtifactAndVersion(kind, id, version);
    const v = editable(cur.artifact, cur.version, viewer, id, version);
    const prior = v.pages[String(pageNo)];
    if (prior) {
      if (prior.digest === summary.digest) return v;
      throw new ConflictError(`Page ${pageNo} was registered with other files at the same time`, [{ path: 'params.page', problem: 'is registered with other files' }], 'page_exists');
    }
    const pages = { ...v.pages, [String(pageNo)]: summary };
    const t = totals(pages);
    const next: Version = { ...v, pages, files: t.files, bytes: t.bytes, formats: mergeFormats(v.formats, files) };
    await commitDatahub(ctx, next, cur.versionItem!, pageNo, summary);
    return next;
  });
}

async function commitDatahub(ctx: AuditContext, next: Version, before: Record<string, unknown>, pageNo: number, summary: { files: number; bytes: number; digest: string } | null) {
  await commitSet(ctx, { changes: [versionChange(before as never, next, `${next.kind}.version.manifest.${summary ? 'page' : 'delete-page'}`, { page: pageNo, ...(summary ?? {}) })] });
}

async function pageFiles(id: string, version: string, pageNo: number): Promise<Record<string, unknown>[]> {
  const { pk, skPrefix } = datahubKeys.manifestPrefix(id, version);
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await ddb().send(
      new QueryCommand({
        TableName: mainTable(),
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        FilterExpression: '#pg = :n',
        ExpressionAttributeNames: { '#pg': 'page' },
        ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix, ':n': pageNo },
        ExclusiveStartKey: start,
        ProjectionExpression: 'pk, sk',
      }),
    );
    out.push(...((res.Items ?? []) as Record<string, unknown>[]));
    start = res.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function deletePage(kind: ArtifactKind, id: string, version: string, pageNo: number, viewer: Viewer, ctx: AuditContext): Promise<Version> {
  const next = await retryOnStale(async () => {
    const cur = await readArtifactAndVersion(kind, id, version);
    const v = editable(cur.artifact, cur.version, viewer, id, version);
    if (!v.pages[String(pageNo)]) throw new NotFoundError('Manifest page', `${id}@${version}#${pageNo}`);
    const { [String(pageNo)]: _gone, ...pages } = v.pages;
    const t = totals(pages);
    const n: Version = { ...v, pages, files: t.files, bytes: t.bytes };
    await commitDatahub(ctx, n, cur.versionItem!, pageNo, null);
    return n;
  });
  // The page no longer counts; its file items are removed after (left-overs are invisible).
  const items = await pageFiles(id, version, pageNo);
  for (let i = 0; i < items.length; i += 25) {
    await ddb().send(new BatchWriteCommand({ RequestItems: { [mainTable()]: items.slice(i, i + 25).map((k) => ({ DeleteRequest: { Key: { pk: k.pk, sk: k.sk } } })) } }));
  }
  return next;
}

export async function listManifest(kind: ArtifactKind, id: string, version: string, viewer: Viewer, limit: number, nextToken: string | undefined): Promise<{ items: ManifestFile[]; nextToken?: string }> {
  const cur = await readArtifactAndVersion(kind, id, version);
  const v = cur.version;
  if (!canReadArtifact(cur.artifact, viewer) || !v || !canReadVersion(cur.artifact, v.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  const { pk, skPrefix } = datahubKeys.manifestPrefix(id, version);
  const res = await ddb().send(
    new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix }, ExclusiveStartKey: decodeToken(nextToken, pk), Limit: limit }),
  );
  const items = (res.Items ?? []).filter((it) => v.pages[String(it.page)]).map((it) => ({ path: String(it.path), bytes: Number(it.bytes), sha256: String(it.sha256), mediaType: String(it.mediaType) }));
  return { items, nextToken: encodeToken(res.LastEvaluatedKey, pk) };
}

/** Every committed file of a version (for renderings: the first `max`). */
export async function manifestFiles(id: string, v: Version, max: number): Promise<ManifestFile[]> {
  const { pk, skPrefix } = datahubKeys.manifestPrefix(id, v.version);
  const out: ManifestFile[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await ddb().send(
      new QueryCommand({ TableName: mainTable(), KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': pk, ':p': skPrefix }, ExclusiveStartKey: start, Limit: Math.min(1000, max - out.length) }),
    );
    for (const it of res.Items ?? []) if (v.pages[String(it.page)]) out.push({ path: String(it.path), bytes: Number(it.bytes), sha256: String(it.sha256), mediaType: String(it.mediaType) });
    start = res.LastEvaluatedKey;
  } while (start && out.length < max);
  return out;
}

/**
 * Before a version leaves draft: every committed page's files are all there (no path was taken by
 * two pages), and every upload into the hub is verified against the manifest's SHA-256 and size.
 * Names what is wrong; throws nothing when the version is ready for curation.
 */
export async function checkManifestForSubmit(a: Artifact, v: Version, _ctx: AuditContext): Promise<void> {
  const items = await queryAllPrefix(datahubKeys.manifestPrefix(a.id, v.version).pk, 'F#');
  const perPage = new Map<string, number>();
  const byPath = new Map<string, Record<string, unknown>>();
  for (const it of items) {
    if (!v.pages[String(it.page)]) continue;
    perPage.set(String(it.page), (perPage.get(String(it.page)) ?? 0) + 1);
    byPath.set(String(it.path), it);
  }
  const short: Problem[] = [];
  for (const [n, p] of Object.entries(v.pages))
    if ((perPage.get(n) ?? 0) !== p.files)
      short.push({ path: `manifest.pages.${n}`, problem: `lists ${p.files} files but ${perPage.get(n) ?? 0} are its own: another page registered the same path(s) at the same time; delete and re-send one of them` });
  if (short.length) throw new RuleViolationError('The manifest has a path in two pages', short, 'manifest_inconsistent');
  const { pk } = datahubKeys.uploadPrefix(a.id, v.version);
  const uploads = (await queryAllPrefix(pk, datahubKeys.uploadPrefix(a.id, v.version).skPrefix)).map(uploadOf);
  const latest = new Map<string, (typeof uploads)[number]>();
  for (const u of uploads.sort((x, y) => x.createdAt.localeCompare(y.createdAt))) latest.set(u.path, u);
  const problems: Problem[] = [];
  for (const [path, u] of latest) {
    const f = byPath.get(path);
    if (!f) problems.push({ path: `uploads.${u.uploadId}`, problem: `uploaded "${path}", which is no longer in the manifest` });
    else if (u.state === 'failed') problems.push({ path: `uploads.${u.uploadId}`, problem: `"${path}" did not match its SHA-256: ${u.reason ?? 'checksum mismatch'}; upload it again` });
    else if (u.state === 'open') problems.push({ path: `uploads.${u.uploadId}`, problem: `"${path}" is still uploading: complete or restart it` });
    else if (u.sha256 !== f.sha256 || u.bytes !== f.bytes) problems.push({ path: `uploads.${u.uploadId}`, problem: `"${path}" was uploaded with another SHA-256 or size than the manifest now states` });
  }
  if (latest.size > 0) for (const path of byPath.keys()) if (!latest.has(path)) problems.push({ path: 'uploads', problem: `"${path}" has no upload: a hub copy holds every file of the version` });
  if (problems.length) throw new RuleViolationError("The hub's uploads do not match the manifest", problems.slice(0, 50), 'upload_checksum_mismatch');
}
