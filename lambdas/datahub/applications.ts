// Access applications for restricted datasets and gated (restricted) models: applying (checked against the dataset, the
// allocation and the policy, then the decision flow is started), the committee's decision (an
// approval writes the permit in the same transaction that moves the application to approved, then
// answers the flow's waiting task), withdrawal, and the lists. Every change is an audited commit of
// dh-application/<appId> (and dh-permit/<permitId> for a grant).
import { ForbiddenError, NotFoundError, RuleViolationError, UnavailableError } from '../domain/errors';
import { newId } from '../domain/ids';
import { canReadVersion, type Viewer } from '../domain/datahub/access';
import {
  applyDecision,
  applyError,
  applyWithdraw,
  canListApplications,
  canReadApplication,
  HUB_SITE,
  periodProblems,
  termsDigest,
  termsTextOf,
  type Application,
  type ApplicationState,
  type DecisionKind,
} from '../domain/datahub/application';
import type { Artifact, ArtifactKind } from '../domain/datahub/model';
import type { Caller } from '../shared/http/caller';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { datahubGsi, datahubKeys } from '../shared/store/keys';
import { retryOnStale, type AuditContext, type Item, type SideWrite } from '../shared/store/write-path';
import { allocationOf, canSee, getAllocationItem } from '../ledger';
import { applicationChange, applicationOf, taskTokenOf } from './application-items';
import { completeAccessTask, startAccessFlow } from './access-sfn';
import { datahubConfig } from './config';
import { grantWrites, permitFromApplication } from './permits';
import { commitDatahub, getItem, locationOf, queryAllPrefix, queryIndex, readAnyArtifact, readVersion } from './store';
import type { CreateApplicationBody } from './schemas';

type Problem = { path: string; problem: string };

/** What the route names: a dataset, or a model (a restricted model is gated). */
export interface Target {
  kind: ArtifactKind;
  id: string;
}
const noun = (kind: ArtifactKind) => (kind === 'model' ? 'Model' : 'Dataset');

/** The published artifact an application names, or 404 (another kind than the route's, or one the caller may not read). */
async function readTarget(t: Target, viewer: Viewer): Promise<Artifact> {
  const a = await readAnyArtifact(t.id);
  if (a?.kind !== t.kind || !canReadVersion(a, 'published', viewer) || a.publishedVersions.length === 0) throw new NotFoundError(noun(t.kind), t.id);
  return a;
}

async function allocationProblems(allocationId: string, users: string[], caller: Caller): Promise<Problem[]> {
  const item = await getAllocationItem(allocationId);
  const alloc = item ? allocationOf(item) : undefined;
  if (!alloc || !canSee(caller, alloc)) return [{ path: 'allocationId', problem: 'names no allocation you are a member of' }];
  if (alloc.state !== 'active') return [{ path: 'allocationId', problem: `is ${alloc.state}; an application serves an active allocation` }];
  const members = new Set(alloc.members.map((m) => m.sub));
  const out: Problem[] = [];
  if (!members.has(caller.sub)) out.push({ path: 'allocationId', problem: 'does not have you as a member' });
  users.forEach((u, i) => {
    if (!members.has(u)) out.push({ path: `users[${i}]`, problem: `is not a member of allocation ${allocationId}` });
  });
  return out;
}

/**
 * The sites holding a verified copy of any of the versions, read from the locations themselves
 * (one Query of the artifact's partition): a copy verified or failed a minute ago counts as it is now.
 * With `hub`, a verified copy in the hub's storage counts as HUB_SITE (models only: a dataset is
 * processed at a site, so its application always names one).
 */
async function verifiedCopies(artifactId: string, versions: readonly string[], hub: boolean): Promise<string[]> {
  const all = datahubKeys.allLocationsPrefix(artifactId);
  const verified = (await queryAllPrefix(all.pk, all.skPrefix)).map(locationOf).filter((l) => l.state === 'verified' && versions.includes(l.version));
  const sites = verified.flatMap((l) => (l.kind === 'site' && l.siteId ? [l.siteId] : hub && l.kind === 'hub' ? [HUB_SITE] : []));
  return [...new Set(sites)].sort();
}

/**
 * The processing site an application records, and what is wrong with it. A dataset names a site with
 * a verified copy. A model may name one (the same rule), or none: then HUB_SITE, and the hub must
 * hold a verified copy, so that the permit it becomes opens something (the hub copy's downloads).
 */
function siteProblems(kind: ArtifactKind, id: string, siteId: string | undefined, copies: string[]): { siteId: string; problems: Problem[] } {
  if (siteId === undefined && kind === 'dataset') return { siteId: '', problems: [{ path: 'siteId', problem: 'is required: a dataset application names the site where the data is processed' }] };
  const site = siteId ?? HUB_SITE;
  if (copies.includes(site)) return { siteId: site, problems: [] };
  const where = siteId === undefined ? 'is omitted (the hub copy only), but the hub holds no verified copy' : 'holds no verified copy';
  return { siteId: site, problems: [{ path: 'siteId', problem: `${where} of ${id}${copies.length ? ` (verified copies are at ${copies.join(', ')})` : ''}` }] };
}

/** Applies for access; the application is submitted and its decision flow started. */
export async function createApplication(target: Target, body: CreateApplicationBody, caller: Caller, ctx: AuditContext, sideWrites: (app: Application) => SideWrite[] = () => []): Promise<Application> {
  const viewer = { sub: caller.sub, roles: caller.roles };
  const datasetId = target.id;
  const a = await readTarget(target, viewer);
  if (a.accessLevel !== 'restricted')
    throw new RuleViolationError(
      `${noun(a.kind)} ${datasetId} is ${a.accessLevel}: it needs no access application`,
      [{ path: 'id', problem: `is a ${a.accessLevel} ${a.kind}; only restricted ${a.kind}s take access applications` }],
      'not_restricted',
    );
  const now = ctx.now ?? new Date();
  const users = [...new Set([caller.sub, ...body.users])];
  const start = body.start ? new Date(body.start) : now;
  const problems: Problem[] = [];
  if (body.acceptTerms !== true) problems.push({ path: 'acceptTerms', problem: "must be true: the dataset's terms must be accepted" });
  problems.push(...periodProblems(start, new Date(body.end), datahubConfig().access.maxPeriodDays, now));
  const copies = await verifiedCopies(datasetId, body.versions.length ? body.versions : a.publishedVersions, a.kind === 'model');
  const site = siteProblems(a.kind, datasetId, body.siteId, copies);
  problems.push(...site.problems);
  body.versions.forEach((v, i) => {
    if (!a.publishedVersions.includes(v)) problems.push({ path: `versions[${i}]`, problem: `is not a published version of the ${a.kind}` });
  });
  for (const [i, v] of body.versions.entries()) if (a.publishedVersions.includes(v) && (await readVersion(datasetId, v))?.version.state === 'deprecated') problems.push({ path: `versions[${i}]`, problem: 'is deprecated' });
  problems.push(...(await allocationProblems(body.allocationId, body.users, caller)));
  if (problems.length) throw new RuleViolationError(`The application cannot be accepted: ${problems.map((p) => `${p.path} ${p.problem}`).join('; ')}`, problems, 'application_invalid');

  const at = now.toISOString();
  const app: Application = {
    applicationId: newId('dha'),
    datasetId,
    versions: body.versions,
    applicant: caller.sub,
    purpose: body.purpose,
    allocationId: body.allocationId,
    users,
    start: start.toISOString(),
    end: new Date(body.end).toISOString(),
    siteId: site.siteId,
    terms: { digest: termsDigest(termsTextOf(a)), acceptedAt: at },
    state: 'submitted',
    decisions: [],
    reminders: 0,
    createdAt: at,
    updatedAt: at,
  };
  await commitDatahub(ctx, {
    changes: [applicationChange(null, app, 'dataset.access-application.submit', { datasetId, allocationId: app.allocationId, users, siteId: app.siteId, start: app.start, end: app.end, terms: app.terms })],
    sideWrites: sideWrites(app),
  });
  try {
    await startAccessFlow(app.applicationId);
  } catch (e) {
    // Nothing waits for a decision without its flow: the application shows the error, never a silent stall.
    await recordFlowError(app.applicationId, `the decision flow did not start: ${(e as Error).name}`, ctx);
    throw new UnavailableError('The application was recorded but its decision flow did not start; it is in error: apply again');
  }
  return app;
}

