// Permits: what an approved access application grants (domain/datahub/permit.ts). The permit item
// (DHPERMIT#id, on gsi1 by dataset and gsi2 by site) is the audited subject; one index item per
// (user, dataset, site) under DHPERMITS#<sub> makes "does this caller hold a permit for this
// dataset" one Query. Every item carries a `ttl` (end + grace) so DynamoDB removes expired ones,
// and every read checks `end` itself, so a permit past its end is never honoured meanwhile.
// Revoking deletes the index items in the same transaction that records the revocation.
import { ForbiddenError, NotFoundError, ValidationError } from '../domain/errors';
import type { Viewer } from '../domain/datahub/access';
import { applyRevoked, canListApplications, isCommittee, type Application } from '../domain/datahub/application';
import { inForce, permitState, permitTtl, type Permit, type PermitRecord } from '../domain/datahub/permit';
import { datahubGsi, datahubKeys } from '../shared/store/keys';
import { retryOnStale, type AuditContext, type Change, type Item, type SideWrite } from '../shared/store/write-path';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { datahubConfig } from './config';
import { applicationChange, applicationOf } from './application-items';
import { commitDatahub, getItem, queryAllPrefix, queryIndex, queryPrefix, readAnyArtifact } from './store';

export const PERMIT_SUBJECT = (permitId: string) => ({ type: 'dh-permit', id: permitId });
const STRIP = new Set(['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'auditSeq', 'auditHash', 'ttl']);

export function permitOf(item: Record<string, unknown>): PermitRecord {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!STRIP.has(k) && v !== undefined) out[k] = v;
  return out as PermitRecord;
}

const ttlOf = (p: Pick<Permit, 'end'>) => permitTtl(p.end, datahubConfig().access.ttlGraceDays);

export function permitItem(p: PermitRecord): Item {
  const sk = `${p.end}#${p.id}`;
  return { ...p, ...datahubKeys.permit(p.id), gsi1pk: datahubGsi.permitsOfDataset(p.datasets[0]), gsi1sk: sk, gsi2pk: datahubGsi.permitsAtSite(p.sites[0]), gsi2sk: sk, ttl: ttlOf(p) } as Item;
}

/** One index item per (user, dataset, site): a copy of the permit's core, found by one Query on the user's partition. */
function indexKeys(p: Permit) {
  return p.users.flatMap((u) => p.datasets.flatMap((d) => p.sites.map((s) => datahubKeys.permitIndex(u, d, s, p.end, p.id))));
}
function indexItems(p: Permit): Item[] {
  const core: Permit = { id: p.id, datasets: p.datasets, users: p.users, sites: p.sites, start: p.start, end: p.end };
  return indexKeys(p).map((k) => ({ ...k, ...core, permitId: p.id, ttl: ttlOf(p) }) as Item);
}

/**
 * The permit an approval grants: its id follows the application's, so a retried approval finds it there (idempotent).
 * The permit's shape (domain/datahub/permit.ts) is unchanged for gated models: `datasets` holds
 * artifact ids of either kind, and a model application that named no site gives `sites: [HUB_SITE]`,
 * which opens the hub copy's locations and downloads (any permit does) and no site, since no site
 * is named `hub` (jobs, and the site agents' export, ask for a real site).
 */
export function permitFromApplication(app: Application, by: string, now: Date): PermitRecord {
  return {
    id: `dhp-${app.applicationId.slice(4)}`,
    applicationId: app.applicationId,
    datasets: [app.datasetId],
    versions: app.versions,
    users: app.users,
    sites: [app.siteId],
    start: app.start,
    end: app.end,
    grantedAt: now.toISOString(),
    grantedBy: by,
  };
}

/** The grant as part of the approval's transaction: the permit (a new subject) and its index items. */
export function grantWrites(p: PermitRecord): { change: Change; sideWrites: SideWrite[] } {
  return {
    change: {
      subject: PERMIT_SUBJECT(p.id),
      before: null,
      after: permitItem(p),
      action: 'dataset.permit.grant',
      details: { applicationId: p.applicationId, datasets: p.datasets, users: p.users, sites: p.sites, start: p.start, end: p.end },
    },
    sideWrites: indexItems(p).map((put) => ({ put })),
  };
}

// ---- reads ---------------------------------------------------------------------------------------

/** The permit's core as its index item copies it. */
const indexedPermit = (it: Item): Permit => ({ id: String(it.permitId), datasets: it.datasets as string[], users: it.users as string[], sites: it.sites as string[], start: String(it.start), end: String(it.end) });

/**
 * The caller's permits in force at `now`, for one dataset or all: one Query of the caller's index
 * partition (an index item per user, dataset and site, so a permit may appear more than once).
 */
export async function permitsOf(sub: string | undefined, now: Date, datasetId?: string): Promise<Permit[]> {
  if (!sub) return [];
  const { pk, skPrefix } = datahubKeys.permitIndexPrefix(sub, datasetId);
  const byId = new Map<string, Permit>();
  for (const p of (await queryAllPrefix(pk, skPrefix)).map(indexedPermit)) if (inForce(p, now)) byId.set(p.id, p);
  return [...byId.values()];
}

/** The caller's permits in force at `now` (the pipeline validator's and the jobs' view). */
export const readPermitsOf = (sub: string, now: Date): Promise<Permit[]> => permitsOf(sub, now);

export const permitView = (p: PermitRecord, now: Date) => ({ ...p, state: permitState(p, now) });

/** Mine (every permit I am named on, in force or not yet removed), or a dataset's for its committee and staff. */
export async function listPermits(viewer: Viewer, q: { datasetId?: string; limit: number; nextToken?: string }, now: Date) {
  if (q.datasetId) {
    const a = await readAnyArtifact(q.datasetId);
    // datasetId names any artifact with permits: a dataset or a gated model
    if (!a) throw new NotFoundError('Dataset', q.datasetId);
    if (!canListApplications(a, viewer)) throw new ForbiddenError("A dataset's permits are shown to its data access committee, curators, admins and auditors");
    const pk = datahubGsi.permitsOfDataset(q.datasetId);
    const page = await queryIndex('gsi1', pk, { limit: q.limit, startKey: decodeToken(q.nextToken, pk), forward: false });
    return { items: page.items.map(permitOf).map((p) => permitView(p, now)), nextToken: encodeToken(page.nextKey, pk) };
  }
  if (!viewer.sub) return { items: [] };
  const { pk, skPrefix } = datahubKeys.permitIndexPrefix(viewer.sub);
  const page = await queryPrefix(pk, skPrefix, { limit: q.limit, startKey: decodeToken(q.nextToken, pk) });
  const ids = [...new Set(page.items.map((it) => String(it.permitId)))];
  const items = (await Promise.all(ids.map((id) => getItem(datahubKeys.permit(id))))).filter((x): x is Item => !!x).map(permitOf);
  return { items: items.map((p) => permitView(p, now)), nextToken: encodeToken(page.nextKey, pk) };
}

/** Revokes a permit (the dataset's committee or an admin), with a reason: the permit, its application and its index items in one transaction. */
export async function revokePermit(permitId: string, reason: string, viewer: Viewer, ctx: AuditContext): Promise<PermitRecord> {
  if (!reason.trim()) throw ValidationError.field('reason', 'must say why the permit is revoked');
  return retryOnStale(async () => {
    const item = await getItem(datahubKeys.permit(permitId));
    if (!item) throw new NotFoundError('Permit', permitId);
    const p = permitOf(item);
    const a = await readAnyArtifact(p.datasets[0]);
    const mayRevoke = (a && isCommittee(a, viewer)) || viewer.roles.includes('admin');
    if (!mayRevoke) {
      if (p.users.includes(viewer.sub ?? '') || viewer.roles.includes('auditor')) throw new ForbiddenError("Only the dataset's data access committee or an admin revokes a permit");
      throw new NotFoundError('Permit', permitId);
    }
    if (p.revokedAt) return p;
    const now = ctx.now ?? new Date();
    const next: PermitRecord = { ...p, revokedAt: now.toISOString(), revokedBy: viewer.sub!, revokeReason: reason };
    const appItem = await getItem(datahubKeys.application(p.applicationId));
    const changes: Change[] = [{ subject: PERMIT_SUBJECT(p.id), before: item, after: permitItem(next), action: 'dataset.permit.revoke', details: { reason, applicationId: p.applicationId } }];
    if (appItem) changes.push(applicationChange(appItem, applyRevoked(applicationOf(appItem), now), 'dataset.access-application.revoked', { permitId: p.id, reason }));
    await commitDatahub({ ...ctx, reason }, { changes, sideWrites: indexKeys(p).map((k) => ({ delete: k })) });
    return next;
  });
}
