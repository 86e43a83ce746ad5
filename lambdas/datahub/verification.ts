// Verifying a site copy with a real job there (docs/datahub.md, "Verification at the sites").
// Start: a steward (or an admin) names the allocation to run under; the job is dispatched through
// the jobs capability's one dispatch path (their site account, holds, audit, usage charging), with
// a dispatch key derived from the request's Idempotency-Key, so a retry reaches the same job.
// End: the job's status is read the way the pipelines' flow reads it (the jobs capability asks the
// site); when it hashed the folder, its report is read through the site's report mount (the
// pipelines' reader) and compared with the manifest, and the verification, the location (and, for
// a draft adopting the job's manifest, the version) change in one audited commit.
import { createHash } from 'node:crypto';
import { ConflictError, ForbiddenError, KairrError, NotFoundError, RuleViolationError, ValidationError } from '../domain/errors';
import { canEdit, canReadVersion, type Viewer } from '../domain/datahub/access';
import { MANIFEST_LIMITS, mergeFormats, pageSummary, totals } from '../domain/datahub/manifest';
import type { ArtifactKind, Location, ManifestFile, ManifestPage, Version } from '../domain/datahub/model';
import { COPY_FAULTS, compareCopy, jobOutcome, verificationScript, type VerificationResult } from '../domain/datahub/verification';
import { atSite, type SiteStorage } from '../domain/pipelines/storage';
import { runtimeConfig } from '../shared/config';
import type { Caller } from '../shared/http/caller';
import { logger } from '../shared/log';
import { idempotent } from '../shared/store/idempotency';
import { datahubKeys } from '../shared/store/keys';
import type { AuditContext, Change, Item } from '../shared/store/write-path';
import { dispatch, getJob, type JobStatusView } from '../jobs/index';
import { pipelinesConfig, readSiteReport, ReportUnreachable } from '../pipelines/index';
import { withSitePath } from './locations';
import { batchWrite } from './manifest';
import { commitDatahub, getItem, locationItem, locationOf, queryAllPrefix, readArtifactAndVersion, SUBJECT, versionChange } from './store';
import { copiesChanged } from './copies';
import { readVerification, runningAt, verificationItem, verificationsOf, VERIFICATION_SUBJECT, type Verification } from './verification-store';
import { actorOf, viewerOf } from './viewer';

export interface VerifyBody {
  allocationId: string;
  resource: string;
  timeLimit?: number;
}

/** What the job gets by default: hashing is I/O-bound, and the resource's maximum bounds it. */
const DEFAULT_MINUTES = 30;
/** Records the end of a job as KAIRR itself, not as whoever happened to read the verification. */
const SYSTEM = { sub: 'system:datahub-verification', role: 'system' };

/** The view: the stored item without its internal fields. */
export function verificationView(v: Verification) {
  const { requestedBy: _r, ...rest } = v;
  return rest;
}

const isStaff = (v: Viewer) => v.roles.some((r) => r === 'curator' || r === 'auditor');

/** The copy's folder at its site: under a data hub root, or under the pipelines' root for copies pipelines made. */
function folderAtSite(l: Location, storage: SiteStorage | undefined): string | undefined {
  const withPath = withSitePath(l);
  if (withPath.sitePath) return withPath.sitePath;
  return storage && l.root === 'pipelines' ? atSite(storage, l.path) : undefined;
}

async function loadLocation(kind: ArtifactKind, id: string, version: string, locationId: string, viewer: Viewer) {
  const cur = await readArtifactAndVersion(kind, id, version);
  if (!cur.version || !canReadVersion(cur.artifact, cur.version.state, viewer)) throw new NotFoundError('Version', `${id}@${version}`);
  const item = await getItem(datahubKeys.location(id, cur.version.version, locationId));
  if (!item) throw new NotFoundError('Location', locationId);
  return { ...cur, version: cur.version, location: locationOf(item) };
}

