// The site's queue snapshot, taken by each usage collection run (every
// policy.usageCollectionIntervalMinutes, 2 by default): the scheduler's live jobs (slurmctld, through
// the driver's jobsChangedSince with no watermark: all of them in one request) summed per resource
// (domain/queue.ts) and written over the last snapshot (state.ts says why it is not audited).
// The collector rather than the reconciler: its interval is well inside the 30 minutes after which
// the recommender ignores a snapshot (the reconciler's 15 would be close to it), and it never takes
// the site's accounting lease. A snapshot that cannot be taken fails nothing: the recommender then
// finds it stale and scores the queue as unknown (neutral).
import { queueByResource } from '../../domain/queue';
import { logger } from '../../shared/log';
import { driverFor, siteOf, withCredentialRefresh } from '../sites';
import { writeQueueSnapshot } from '../state';

export interface QueueSnapshotResult {
  written: boolean;
  /** Pending and running jobs per resource key, when it was taken. */
  resources?: Record<string, { pendingJobs: number; pendingGpus: number; runningJobs: number; runningGpus: number; estimatedWaitHours: number }>;
  /** Why none was written. */
  reason?: string;
}

export async function recordQueueSnapshot(siteId: string, opts: { now?: () => Date } = {}): Promise<QueueSnapshotResult> {
  const site = siteOf(siteId, 'siteId');
  const driver = driverFor(site.id);
  if (!driver.jobsChangedSince) return { written: false, reason: `the ${driver.driver} driver cannot list its queue` };
  try {
    const live = await withCredentialRefresh(() => driver.jobsChangedSince!());
    // the time of the answer, not of the run's start: the waits are measured against it
    const takenAt = (opts.now ?? (() => new Date()))();
    const queue = queueByResource(live.jobs, site, takenAt);
    const written = await writeQueueSnapshot(site.id, queue, takenAt, driver.driver);
    return { written, resources: queue, ...(written ? {} : { reason: 'a newer snapshot is there already' }) };
  } catch (e) {
    logger.warn('queue snapshot not taken', { siteId: site.id, error: (e as Error).message });
    return { written: false, reason: (e as Error).message.slice(0, 300) };
  }
}
