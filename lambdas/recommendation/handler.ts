// POST /v1/recommendations: the recommender (lambdas/domain/recommendation) with its context read
// from the store: queue snapshots the connectors record per site, the capacity left in open calls,
// and where catalogue datasets live.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { runtimeConfig } from '../shared/config';
import { listCalls } from '../approval';
import { readQueueSnapshots } from '../connectors';
import { readDatasetSite } from '../datahub';
import { ValidationError } from '../domain/errors';
import { recommend, type QueueState, type WorkloadProfile } from '../domain/recommendation';
import { recommendationApi } from './api';

async function queueSnapshot(siteIds: string[]): Promise<Record<string, QueueState>> {
  const queue: Record<string, QueueState> = {};
  const maxAgeMs = 30 * 60_000; // a snapshot older than half an hour says nothing about the queue now
  for (const snapshot of await readQueueSnapshots(siteIds)) {
    if (Date.now() - Date.parse(snapshot.updatedAt) > maxAgeMs) continue;
    Object.assign(queue, snapshot.queue);
  }
  return queue;
}

/** Credits not yet awarded in calls open now, per resource (absent when no call is open). */
async function openCallCapacity(): Promise<Record<string, number> | undefined> {
  const now = new Date().toISOString();
  const left: Record<string, number> = {};
  let any = false;
  for (const c of await listCalls({ closingAfter: now })) {
    if ((c.opensAt ?? '') > now) continue;
    any = true;
    for (const [k, v] of Object.entries(c.capacityMc ?? {})) left[k] = (left[k] ?? 0) + Math.max(0, v - (c.awardedMc?.[k] ?? 0)) / 1000;
  }
  return any ? left : undefined;
}

async function datasetSites(profile: WorkloadProfile): Promise<Record<string, string>> {
  const loc = (profile as { dataset?: { location?: { datasetId?: string } } }).dataset?.location;
  if (!loc?.datasetId) return {};
  const siteId = await readDatasetSite(loc.datasetId);
  if (!siteId) throw ValidationError.field('dataset.location.datasetId', `"${loc.datasetId}" is not a dataset in the catalogue; give {siteId} instead`);
  return { [loc.datasetId]: siteId };
}

export const handler = createHandler(
  recommendationApi,
  {
    async recommend({ body }) {
      const sites = runtimeConfig().sites;
      const profile = body as WorkloadProfile;
      const [queue, capacity, dsSites] = await Promise.all([queueSnapshot(sites.map((s) => s.id)), openCallCapacity(), datasetSites(profile)]);
      const loc = (profile as { dataset?: { location?: { siteId?: string } } }).dataset?.location;
      if (loc?.siteId && !sites.some((s) => s.id === loc.siteId)) throw ValidationError.field('dataset.location.siteId', `"${loc.siteId}" is not a site (sites: ${sites.map((s) => s.id).join(', ')})`);
      const result = recommend(profile, { sites, now: new Date().toISOString(), queue, openCallCapacity: capacity, datasetSites: dsSites });
      return { body: { ...result, context: { queueKnownFor: Object.keys(queue).sort(), openCallCapacityKnown: capacity !== undefined } } };
    },
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments
