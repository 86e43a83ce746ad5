// slurmrestd's endpoints, in whichever generation the site serves. Everything above this file sees one
// shape (normalize.ts, associations.ts); everything version-specific is here.
import { PermanentSchedulerError, TransientSchedulerError } from '../driver';
import { assocFromApi, type Assoc } from './associations';
import { TRANSIENT_SLURM_ERRORS, type SlurmHttp, type SlurmResponse } from './http';
import { jobFromAccounting, jobFromController, num, type ApiGeneration, type DbJob } from './normalize';
import type { JobStatus } from '../driver';

/** ESLURM_REST_EMPTY_RESULT: slurmrestd's "Nothing found with query". */
export const SLURM_EMPTY_RESULT = 9003;

/** Newest first: the driver speaks the newest version the site serves. */
export const SUPPORTED_API_VERSIONS = ['v0.0.42', 'v0.0.41', 'v0.0.40', 'v0.0.38'] as const;
export type ApiVersion = (typeof SUPPORTED_API_VERSIONS)[number];

export function generationOf(v: ApiVersion): ApiGeneration {
  return v === 'v0.0.38' ? 'v0.0.38' : 'data_parser';
}

export interface Detected {
  version: ApiVersion;
  /** e.g. "24.11.5", from the ping's meta. */
  slurmRelease?: string;
}

/**
 * Which API versions the site serves: probe `/slurm/<v>/ping` newest first (404 = not served). The
 * OpenAPI document would say too, but it is 0.5-1.6 MB and makes 24.11's slurmrestd grow with every fetch.
 */
export async function detectApiVersion(http: SlurmHttp): Promise<Detected> {
  for (const version of SUPPORTED_API_VERSIONS) {
    const res = await http.request('GET', `/slurm/${version}/ping`, { accept: [404], timeoutMs: 10_000 });
    if (res.status === 404) continue;
    return { version, ...(releaseOf(res) ? { slurmRelease: releaseOf(res) } : {}) };
  }
  throw new PermanentSchedulerError(`slurmrestd at ${http.baseUrl} serves none of ${SUPPORTED_API_VERSIONS.join(', ')}`, { siteId: http.siteId, operation: 'detect-api-version' });
}

function releaseOf(res: SlurmResponse): string | undefined {
  const meta = res.body.meta as { Slurm?: { release?: string }; slurm?: { release?: string } } | undefined;
  return meta?.slurm?.release ?? meta?.Slurm?.release;
}

export interface SubmitDescription {
  script: string;
  name: string;
  comment?: string;
  account: string;
  partition: string;
  timeLimitMinutes: number;
  nodes: number;
  tasks: number;
  cpusPerTask: number;
  gpusPerNode: number;
  workingDirectory: string;
  standardOutput: string;
  environment: Record<string, string>;
}

export class SlurmApi {
  readonly gen: ApiGeneration;
  constructor(
    readonly http: SlurmHttp,
    readonly version: ApiVersion,
    readonly cluster: string,
  ) {
    this.gen = generationOf(version);
  }

  private get ctld() {
    return `/slurm/${this.version}`;
  }
  private get dbd() {
    return `/slurmdb/${this.version}`;
  }

  async ping(): Promise<{ up: boolean; release?: string }> {
    const res = await this.http.request('GET', `${this.ctld}/ping`);
    const pings = (res.body.pings ?? []) as { ping?: string; pinged?: string; responding?: boolean }[];
    const up = pings.some((p) => p.ping === 'UP' || p.pinged === 'UP' || p.responding === true);
    return { up, ...(releaseOf(res) ? { release: releaseOf(res) } : {}) };
  }

  /** A cheap slurmdbd round trip: this cluster's record. */
  async pingAccounting(): Promise<void> {
    const res = await this.http.request('GET', `${this.dbd}/cluster/${encodeURIComponent(this.cluster)}`);
    this.failOnErrors(res, 'read cluster from slurmdbd');
    const clusters = (res.body.clusters ?? []) as unknown[];
    if (clusters.length === 0) {
      throw new PermanentSchedulerError(`slurmdbd does not know cluster "${this.cluster}"`, { siteId: this.http.siteId });
    }
  }

  // --- accounts and associations ---------------------------------------------------------------

