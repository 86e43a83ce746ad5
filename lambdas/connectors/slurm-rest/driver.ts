// The slurm-rest SchedulerDriver: one site's Slurm, over slurmrestd with JWT.
// Layout on the site (docs/connectors.md "Slurm mapping"):
//   <parentAccount>                      e.g. kairr, made by the site
//     k-<allocation>-<resource>          one account per allocation and resource; GrpTRESMins=gres/gpu=<budget>
//       user associations               one per member, restricted to the resource's partition
import {
  NotFoundSchedulerError,
  PermanentSchedulerError,
  type AccountLimits,
  type AccountState,
  type ChangedJobs,
  type HealthReport,
  type JobStatus,
  type ListJobsRequest,
  type ProvisionAccountRequest,
  type SchedulerDriver,
  type SubmitJobRequest,
  type SubmitJobResult,
} from '../driver';
import { dispatchJobName, isValidSlurmAccountName, slurmUserName, type SchedulerJobRecord } from '../../domain/scheduler-mapping';
import { applyLimitChange, limitsBody, newLimitsBody, sameLimits, type Assoc, type LimitChange } from './associations';
import { detectApiVersion, SlurmApi, type ApiVersion, type Detected } from './api';
import { TokenSource, type CredentialsProvider } from './credentials';
import { SlurmHttp } from './http';
import { relativeTime } from './normalize';

export interface SlurmRestSite {
  siteId: string;
  /** slurmrestd's base URL, e.g. http://127.0.0.1:6820 */
  endpoint: string;
  /** ClusterName as slurmdbd knows it. */
  cluster: string;
  /** The account every allocation's account is created under. */
  parentAccount: string;
}

export interface SlurmRestOptions {
  /** Per-request timeout (default 15 s; slurmdbd job lists get 30 s). */
  timeoutMs?: number;
  /** Skip detection and speak this version (e.g. pinned by configuration). */
  apiVersion?: ApiVersion;
  /** How long a detected API version is trusted (default 10 minutes). */
  detectionTtlMs?: number;
  /** How far back findJobByDispatchId looks in accounting by default (default 14 days). */
  dispatchLookbackMs?: number;
}

const GPU = 'gres/gpu';
const CPU = 'cpu';

// Detected versions, shared by every driver of the same endpoint in this process (a warm Lambda).
const detectedByEndpoint = new Map<string, { detected: Detected; at: number }>();

export class SlurmRestDriver implements SchedulerDriver {
  readonly driver = 'slurm-rest';
  readonly siteId: string;
  readonly cluster: string;
  private readonly http: SlurmHttp;
  private readonly tokens: TokenSource;

  constructor(
    private readonly site: SlurmRestSite,
    credentials: CredentialsProvider,
    private readonly opts: SlurmRestOptions = {},
  ) {
    this.siteId = site.siteId;
    this.cluster = site.cluster;
    this.tokens = new TokenSource(credentials);
    this.http = new SlurmHttp(site.endpoint, this.tokens, site.siteId, opts.timeoutMs);
  }

  /** The API version in use, detecting it on first use. */
  async apiVersion(): Promise<Detected> {
    if (this.opts.apiVersion) return { version: this.opts.apiVersion };
    const hit = detectedByEndpoint.get(this.site.endpoint);
    if (hit && Date.now() - hit.at < (this.opts.detectionTtlMs ?? 10 * 60_000)) return hit.detected;
    const detected = await detectApiVersion(this.http);
    detectedByEndpoint.set(this.site.endpoint, { detected, at: Date.now() });
    return detected;
  }

  /** Forget the detected version (e.g. after the site upgraded Slurm). */
  forgetApiVersion(): void {
    detectedByEndpoint.delete(this.site.endpoint);
  }

  private async api(): Promise<SlurmApi> {
    return new SlurmApi(this.http, (await this.apiVersion()).version, this.cluster);
  }

  async health(): Promise<HealthReport> {
    const t0 = Date.now();
    const report: HealthReport = {
      ok: false,
      siteId: this.siteId,
      cluster: this.cluster,
      driver: this.driver,
      controller: 'unknown',
      accounting: 'unknown',
      latencyMs: 0,
    };
    try {
      const detected = await this.apiVersion();
      report.apiVersion = detected.version;
      const api = await this.api();
      const ping = await api.ping();
      report.controller = ping.up ? 'up' : 'down';
      if (ping.release ?? detected.slurmRelease) report.schedulerVersion = ping.release ?? detected.slurmRelease;
      try {
        await api.pingAccounting();
        report.accounting = 'up';
      } catch (e) {
        report.accounting = 'down';
        report.error = (e as Error).message;
      }
      report.ok = report.controller === 'up' && report.accounting === 'up';
    } catch (e) {
      report.error = (e as Error).message;
    }
    report.latencyMs = Date.now() - t0;
    return report;
  }

  // --- accounts ----------------------------------------------------------------------------------

  async provisionAccount(req: ProvisionAccountRequest): Promise<AccountState> {
    this.checkAccountName(req.account);
    const api = await this.api();
    const parent = this.site.parentAccount;
    if (!(await api.accountExists(req.account))) {
      await api.createAccount(req.account, req.description, req.organization ?? 'kairr');
    }
    let own = await this.accountAssoc(api, req.account);
    if (!own) {
      const grp = budgetTres(req.limits);
      await api.createAccountAssociation(req.account, parent, newLimitsBody(grp, {}, api.gen), req.description, req.organization ?? 'kairr');
      own = await this.accountAssoc(api, req.account);
      if (!own) {
        throw new PermanentSchedulerError(`the site did not create the association of account ${req.account}`, {
          siteId: this.siteId,
          operation: 'provision',
        });
      }
    }
    // 'root' is where a v0.0.38 limit change that was cut short leaves the account; changeLimits moves it home
    if (own.parent && own.parent !== parent && own.parent !== 'root') {
      // never adopt an account that lives elsewhere in the site's tree: it is not ours
      throw new PermanentSchedulerError(`account ${req.account} exists under "${own.parent}", not under "${parent}"`, {
        siteId: this.siteId,
        operation: 'provision',
      });
    }
    await this.changeLimits(api, own, budgetChange(req.limits));
    for (const member of req.members ?? []) await this.addMemberWith(api, req.account, member, req.partition);
    return (await this.readAccount(req.account))!;
  }

  async addMember(account: string, user: string, partition: string): Promise<void> {
    const api = await this.api();
    if (!(await this.accountAssoc(api, account))) throw new NotFoundSchedulerError(`account ${account} does not exist`, { siteId: this.siteId });
    await this.addMemberWith(api, account, user, partition);
  }

  private async addMemberWith(api: SlurmApi, account: string, member: string, partition: string): Promise<void> {
    const user = slurmUserName(member);
    const has = (list: Assoc[]) => list.some((a) => a.user === user && (a.partition === partition || a.partition === ''));
    if (has(await api.associations({ account, user }))) return;
    if ((await api.userDefaultAccount(user)) === null) await api.putUser(user, account);
    await api.createUserAssociation(account, user, partition);
    if (!has(await api.associations({ account, user }))) {
      throw new PermanentSchedulerError(`the site did not add ${user} to ${account}`, { siteId: this.siteId, operation: 'add-member' });
    }
  }

  async removeMember(account: string, member: string): Promise<void> {
    const api = await this.api();
    const user = slurmUserName(member);
    const mine = await api.associations({ account, user });
    const toRemove = mine.filter((a) => a.user === user && a.account === account);
    if (toRemove.length === 0) return;
    const others = (await api.associations({ user })).filter((a) => a.user === user && a.account !== account);
    // Slurm refuses to remove a user's default association while the user has others: move the default first
    if (others.length > 0 && (await api.userDefaultAccount(user)) === account) await api.putUser(user, others[0].account);
    for (const a of toRemove) await api.deleteUserAssociation(account, user, a.partition);
    if (others.length === 0) await api.deleteUser(user);
    const left = (await api.associations({ account, user })).filter((a) => a.user === user);
    if (left.length) throw new PermanentSchedulerError(`the site kept ${user} in ${account}`, { siteId: this.siteId, operation: 'remove-member' });
  }

  async setLimits(account: string, limits: AccountLimits): Promise<AccountState> {
    const api = await this.api();
    const own = await this.requireAccountAssoc(api, account);
    await this.changeLimits(api, own, budgetChange(limits));
    return (await this.readAccount(account))!;
  }

  async block(account: string): Promise<void> {
    const api = await this.api();
    await this.changeLimits(api, await this.requireAccountAssoc(api, account), { scalars: { grpSubmitJobs: 0, grpJobs: 0 } });
  }