/** Starts a verification: 202 with its id (a retry with the same Idempotency-Key answers the same one). */
export async function startVerification(kind: ArtifactKind, id: string, version: string, locationId: string, body: VerifyBody, caller: Caller, idempotencyKey: string | undefined, requestId: string) {
  const viewer = viewerOf(caller);
  const cur = await loadLocation(kind, id, version, locationId, viewer);
  if (!canEdit(cur.artifact, viewer)) throw new ForbiddenError('Only a steward of the artifact (or an admin) verifies its copies');
  if (!idempotencyKey) throw ValidationError.field('headers.Idempotency-Key', 'is required: a retried verification must not dispatch a second job');
  const l = cur.location;
  if (l.kind !== 'site' || !l.siteId) throw new RuleViolationError('Only a copy at a site is verified by a job there', [{ path: 'locationId', problem: "is the hub's own copy, checked when it was uploaded" }], 'location_not_at_site');
  if (l.state === 'removed') throw new ConflictError(`The copy ${locationId} is removed`, [{ path: 'locationId', problem: 'is removed' }], 'location_removed');
  const storage = pipelinesConfig().storage[l.siteId];
  if (!storage?.reportMount)
    throw new RuleViolationError(
      `KAIRR cannot read a verification report from ${l.siteId}`,
      [{ path: 'locationId', problem: `${l.siteId} has no storage with a reportMount (pipelines.storage.${l.siteId}.reportMount), so the job's report cannot come back` }],
      'report_unreachable',
    );
  const folder = folderAtSite(l, storage);
  if (!folder)
    throw new RuleViolationError(`The storage root ${l.root} of ${l.siteId} is no longer configured`, [{ path: 'locationId', problem: `names root ${l.root}, which datahub.siteStorage.${l.siteId} no longer has` }], 'root_not_configured');
  const maxMinutes = runtimeConfig()
    .sites.find((s) => s.id === l.siteId)
    ?.resources.find((r) => r.id === body.resource || `${l.siteId}/${r.id}` === body.resource)?.maxTimeLimitMinutes;
  if (maxMinutes !== undefined && body.timeLimit !== undefined && body.timeLimit > maxMinutes) throw ValidationError.field('timeLimit', `must be at most ${maxMinutes} minutes, the limit of ${body.resource}`);

  // The id follows from the request: a retry after a lost answer dispatches with the same key.
  const seed = createHash('sha256')
    .update(JSON.stringify([caller.sub, id, cur.version.version, locationId, idempotencyKey]))
    .digest('hex');
  const verificationId = `vfy-${seed.slice(0, 26)}`;
  const operation = `${kind}.location.verify:${id}@${cur.version.version}#${locationId}`;
  const res = await idempotent({ operation, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
    const running = (await verificationsOf(id, cur.version.version, locationId)).find((v) => v.state === 'running');
    if (running) throw new ConflictError(`Verification ${running.verificationId} of ${locationId} is still running`, [{ path: 'locationId', problem: `is being verified (${running.verificationId})` }], 'verification_running');
    const reportPath = atSite(storage, `datahub/verify/${verificationId}/report.tsv`);
    const sharedFolders = [atSite(storage, 'datahub'), atSite(storage, 'datahub/verify')];
    const script = verificationScript({ verificationId, label: `${id}@${cur.version.version} ${locationId}`, folder, reportFile: reportPath, sharedFolders });
    const timeLimit = body.timeLimit ?? Math.min(DEFAULT_MINUTES, maxMinutes ?? DEFAULT_MINUTES);
    // A refusal (not a member, no credits, no site account) is the answer as the jobs capability gives it: nothing is recorded here.
    const job: JobStatusView = (
      await dispatch({
        caller,
        allocationId: body.allocationId,
        body: { site: l.siteId!, resource: body.resource, script, gpus: 1, nodes: 1, timeLimit, name: 'datahub-verify' },
        idempotencyKey: `datahub.verify.${verificationId}`,
        requestId,
      })
    ).body;
    const now = new Date().toISOString();
    const v: Verification = {
      verificationId,
      artifactId: id,
      kind,
      version: cur.version.version,
      locationId,
      siteId: l.siteId!,
      sitePath: folder,
      allocationId: body.allocationId,
      resource: body.resource,
      requestedBy: caller.sub,
      mode: adopts(cur.version) ? 'adopt' : 'compare',
      state: 'running',
      jobId: job.jobId,
      ...(job.schedulerJobId ? { schedulerJobId: job.schedulerJobId } : {}),
      reportPath,
      createdAt: now,
      updatedAt: now,
    };
    const view = verificationView(v);
    await commitDatahub(
      { actor: actorOf(caller, ['admin', 'researcher']), requestId },
      {
        changes: [
          { subject: VERIFICATION_SUBJECT(verificationId), before: null, after: verificationItem(v), action: `${kind}.location.verify`, details: { locationId, siteId: v.siteId, jobId: v.jobId, allocationId: v.allocationId, mode: v.mode } },
        ],
        sideWrites: record({ status: 202, body: view }),
      },
    );
    return { status: 202, body: view };
  });
  return res;
}