  async associations(q: { account?: string; user?: string } = {}): Promise<Assoc[]> {
    const res = await this.http.request('GET', `${this.dbd}/associations`, {
      query: { cluster: this.cluster, account: q.account, user: q.user },
      accept: [500],
    });
    if (res.status !== 200 && res.errors.length === 0) res.errors.push({ message: `HTTP ${res.status}` });
    this.failOnErrors(res, 'read associations');
    return ((res.body.associations ?? []) as Record<string, unknown>[]).map(assocFromApi).filter((a) => !a.cluster || a.cluster === this.cluster);
  }

  async accountExists(account: string): Promise<boolean> {
    const res = await this.http.request('GET', `${this.dbd}/account/${encodeURIComponent(account)}`, { accept: [404, 500] });
    const accounts = (res.body.accounts ?? []) as { name?: string }[];
    if (res.status === 200 && accounts.some((a) => a.name === account)) return true;
    if (res.status === 200 || res.status === 404 || res.errors.length) return false;
    throw new TransientSchedulerError(`reading account ${account} gave HTTP ${res.status}`, { siteId: this.http.siteId });
  }

  async createAccount(account: string, description: string, organization: string): Promise<void> {
    const res = await this.http.request('POST', `${this.dbd}/accounts`, {
      body: { accounts: [{ name: account, description, organization }] },
    });
    this.failOnErrors(res, `create account ${account}`);
  }

  /**
   * The account's own association under `parent`. v0.0.38 answers "Missing required field 'user'" while
   * creating it correctly, so the caller verifies by reading it back; data_parser versions refuse an
   * association without user, so they go through accounts_association.
   */
  async createAccountAssociation(account: string, parent: string, max: Record<string, unknown>, description: string, organization: string): Promise<void> {
    if (this.gen === 'v0.0.38') {
      await this.http.request('POST', `${this.dbd}/associations`, {
        body: { associations: [{ account, cluster: this.cluster, parent_account: parent, max }] },
      });
      return; // errors[] deliberately not trusted here: see above
    }
    // accounts_association only takes flat limits; GrpTRESMins is set by the update that follows
    const res = await this.http.request('POST', `${this.dbd}/accounts_association`, {
      body: {
        association_condition: { accounts: [account], clusters: [this.cluster], association: { parent } },
        account: { description, organization },
      },
    });
    this.failOnErrors(res, `create association of account ${account}`);
    const created = (await this.associations({ account })).find((a) => a.account === account && a.user === '');
    if (created && Object.keys(max).length) await this.updateAssociation(created, max, parent);
  }

  /**
   * Replace an association's limits with `max` (built by limitsBody: every TRES list in full); an
   * account's own association also ends up under `parent`.
   * On 22.05 an account association's limits cannot be changed in place over REST: the update keeps
   * its parent, mysql's _move_parent answers SAME_PARENT and the row is skipped (HTTP 200, no error).
   * A change of parent is applied together with the limits, so the account goes to `root` and straight
   * back to its parent, both times with the new limits. The association (its id and used minutes) stays.
   */
  async updateAssociation(a: Assoc, max: Record<string, unknown>, parent: string): Promise<void> {
    const base = { account: a.account, cluster: this.cluster, ...(a.partition ? { partition: a.partition } : {}) };
    if (a.user) {
      const res = await this.http.request('POST', `${this.dbd}/associations`, { body: { associations: [{ ...base, user: a.user, max }] } });
      this.failOnErrors(res, `update association ${a.account}/${a.user}`);
      return;
    }
    if (this.gen === 'v0.0.38') {
      if (parent === 'root') {
        throw new PermanentSchedulerError(`cannot change limits of top-level account ${a.account} over v0.0.38`, { siteId: this.http.siteId });
      }
      // already elsewhere (e.g. a flip cut short): one move home carries the limits
      for (const p of a.parent === parent ? ['root', parent] : [parent]) {
        const res = await this.http.request('POST', `${this.dbd}/associations`, {
          body: { associations: [{ ...base, user: '', parent_account: p, max }] },
        });
        this.failOnErrors(res, `update association of account ${a.account}`);
      }
      return;
    }
    const res = await this.http.request('POST', `${this.dbd}/associations`, {
      body: { associations: [{ ...base, user: '', parent_account: parent, max }] },
    });
    this.failOnErrors(res, `update association of account ${a.account}`);
  }