  async unblock(account: string): Promise<void> {
    const api = await this.api();
    await this.changeLimits(api, await this.requireAccountAssoc(api, account), { scalars: { grpSubmitJobs: null, grpJobs: null } });
  }

  async readAccount(account: string): Promise<AccountState | undefined> {
    const api = await this.api();
    return accountStates(await api.associations({ account }), this.cluster).find((s) => s.account === account);
  }

  async listAccounts(): Promise<AccountState[]> {
    const api = await this.api();
    return accountStates(await api.associations(), this.cluster).filter((s) => s.parentAccount === this.site.parentAccount);
  }

  private async accountAssoc(api: SlurmApi, account: string): Promise<Assoc | undefined> {
    return (await api.associations({ account })).find((a) => a.account === account && a.user === '');
  }

  private async requireAccountAssoc(api: SlurmApi, account: string): Promise<Assoc> {
    const own = await this.accountAssoc(api, account);
    if (!own) throw new NotFoundSchedulerError(`account ${account} does not exist on ${this.cluster}`, { siteId: this.siteId });
    return own;
  }

  /** Read-modify-write of one association, then verify: slurmrestd may answer 200 and change nothing. */
  private async changeLimits(api: SlurmApi, before: Assoc, change: LimitChange): Promise<void> {
    const after = applyLimitChange(before, change);
    const parent = this.site.parentAccount;
    if (sameLimits(before, after) && before.parent === parent) return;
    await api.updateAssociation(before, limitsBody(before, after, api.gen), parent);
    const now = await this.accountAssoc(api, before.account);
    if (!now || !sameLimits(now, after) || now.parent !== parent) {
      throw new PermanentSchedulerError(`the site did not apply the new limits of ${before.account}`, {
        siteId: this.siteId,
        operation: 'set-limits',
      });
    }
  }

  private checkAccountName(account: string): void {
    if (!isValidSlurmAccountName(account)) {
      throw new PermanentSchedulerError(`"${account}" is not a valid Slurm account name`, { siteId: this.siteId });
    }
  }

  // --- jobs ----------------------------------------------------------------------------------------

  async submitJob(req: SubmitJobRequest): Promise<SubmitJobResult> {
    let name: string;
    try {
      name = dispatchJobName(req.dispatchId);
    } catch (e) {
      throw new PermanentSchedulerError((e as Error).message, { siteId: this.siteId, operation: 'submit' });
    }
    if (!req.firstAttempt) {
      const existing = await this.findJobByDispatchId(req.dispatchId, { account: req.account });
      if (existing) return { jobId: existing.jobId, alreadySubmitted: true };
    }
    const api = await this.api();
    const jobId = await api.submit(
      {
        script: req.script,
        name,
        comment: req.description ? `${req.description} [kairr dispatch ${req.dispatchId}]` : `kairr dispatch ${req.dispatchId}`,
        account: req.account,
        partition: req.partition,
        timeLimitMinutes: req.timeLimitMinutes,
        nodes: req.nodes ?? 1,
        tasks: req.tasks ?? 1,
        cpusPerTask: req.cpusPerTask ?? 1,
        gpusPerNode: req.gpus,
        workingDirectory: req.workingDirectory,
        // the user in the name: in a shared sticky directory (the default is /tmp) a stale file of
        // another user under a reused job id would make the job fail to launch (Slurm: "Could not
        // open stdout file ... Permission denied", JobLaunchFailure), e.g. after a cluster is rebuilt
        standardOutput: req.standardOutput ?? `${req.workingDirectory.replace(/\/+$/, '')}/slurm-%u-%j.out`,
        environment: req.environment ?? {},
      },
      slurmUserName(req.user),
    );
    return { jobId, alreadySubmitted: false };
  }

  async findJobByDispatchId(dispatchId: string, opts: { account?: string; submittedAfter?: Date } = {}): Promise<JobStatus | undefined> {
    const name = dispatchJobName(dispatchId);
    const api = await this.api();
    const newest = (jobs: JobStatus[]) => jobs.filter((j) => j.name === name && (!opts.account || j.account === opts.account)).sort((a, b) => Number(b.jobId) - Number(a.jobId))[0];
    // slurmctld first: it knows a job the moment it is submitted; slurmdbd keeps it after MinJobAge
    const live = newest(await api.controllerJobs());
    if (live) return live;
    const since = opts.submittedAfter ?? new Date(Date.now() - (this.opts.dispatchLookbackMs ?? 14 * 86_400_000));
    const past = await api.accountingJobs({
      startTime: relativeTime(since),
      endTime: 'now',
      jobName: name,
      ...(opts.account ? { accounts: [opts.account] } : {}),
    });
    return newest(past.map((j) => j.status));
  }