/** A draft registered by path without files takes the job's manifest; everything else is compared. */
const adopts = (v: Version) => v.state === 'draft' && v.files === 0 && Object.keys(v.pages ?? {}).length === 0;

/** A verification as it stands, recording the job's end first when it has ended. */
export async function getVerification(kind: ArtifactKind, id: string, version: string, locationId: string, verificationId: string, caller: Caller, requestId: string) {
  const viewer = viewerOf(caller);
  const cur = await loadLocation(kind, id, version, locationId, viewer);
  if (!canEdit(cur.artifact, viewer) && !isStaff(viewer)) throw new ForbiddenError("A copy's verifications are shown to its stewards, curators, auditors and admins");
  const found = await readVerification(id, cur.version.version, locationId, verificationId);
  if (!found) throw new NotFoundError('Verification', verificationId);
  if (found.v.state !== 'running') return verificationView(found.v);
  return verificationView(await settle(found.v, found.item, requestId));
}

/**
 * Records the end of every verification job at a site that has ended: for whatever learns that
 * jobs ended there (the pipelines' per-site watcher, the usage collector), so a verification ends
 * even when nobody reads it. One read of the index, one status read per running verification.
 */
export async function settleVerificationsAt(siteId: string, requestId: string): Promise<{ settled: number; running: number }> {
  let settled = 0;
  let running = 0;
  for (const r of await runningAt(siteId)) {
    try {
      const after = await settle(r.v, r.item, requestId);
      if (after.state === 'running') running++;
      else settled++;
    } catch (e) {
      // one that cannot be settled now (the store away) does not hold up the others; the next call retries it
      logger.warn('a verification could not be settled', { verificationId: r.v.verificationId, error: (e as Error).message });
      running++;
    }
  }
  return { settled, running };
}

/** The job's status as the jobs capability reads it from the site; undefined while the site cannot be asked. */
async function jobEnd(v: Verification, requestId: string): Promise<'read-report' | VerificationResult | undefined> {
  // as the member who dispatched it, as the pipelines' flow reads its stages' jobs
  const requester: Caller = { sub: v.requestedBy, roles: ['researcher'], siteIds: [] };
  let j: JobStatusView;
  try {
    j = await getJob(requester, v.allocationId, v.jobId, requestId);
  } catch (e) {
    if (e instanceof KairrError && e.status >= 500) return undefined;
    if (e instanceof KairrError && (e.status === 403 || e.status === 404))
      return { state: 'failed', code: 'job_failed', reason: `the verification job can no longer be read (${e.message}); the copy was not checked`, problems: [], problemCount: 0, files: 0, bytes: 0 };
    throw e;
  }
  return j.stale ? undefined : jobOutcome(j);
}

async function settle(v: Verification, item: Item, requestId: string): Promise<Verification> {
  const outcome = await jobEnd(v, requestId);
  if (!outcome) return v;
  let result: VerificationResult;
  if (outcome !== 'read-report') result = outcome;
  else {
    const storage = pipelinesConfig().storage[v.siteId];
    let text: string | undefined;
    try {
      text = await readSiteReport(storage, v.siteId, v.reportPath);
    } catch (e) {
      if (!(e instanceof ReportUnreachable)) throw e;
      result = { state: 'failed', code: 'report_unreachable', reason: e.message, problems: [], problemCount: 0, files: 0, bytes: 0 };
    }
    if (text !== undefined) result = await compareNow(v, text);
  }
  return complete(v, item, result!, requestId);
}

/** Compared with the manifest as it is when the job ended (a draft may have got files meanwhile). */
async function compareNow(v: Verification, text: string): Promise<VerificationResult> {
  const cur = await readArtifactAndVersion(v.kind, v.artifactId, v.version);
  if (!cur.version) throw new NotFoundError('Version', `${v.artifactId}@${v.version}`);
  if (adopts(cur.version)) return compareCopy(null, text);
  const { pk, skPrefix } = datahubKeys.manifestPrefix(v.artifactId, v.version);
  const pages = cur.version.pages ?? {};
  const manifest = (await queryAllPrefix(pk, skPrefix)).filter((it) => pages[String(it.page)]).map((it) => ({ path: String(it.path), bytes: Number(it.bytes), sha256: String(it.sha256) }));
  return compareCopy(manifest, text);
}