  async userDefaultAccount(user: string): Promise<string | undefined | null> {
    const res = await this.http.request('GET', `${this.dbd}/user/${encodeURIComponent(user)}`, { accept: [404, 500] });
    const users = (res.body.users ?? []) as { name?: string; default?: { account?: string } }[];
    const u = users.find((x) => x.name === user);
    if (!u) return null; // no such Slurm user
    return u.default?.account || undefined;
  }

  /** Create the Slurm user (or change its default account). */
  async putUser(user: string, defaultAccount: string): Promise<void> {
    const res = await this.http.request('POST', `${this.dbd}/users`, { body: { users: [{ name: user, default: { account: defaultAccount } }] } });
    this.failOnErrors(res, `create user ${user}`);
  }

  async createUserAssociation(account: string, user: string, partition: string): Promise<void> {
    const res = await this.http.request('POST', `${this.dbd}/associations`, {
      body: { associations: [{ account, cluster: this.cluster, user, ...(partition ? { partition } : {}) }] },
    });
    this.failOnErrors(res, `add ${user} to ${account}`);
  }

  async deleteUserAssociation(account: string, user: string, partition: string): Promise<void> {
    const res = await this.http.request('DELETE', `${this.dbd}/association`, {
      query: { cluster: this.cluster, account, user, ...(partition ? { partition } : {}) },
      accept: [404],
    });
    if (res.status !== 404) this.failOnErrors(res, `remove ${user} from ${account}`);
  }

  async deleteUser(user: string): Promise<void> {
    const res = await this.http.request('DELETE', `${this.dbd}/user/${encodeURIComponent(user)}`, { accept: [404] });
    if (res.status !== 404) this.failOnErrors(res, `remove user ${user}`);
  }

  // --- jobs --------------------------------------------------------------------------------------