  async jobStatus(jobId: string): Promise<JobStatus> {
    const api = await this.api();
    const live = await api.controllerJob(jobId);
    if (live) return live;
    const past = await api.accountingJob(jobId);
    if (past) return past.status;
    throw new NotFoundSchedulerError(`job ${jobId} is unknown to ${this.cluster}`, { siteId: this.siteId, operation: 'job-status' });
  }

  async cancelJob(jobId: string, opts: { asUser?: string } = {}): Promise<void> {
    const status = await this.jobStatus(jobId);
    if (status.phase === 'finished') return;
    const api = await this.api();
    await api.cancel(jobId, opts.asUser ? slurmUserName(opts.asUser) : undefined);
  }

  async listJobs(req: ListJobsRequest): Promise<SchedulerJobRecord[]> {
    const api = await this.api();
    const now = Date.now();
    const jobs = await api.accountingJobs({
      startTime: relativeTime(req.since, now),
      endTime: req.until ? relativeTime(req.until, now) : 'now',
      ...(req.accounts?.length ? { accounts: req.accounts } : {}),
    });
    // started jobs only: a job that never ran has nothing to charge
    return jobs.map((j) => j.record).filter((r) => r.start !== undefined);
  }

  async jobsChangedSince(since?: number): Promise<ChangedJobs> {
    // v0.0.38 gives no last_update: then our own clock before the request, early by CLOCK_SKEW_S,
    // so a change at a site whose clock runs behind ours is never skipped (at worst seen twice)
    const before = Math.floor(Date.now() / 1000) - CLOCK_SKEW_S;
    const r = await (await this.api()).controllerJobsChangedSince(since);
    if (!r.changed) return { changed: false, jobs: [], watermark: since ?? before };
    return { changed: true, jobs: r.jobs, watermark: r.lastUpdate ?? before };
  }
}

/** How far a site's clock may run behind ours before jobsChangedSince could miss a change. */
const CLOCK_SKEW_S = 5;

function budgetTres(limits: AccountLimits): Record<string, number> {
  return {
    ...(limits.gpuMinutes !== undefined ? { [GPU]: limits.gpuMinutes } : {}),
    ...(limits.cpuMinutes !== undefined ? { [CPU]: limits.cpuMinutes } : {}),
  };
}

function budgetChange(limits: AccountLimits): LimitChange {
  for (const v of [limits.gpuMinutes, limits.cpuMinutes]) {
    if (v !== undefined && (!Number.isInteger(v) || v < 0)) throw new PermanentSchedulerError(`limits must be whole minutes >= 0, got ${v}`);
  }
  return { grpTresMins: { [GPU]: limits.gpuMinutes ?? null, [CPU]: limits.cpuMinutes ?? null } };
}

/** Associations → one AccountState per account that has its own association. */
export function accountStates(assocs: Assoc[], cluster: string): AccountState[] {
  const byAccount = new Map<string, AccountState>();
  for (const a of assocs) {
    if (a.user !== '') continue;
    const grp = a.tres.grpTresMins;
    byAccount.set(a.account, {
      account: a.account,
      cluster,
      parentAccount: a.parent,
      limits: {
        ...(grp[GPU] !== undefined ? { gpuMinutes: grp[GPU] } : {}),
        ...(grp[CPU] !== undefined ? { cpuMinutes: grp[CPU] } : {}),
      },
      blocked: a.scalars.grpSubmitJobs === 0 || a.scalars.grpJobs === 0,
      members: [],
      grpTresMins: { ...grp },
      ...(a.scalars.grpJobs !== undefined ? { grpJobs: a.scalars.grpJobs } : {}),
      ...(a.scalars.grpSubmitJobs !== undefined ? { grpSubmitJobs: a.scalars.grpSubmitJobs } : {}),
    });
  }
  for (const a of assocs) {
    if (a.user === '') continue;
    byAccount.get(a.account)?.members.push({ user: a.user, partition: a.partition });
  }
  for (const s of byAccount.values()) s.members.sort((x, y) => x.user.localeCompare(y.user) || x.partition.localeCompare(y.partition));
  return [...byAccount.values()];
}
