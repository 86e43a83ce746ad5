// A site's queue as the recommender reads it (docs/connectors.md, "Queue snapshots"): per resource,
// the GPU demand waiting and running in the scheduler's live jobs, and how long the oldest job that
// waits for the machine has waited. Every job of the site counts, not only KAIRR's: the queue a new
// job joins is the whole site's.
import type { QueueState } from './recommendation';

/** What a scheduler says of one live job (the driver's normalised JobStatus has these fields). */
export interface QueuedJob {
  partition: string;
  phase: 'pending' | 'running' | 'finished';
  /** Allocated, or for a pending job requested (per node × nodes). */
  gpus: number;
  submit?: string;
  reason?: string;
  /** Waits for its own account's budget or block, not for the machine. */
  heldByBudget: boolean;
}

export interface ResourceQueue extends QueueState {
  /** GPUs the jobs waiting for the machine ask for. */
  pendingGpus: number;
  runningJobs: number;
  runningGpus: number;
  /** Pending jobs that wait for something else: their own limits or budget, a dependency, a begin time, a hold. */
  heldJobs: number;
  /** How long the oldest job waiting for the machine has waited (0 when none waits). */
  oldestPendingWaitHours: number;
}

/**
 * Pending for a reason that is not the machine: such a job would wait as long on an empty cluster,
 * so it says nothing about the queue a new job joins.
 */
const NOT_THE_MACHINE = /^(Dependency|DependencyNeverSatisfied|BeginTime|JobHeld|Held|Assoc|QOS|AccountNotAllowed|InvalidAccount|PartitionDown|PartitionInactive|Reservation)/;

const hours = (ms: number) => Math.round((Math.max(0, ms) / 3_600_000) * 100) / 100;

/**
 * Per resource key (`site/resource`), from the live jobs. Every resource of the site is present, so
 * a site that answered says "nothing waits" rather than nothing at all. The estimated wait is the
 * oldest waiting job's wait so far: a job joining now waits at least behind it (a head-of-line
 * figure; the scheduler's own start estimates are backfill guesses, and absent from slurmdbd).
 */
export function queueByResource(jobs: readonly QueuedJob[], site: { id: string; resources: readonly { id: string; partition: string }[] }, now: Date): Record<string, ResourceQueue> {
  const out: Record<string, ResourceQueue> = {};
  const byPartition = new Map<string, ResourceQueue>();
  for (const r of site.resources) {
    const q: ResourceQueue = { pendingJobs: 0, estimatedWaitHours: 0, pendingGpus: 0, runningJobs: 0, runningGpus: 0, heldJobs: 0, oldestPendingWaitHours: 0 };
    out[`${site.id}/${r.id}`] = q;
    byPartition.set(r.partition, q);
  }
  for (const j of jobs) {
    // a job may name several partitions ("h200,b200"): it counts where the scheduler may run it first
    const q = byPartition.get(j.partition.split(',')[0]);
    if (!q || j.phase === 'finished') continue;
    if (j.phase === 'running') {
      q.runningJobs += 1;
      q.runningGpus += j.gpus;
      continue;
    }
    if (j.heldByBudget || NOT_THE_MACHINE.test(j.reason ?? '')) {
      q.heldJobs += 1;
      continue;
    }
    q.pendingJobs += 1;
    q.pendingGpus += j.gpus;
    if (j.submit) q.oldestPendingWaitHours = Math.max(q.oldestPendingWaitHours, hours(now.getTime() - Date.parse(j.submit)));
  }
  for (const q of Object.values(out)) q.estimatedWaitHours = q.oldestPendingWaitHours;
  return out;
}