  async submit(d: SubmitDescription, actAs: string): Promise<string> {
    const common = {
      name: d.name,
      account: d.account,
      partition: d.partition,
      tasks: d.tasks,
      cpus_per_task: d.cpusPerTask,
      current_working_directory: d.workingDirectory,
      standard_output: d.standardOutput,
      ...(d.comment ? { comment: d.comment } : {}),
    };
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', ...d.environment };
    const body =
      this.gen === 'v0.0.38'
        ? {
            script: d.script,
            job: {
              ...common,
              nodes: [d.nodes, d.nodes],
              time_limit: d.timeLimitMinutes,
              // 22.05 takes `gres`; v0.0.40+ silently ignores it (the job then gets no GPU)
              ...(d.gpusPerNode > 0 ? { gres: `gpu:${d.gpusPerNode}` } : {}),
              environment: env,
            },
          }
        : {
            job: {
              ...common,
              script: d.script,
              nodes: String(d.nodes),
              time_limit: { set: true, infinite: false, number: d.timeLimitMinutes },
              ...(d.gpusPerNode > 0 ? { tres_per_node: `gres/gpu:${d.gpusPerNode}` } : {}),
              // an array of K=V: an object only draws a warning, and no environment at all is an HTTP 500
              environment: Object.entries(env).map(([k, v]) => `${k}=${v}`),
            },
          };
    const res = await this.http.request('POST', `${this.ctld}/job/submit`, { body, actAs });
    this.failOnErrors(res, `submit to ${d.account}/${d.partition}`);
    const id = res.body.job_id;
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw new PermanentSchedulerError('slurmrestd accepted the job but returned no job_id', { siteId: this.http.siteId });
    }
    return String(id);
  }

  /** From slurmctld; undefined once the job has left its memory (MinJobAge) or never existed. */
  async controllerJob(jobId: string): Promise<JobStatus | undefined> {
    const res = await this.http.request('GET', `${this.ctld}/job/${encodeURIComponent(jobId)}`, { accept: [404, 500] });
    const jobs = (res.body.jobs ?? []) as Record<string, unknown>[];
    const job = jobs.find((j) => String(j.job_id) === jobId);
    if (job) return jobFromController(job);
    if (res.status === 200 || res.errors.some((e) => e.code === 2017) || res.status === 404) return undefined;
    this.failOnErrors(res, `read job ${jobId}`);
    return undefined;
  }

  async controllerJobs(): Promise<JobStatus[]> {
    const res = await this.http.request('GET', `${this.ctld}/jobs`, { accept: [500] });
    this.failOnErrors(res, 'list jobs');
    return ((res.body.jobs ?? []) as Record<string, unknown>[]).map((j) => jobFromController(j));
  }

  /**
   * slurmctld's jobs if any changed since `updateTime` (Unix seconds), else `changed: false`. slurmctld
   * answers all its jobs or none: v0.0.38 says "none" with HTTP 304 and an empty body, v0.0.40+ with
   * 200, no jobs, a warning and last_update 0; v0.0.40+ give the time of the answer (site's clock).
   */
  async controllerJobsChangedSince(updateTime?: number): Promise<{ changed: boolean; jobs: JobStatus[]; lastUpdate?: number }> {
    const res = await this.http.request('GET', `${this.ctld}/jobs`, { accept: [304, 500], query: { update_time: updateTime === undefined ? undefined : String(updateTime) } });
    if (res.status === 304) return { changed: false, jobs: [] };
    this.failOnErrors(res, 'list jobs changed since');
    const jobs = ((res.body.jobs ?? []) as Record<string, unknown>[]).map((j) => jobFromController(j));
    const unchanged = updateTime !== undefined && jobs.length === 0 && ((res.body.warnings ?? []) as { description?: string }[]).some((w) => /no job changes/i.test(w.description ?? ''));
    const lastUpdate = num(res.body.last_update);
    return { changed: !unchanged, jobs, ...(lastUpdate ? { lastUpdate } : {}) };
  }

  async accountingJob(jobId: string): Promise<DbJob | undefined> {
    const res = await this.http.request('GET', `${this.dbd}/job/${encodeURIComponent(jobId)}`, { accept: [404, 500] });
    const jobs = (res.body.jobs ?? []) as Record<string, unknown>[];
    // the newest record when a job id was reused or requeued
    const job = jobs.filter((j) => String(j.job_id) === jobId && (!j.cluster || j.cluster === this.cluster)).at(-1);
    if (job) return jobFromAccounting(job, this.http.siteId, this.cluster);
    if (res.status === 200 || res.status === 404 || res.errors.some((e) => e.code === 2017)) return undefined;
    this.failOnErrors(res, `read job ${jobId} from slurmdbd`);
    return undefined;
  }

  async accountingJobs(q: { startTime: string; endTime: string; accounts?: string[]; jobName?: string }): Promise<DbJob[]> {
    const res = await this.http.request('GET', `${this.dbd}/jobs`, {
      accept: [500],
      query: {
        cluster: this.cluster,
        start_time: q.startTime,
        end_time: q.endTime,
        ...(q.accounts?.length ? { account: q.accounts.join(',') } : {}),
        ...(q.jobName ? { job_name: q.jobName } : {}),
      },
      timeoutMs: 30_000,
    });
    this.failOnErrors(res, 'list jobs from slurmdbd');
    return ((res.body.jobs ?? []) as Record<string, unknown>[]).filter((j) => !j.cluster || j.cluster === this.cluster).map((j) => jobFromAccounting(j, this.http.siteId, this.cluster));
  }

  /** As `actAs` (the job's own user: Slurm then refuses anyone else's job), or as the service user. */
  async cancel(jobId: string, actAs?: string): Promise<void> {
    const res = await this.http.request('DELETE', `${this.ctld}/job/${encodeURIComponent(jobId)}`, { accept: [500], ...(actAs ? { actAs } : {}) });
    // a job that is already over is cancelled enough (ESLURM_ALREADY_DONE)
    const benign = res.errors.filter((e) => e.code !== 2021 && !/already (done|completing|completed)/i.test(e.message));
    if (benign.length) this.failOnErrors({ ...res, errors: benign, status: res.status === 200 ? 500 : res.status }, `cancel job ${jobId}`);
  }

  /** errors[] in an HTTP 200 (or an accepted error status) become a SchedulerError. */
  failOnErrors(res: SlurmResponse, what: string): void {
    // "Nothing found with query" is an empty answer, not a failure (22.05 even sends it with HTTP 500)
    if (res.errors.every((e) => e.code === SLURM_EMPTY_RESULT)) return;
    const said = res.errors.map((e) => (e.code ? `${e.message} (${e.code})` : e.message)).join('; ');
    const details = { siteId: this.http.siteId, operation: what, httpStatus: res.status, schedulerErrors: res.errors };
    if (res.errors.some((e) => e.code !== undefined && TRANSIENT_SLURM_ERRORS.has(e.code))) {
      throw new TransientSchedulerError(`${what}: ${said}`, details);
    }
    throw new PermanentSchedulerError(`${what}: ${said}`, details);
  }
}