function pagesOf(files: ManifestFile[]): { pages: Record<string, ManifestPage>; byPage: ManifestFile[][] } {
  const byPage: ManifestFile[][] = [];
  for (let i = 0; i < files.length; i += MANIFEST_LIMITS.maxFilesPerPage) byPage.push(files.slice(i, i + MANIFEST_LIMITS.maxFilesPerPage));
  return { pages: Object.fromEntries(byPage.map((f, i) => [String(i + 1), pageSummary(f)])), byPage };
}

/** The verification's end, the location's new state and (adopting) the draft's manifest: one commit. */
async function complete(v: Verification, item: Item, result: VerificationResult, requestId: string): Promise<Verification> {
  const ctx: AuditContext = { actor: SYSTEM, requestId };
  const now = new Date().toISOString();
  const ended: Verification = {
    ...v,
    state: result.state,
    mode: result.adopt ? 'adopt' : 'compare',
    files: result.files,
    bytes: result.bytes,
    problems: result.problems,
    problemCount: result.problemCount,
    ...(result.code ? { code: result.code } : {}),
    ...(result.reason ? { reason: result.reason } : {}),
    updatedAt: now,
    endedAt: now,
  };
  const changes: Change[] = [
    {
      subject: VERIFICATION_SUBJECT(v.verificationId),
      before: item,
      after: verificationItem(ended),
      action: `${v.kind}.location.verification-ended`,
      details: { state: ended.state, ...(ended.code ? { code: ended.code } : {}), files: result.files, problemCount: result.problemCount },
    },
  ];
  const locBefore = await getItem(datahubKeys.location(v.artifactId, v.version, v.locationId));
  const loc = locBefore ? locationOf(locBefore) : undefined;
  // Only what the job found about the copy changes the location; a job that could not check it leaves it as it was.
  const touchesCopy = loc && loc.state !== 'removed' && (result.state === 'verified' || (result.code && COPY_FAULTS.has(result.code)));
  if (loc && touchesCopy) {
    const { reason: _r, ...rest } = loc;
    const after: Location = result.state === 'verified' ? { ...rest, state: 'verified', lastVerifiedAt: now, updatedAt: now } : { ...rest, state: 'failed', reason: result.reason!, updatedAt: now };
    changes.push({
      subject: SUBJECT.location(after),
      before: locBefore,
      after: locationItem(after),
      action: `${v.kind}.location.${after.state}`,
      details: { verificationId: v.verificationId, ...(after.reason ? { reason: after.reason } : {}) },
    });
  }
  if (result.adopt && touchesCopy) changes.push(await adoptManifest(v, result.adopt));
  try {
    await commitDatahub(ctx, { changes });
  } catch (e) {
    if ((e as { code?: string }).code !== 'stale_write') throw e;
    // another reader recorded this end first (or the draft changed): answer what is stored now
    const now2 = await readVerification(v.artifactId, v.version, v.locationId, v.verificationId);
    if (now2 && now2.v.state !== 'running') return now2.v;
    throw e;
  }
  if (touchesCopy) await copiesChanged(v.artifactId, v.kind);
  return ended;
}

/** The draft's manifest from the job's files: the file items first (invisible until their pages commit), then the version change. */
async function adoptManifest(v: Verification, files: ManifestFile[]): Promise<Change> {
  const cur = await readArtifactAndVersion(v.kind, v.artifactId, v.version);
  if (!cur.version || !cur.versionItem || !adopts(cur.version))
    throw new ConflictError(`${v.artifactId}@${v.version} got a manifest while its copy was verified; verify it again`, [{ path: 'version', problem: 'changed meanwhile' }], 'version_changed');
  const { pages, byPage } = pagesOf(files);
  await batchWrite(
    byPage.flatMap((fs, i) => fs.map((f) => ({ ...datahubKeys.manifestFile(v.artifactId, v.version, f.path), ...f, page: i + 1 }))),
    { requests: 0, consumedWcu: 0, readUnits: 0 },
  );
  const t = totals(pages);
  const after: Version = { ...cur.version, files: t.files, bytes: t.bytes, formats: mergeFormats(cur.version.formats ?? [], files), pages };
  return versionChange(cur.versionItem, after, `${v.kind}.version.manifest-from-site`, { verificationId: v.verificationId, siteId: v.siteId, files: t.files, bytes: t.bytes });
}
