// An in-memory scheduler behind the real dispatch path, for the pipeline flow's unit tests: it
// submits idempotently by dispatch id (as the Slurm driver does: look up first unless firstAttempt),
// keeps each job's script, lets a test end a job with a state and exit code, and can be "away"
// (slurmrestd down) or lose its answers. The real clusters are exercised in test/slurm/.
import type { Site } from '../../../lambdas/domain/catalogue';
import { NotFoundSchedulerError, TransientSchedulerError, type JobStatus, type SchedulerDriver, type SubmitJobRequest } from '../../../lambdas/connectors/driver';

export interface FakeJob {
  req: SubmitJobRequest;
  status: JobStatus;
}

export class FakeSites {
  readonly jobs = new Map<string, FakeJob>();
  submits = 0;
  cancels: string[] = [];
  /** submitJob throws Connector-transient this many times before it reaches the "site". */
  downBeforeSubmit = 0;
  /** submitJob submits, then throws transient this many times (the answer was lost). */
  lostAnswers = 0;
  /** cancelJob throws transient this many times (the site away when a cancel comes). */
  cancelDown = 0;
  /** The sites asked for their changed jobs, one entry a request (the stage watcher's). */
  changedQueries: string[] = [];
  private readonly changes = new Map<string, number>();
  private readonly purged = new Set<string>();
  private seq = 1000;

  driver(site: Site): SchedulerDriver {
    const unsupported = async (): Promise<never> => {
      throw new Error('not used by the pipeline flow');
    };
    const byDispatch = (id: string) => [...this.jobs.entries()].find(([k, j]) => k.startsWith(`${site.id}/`) && j.req.dispatchId === id)?.[1];
    return {
      driver: 'fake',
      siteId: site.id,
      cluster: site.id,
      health: unsupported,
      provisionAccount: unsupported,
      addMember: unsupported,
      removeMember: unsupported,
      setLimits: unsupported,
      block: unsupported,
      unblock: unsupported,
      readAccount: unsupported,
      listAccounts: unsupported,
      listJobs: async () => [],
      // as slurmctld's GET /jobs?update_time= answers (watcher-driver.test.ts checks the real driver
      // against its recorded shapes): every live job if anything changed since the watermark, else none
      jobsChangedSince: async (since?: number) => {
        this.changedQueries.push(site.id);
        const now = this.changes.get(site.id) ?? 0;
        if (since !== undefined && since >= now) return { changed: false, jobs: [], watermark: since };
        const live = [...this.jobs.entries()].filter(([k]) => k.startsWith(`${site.id}/`) && !this.purged.has(k)).map(([, j]) => ({ ...j.status }));
        return { changed: true, jobs: live, watermark: now };
      },
      submitJob: async (req) => {
        if (this.downBeforeSubmit > 0) {
          this.downBeforeSubmit--;
          throw new TransientSchedulerError('slurmrestd is not answering (injected)', { siteId: site.id, cause: { code: 'ECONNREFUSED' } });
        }
        const existing = req.firstAttempt ? undefined : byDispatch(req.dispatchId);
        if (existing) return { jobId: existing.status.jobId, alreadySubmitted: true };
        const jobId = String(++this.seq);
        this.submits++;
        this.changes.set(site.id, (this.changes.get(site.id) ?? 0) + 1);
        this.jobs.set(`${site.id}/${jobId}`, {
          req,
          status: {
            jobId,
            dispatchId: req.dispatchId,
            name: `kairr.${req.dispatchId}`,
            account: req.account,
            user: req.user,
            partition: req.partition,
            state: 'RUNNING',
            phase: 'running',
            heldByBudget: false,
            gpus: req.gpus,
            start: new Date().toISOString(),
          },
        });
        if (this.lostAnswers > 0) {
          this.lostAnswers--;
          throw new TransientSchedulerError('the site took the job but its answer was lost (injected)', { siteId: site.id });
        }
        return { jobId, alreadySubmitted: false };
      },
      findJobByDispatchId: async (id) => byDispatch(id)?.status,
      jobStatus: async (jobId) => {
        const j = this.jobs.get(`${site.id}/${jobId}`);
        if (!j) throw new NotFoundSchedulerError(`no job ${jobId}`, { siteId: site.id });
        return { ...j.status };
      },
      cancelJob: async (jobId) => {
        if (this.cancelDown > 0) {
          this.cancelDown--;
          throw new TransientSchedulerError('slurmrestd is not answering (injected)', { siteId: site.id });
        }
        const j = this.jobs.get(`${site.id}/${jobId}`);
        if (!j) throw new NotFoundSchedulerError(`no job ${jobId}`, { siteId: site.id });
        this.cancels.push(`${site.id}/${jobId}`);
        if (j.status.phase !== 'finished') this.end(site.id, jobId, 'CANCELLED', 0);
      },
    } as SchedulerDriver;
  }

  /** The job a stage run's dispatch made at a site, by the KAIRR job id the pipeline recorded. */
  jobOfDispatch(dispatchId: string): FakeJob | undefined {
    return [...this.jobs.values()].find((j) => j.req.dispatchId === dispatchId);
  }

  end(siteId: string, jobId: string, state: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'TIMEOUT', exitCode: number): void {
    const j = this.jobs.get(`${siteId}/${jobId}`)!;
    j.status = { ...j.status, state, phase: 'finished', exitCode, end: new Date().toISOString(), elapsedSeconds: 1 };
    this.changes.set(siteId, (this.changes.get(siteId) ?? 0) + 1);
  }

  /** The job leaves the scheduler's live list (slurmctld's MinJobAge); its status is still answered (accounting). */
  purge(siteId: string, jobId: string): void {
    this.purged.add(`${siteId}/${jobId}`);
    this.changes.set(siteId, (this.changes.get(siteId) ?? 0) + 1);
  }
}