/** The application and its item, or 404 for a caller who may not read it. */
async function readApplication(appId: string, viewer: Viewer): Promise<{ app: Application; item: Item; artifact: Artifact }> {
  const item = await getItem(datahubKeys.application(appId));
  if (!item) throw new NotFoundError('Access application', appId);
  const app = applicationOf(item);
  const artifact = await readAnyArtifact(app.datasetId);
  if (!artifact || !canReadApplication(app, artifact, viewer)) throw new NotFoundError('Access application', appId);
  return { app, item, artifact };
}

export async function getApplication(appId: string, viewer: Viewer): Promise<Application> {
  return (await readApplication(appId, viewer)).app;
}

/** The committee decides: approve (the permit is granted in the same transaction), reject, or return with a comment. */
export async function decideApplication(appId: string, d: { decision: DecisionKind; comment: string }, viewer: Viewer, ctx: AuditContext): Promise<Application> {
  const now = ctx.now ?? new Date();
  const { next, token } = await retryOnStale(async () => {
    const { app, item, artifact } = await readApplication(appId, viewer);
    const next = applyDecision(app, artifact, d, viewer, now);
    const token = taskTokenOf(item);
    const changes = [applicationChange(item, next, `dataset.access-application.${d.decision}`, { decision: d.decision, comment: d.comment })];
    const sideWrites: SideWrite[] = [];
    if (d.decision === 'approve') {
      const permit = permitFromApplication(next, viewer.sub!, now);
      next.permitId = permit.id;
      changes[0] = applicationChange(item, next, 'dataset.access-application.approve', { decision: d.decision, comment: d.comment, permitId: permit.id });
      const grant = grantWrites(permit);
      changes.push(grant.change);
      sideWrites.push(...grant.sideWrites);
    }
    await commitDatahub({ ...ctx, reason: d.comment }, { changes, sideWrites });
    return { next, token };
  });
  if (token) await completeAccessTask(token, { state: next.state });
  return next;
}

export async function withdrawApplication(appId: string, viewer: Viewer, ctx: AuditContext): Promise<Application> {
  const now = ctx.now ?? new Date();
  const { next, token } = await retryOnStale(async () => {
    const { app, item } = await readApplication(appId, viewer);
    const next = applyWithdraw(app, viewer, now);
    await commitDatahub(ctx, { changes: [applicationChange(item, next, 'dataset.access-application.withdraw')] });
    return { next, token: taskTokenOf(item) };
  });
  if (token) await completeAccessTask(token, { state: next.state });
  return next;
}

/** The flow failed (or could not start): the application shows it in state error with the cause. */
export async function recordFlowError(appId: string, cause: string, ctx: AuditContext): Promise<Application | null> {
  return retryOnStale(async () => {
    const item = await getItem(datahubKeys.application(appId));
    if (!item) return null;
    const next = applyError(applicationOf(item), cause, ctx.now ?? new Date());
    if (!next) return applicationOf(item);
    await commitDatahub(ctx, { changes: [applicationChange(item, next, 'dataset.access-application.error', { cause: next.error })] });
    return next;
  });
}

// ---- lists ---------------------------------------------------------------------------------------

/** The committee's queue for one dataset or gated model, by state (oldest first within a state). */
export async function listDatasetApplications(target: Target, viewer: Viewer, q: { state?: ApplicationState; limit: number; nextToken?: string }) {
  const datasetId = target.id;
  const a = await readAnyArtifact(datasetId);
  if (a?.kind !== target.kind || !canReadVersion(a, 'published', viewer)) throw new NotFoundError(noun(target.kind), datasetId);
  if (!canListApplications(a, viewer)) throw new ForbiddenError("A dataset's access applications are shown to its data access committee, curators, admins and auditors");
  const pk = datahubGsi.applicationsOf(datasetId);
  const scope = `${pk}#${q.state ?? ''}`;
  const page = await queryIndex('gsi1', pk, { limit: q.limit, startKey: decodeToken(q.nextToken, scope), ...(q.state ? { skPrefix: `${q.state}#` } : {}) });
  return { items: page.items.map(applicationOf), nextToken: encodeToken(page.nextKey, scope) };
}

/** The applicant's own applications, newest first. */
export async function listMyApplications(viewer: Viewer, q: { limit: number; nextToken?: string }) {
  if (!viewer.sub) return { items: [] };
  const pk = datahubGsi.applicationsBy(viewer.sub);
  const page = await queryIndex('gsi2', pk, { limit: q.limit, startKey: decodeToken(q.nextToken, pk), forward: false });
  return { items: page.items.map(applicationOf), nextToken: encodeToken(page.nextKey, pk) };
}
