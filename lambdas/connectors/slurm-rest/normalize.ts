// Pure translation between slurmrestd's two JSON generations and the driver's own types:
//   v0.0.38 (Slurm 22.05)                 plain numbers or null, job_state "RUNNING", environment {K: V}, gres "gpu:N"
//   v0.0.40/41/42 (data_parser, 23.11+)   {set, infinite, number}, job_state ["RUNNING"], environment ["K=V"], tres_per_node
import { dispatchIdFromJobName, TERMINAL_JOB_STATES, type SchedulerJobRecord } from '../../domain/scheduler-mapping';
import type { JobPhase, JobStatus } from '../driver';

export type ApiGeneration = 'v0.0.38' | 'data_parser';

/** A number in either generation: null / NO_VAL / {set:false} / {infinite:true} are "no value". */
export function num(x: unknown): number | undefined {
  if (typeof x === 'number') return Number.isFinite(x) && x >= 0 && x < 0xfffffffe ? x : undefined;
  if (x && typeof x === 'object') {
    const o = x as { set?: boolean; infinite?: boolean; number?: unknown };
    if (o.infinite === true || o.set === false) return undefined;
    return typeof o.number === 'number' ? num(o.number) : undefined;
  }
  if (typeof x === 'string' && /^\d+$/.test(x)) return Number(x);
  return undefined;
}

/** Job states: "RUNNING" (v0.0.38) or ["RUNNING", "COMPLETING", ...] (flags follow the base state). */
export function jobState(x: unknown): string {
  if (Array.isArray(x)) return String(x[0] ?? 'UNKNOWN').toUpperCase();
  if (typeof x === 'string' && x) return x.toUpperCase();
  return 'UNKNOWN';
}

export function phaseOf(state: string): JobPhase {
  if (TERMINAL_JOB_STATES.has(state)) return 'finished';
  if (state === 'RUNNING' || state === 'COMPLETING' || state === 'SUSPENDED' || state === 'STOPPED') return 'running';
  return 'pending';
}

/** Epoch seconds (0 = not yet) → ISO 8601. */
export function isoTime(x: unknown): string | undefined {
  const n = num(x);
  return n && n > 0 ? new Date(n * 1000).toISOString() : undefined;
}

/** The TRES key Slurm uses in its own strings: "cpu", "mem", "gres/gpu". */
export function tresKey(t: { type?: unknown; name?: unknown }): string {
  const name = typeof t.name === 'string' ? t.name : '';
  return name ? `${String(t.type)}/${name}` : String(t.type);
}

export function tresListToRecord(list: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (!Array.isArray(list)) return out;
  for (const t of list as { type?: unknown; name?: unknown; count?: unknown }[]) {
    const count = typeof t.count === 'number' ? t.count : num(t.count);
    if (count !== undefined && count >= 0) out[tresKey(t)] = count;
  }
  return out;
}

export function tresRecordToList(rec: Record<string, number>): { type: string; name: string; count: number }[] {
  return Object.entries(rec).map(([key, count]) => {
    const slash = key.indexOf('/');
    return slash < 0 ? { type: key, name: '', count } : { type: key.slice(0, slash), name: key.slice(slash + 1), count };
  });
}

/** GPUs in a TRES string such as "cpu=2,mem=256M,node=1,billing=2,gres/gpu=2" or "gres/gpu:h200=2". */
export function gpusFromTresString(s: unknown): number | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  let total: number | undefined;
  let typed = 0;
  for (const part of s.split(',')) {
    const m = /^gres\/gpu(:[^=]+)?=(\d+)$/.exec(part.trim());
    if (!m) continue;
    if (m[1]) typed += Number(m[2]);
    else total = Number(m[2]);
  }
  return total ?? (typed || undefined);
}

/** GPUs in a request such as "gpu:2", "gres:gpu:2", "gres/gpu:2", "gres/gpu:h200:2" (per node). */
export function gpusFromGresRequest(s: unknown): number | undefined {
  if (typeof s !== 'string' || !s) return undefined;
  let total = 0;
  for (const part of s.split(',')) {
    const m = /(?:^|[:/])gpu(?::[a-z0-9_.-]+)?[:=](\d+)$/i.exec(part.trim());
    if (m) total += Number(m[1]);
    else if (/(?:^|[:/])gpu$/i.test(part.trim())) total += 1;
  }
  return total || undefined;
}

/** The allocated GPU count of a slurmdbd job record: tres.allocated's gres/gpu entry. */
export function gpusFromTresList(list: unknown): number {
  const rec = tresListToRecord(list);
  if (rec['gres/gpu'] !== undefined) return rec['gres/gpu'];
  return Object.entries(rec)
    .filter(([k]) => k.startsWith('gres/gpu:'))
    .reduce((a, [, v]) => a + v, 0);
}

const BUDGET_REASON = /^Assoc(Grp|Max)\w*(Min|Minutes|Jobs|Submit)\w*$|^AssocGrpSubmitJobsLimit$|^QOSGrp\w*Minutes?\w*$/;

/**
 * Whether a pending reason means "the account's budget or block holds this job": GrpTRESMins used up
 * (AssocGrpGRESMinutes, AssocGrpCPUMinutesLimit, …) or GrpJobs=0 (AssocGrpJobsLimit).
 */
export function budgetHoldReason(reason: string | undefined): boolean {
  return !!reason && BUDGET_REASON.test(reason);
}

/**
 * The exit code in a POSIX wait status, as slurmctld stores a job's (WEXITSTATUS: bits 8-15 when the
 * low 7 bits are 0). A job killed by a signal reports 128 + the signal, as a shell does (sacct's
 * "0:9" is 137 here). NO_VAL and other out-of-range values are no exit code at all.
 */
export function exitCodeOfWaitStatus(status: number): number | undefined {
  const w = num(status);
  if (w === undefined || !Number.isInteger(w) || w > 0xffff) return undefined;
  const signal = w & 0x7f;
  return signal === 0 ? (w >> 8) & 0xff : 128 + signal;
}

const str = (x: unknown): string => (typeof x === 'string' ? x : x === undefined || x === null ? '' : String(x));

/** A job from slurmctld (GET /slurm/vX/job/{id} or /jobs), either generation. */
export function jobFromController(j: Record<string, unknown>, now = Date.now()): JobStatus {
  const state = jobState(j.job_state);
  const name = str(j.name);
  const reason = str(j.state_reason);
  // a pending job's start_time is the scheduler's estimate (backfill), not a start
  const start = phaseOf(state) === 'pending' ? undefined : isoTime(j.start_time);
  const end = phaseOf(state) === 'finished' ? isoTime(j.end_time) : undefined;
  const nodes = num(j.node_count) ?? 1;
  const allocated = gpusFromTresString(j.tres_alloc_str);
  const requested = gpusFromGresRequest(j.tres_per_node) ?? gpusFromGresRequest(j.gres) ?? gpusFromGresRequest(j.tres_per_job);
  const gpus = allocated ?? (requested !== undefined ? requested * (j.tres_per_job ? 1 : nodes) : 0);
  const exit = j.exit_code;
  // v0.0.38 (Slurm 22.05, spc) gives the raw wait status (a job exiting 3 reports 768); v0.0.40+
  // give it decoded ({status, return_code, signal})
  const exitCode = typeof exit === 'number' ? exitCodeOfWaitStatus(exit) : num((exit as { return_code?: unknown } | undefined)?.return_code);
  const dispatchId = dispatchIdFromJobName(name);
  return {
    jobId: String(j.job_id),
    ...(dispatchId ? { dispatchId } : {}),
    name,
    account: str(j.account),
    user: str(j.user_name),
    partition: str(j.partition),
    state,
    phase: phaseOf(state),
    ...(reason && reason !== 'None' ? { reason } : {}),
    heldByBudget: phaseOf(state) === 'pending' && budgetHoldReason(reason),
    ...(exitCode !== undefined && phaseOf(state) === 'finished' ? { exitCode } : {}),
    gpus,
    ...(isoTime(j.submit_time) ? { submit: isoTime(j.submit_time) } : {}),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(start ? { elapsedSeconds: elapsed(start, end, now) } : {}),
  };
}

function elapsed(start: string, end: string | undefined, now: number): number {
  const s = Date.parse(start);
  const e = end ? Date.parse(end) : now;
  return Math.max(0, Math.round((e - s) / 1000));
}

export interface DbJob {
  status: JobStatus;
  record: SchedulerJobRecord;
}

/** A job from slurmdbd (GET /slurmdb/vX/job/{id} or /jobs), either generation. */
export function jobFromAccounting(j: Record<string, unknown>, siteId: string, cluster: string, now = Date.now()): DbJob {
  const st = (j.state ?? {}) as { current?: unknown; reason?: unknown };
  const state = jobState(st.current);
  const time = (j.time ?? {}) as Record<string, unknown>;
  const start = isoTime(time.start);
  const finished = phaseOf(state) === 'finished';
  const end = finished ? isoTime(time.end) : undefined;
  const tres = (j.tres ?? {}) as { allocated?: unknown; requested?: unknown };
  const allocatedGpus = gpusFromTresList(tres.allocated);
  const gpus = start ? allocatedGpus : gpusFromTresList(tres.requested);
  const reportedElapsed = num(time.elapsed);
  const elapsedSeconds = start ? (finished && reportedElapsed !== undefined ? reportedElapsed : elapsed(start, end, now)) : 0;
  const name = str(j.name);
  const dispatchId = dispatchIdFromJobName(name);
  const reason = str(st.reason);
  const exit = j.exit_code as { return_code?: unknown } | undefined;
  const exitCode = num(exit?.return_code);
  const asOf = new Date(now).toISOString();
  const status: JobStatus = {
    jobId: String(j.job_id),
    ...(dispatchId ? { dispatchId } : {}),
    name,
    account: str(j.account),
    user: str(j.user),
    partition: str(j.partition),
    state,
    phase: phaseOf(state),
    ...(reason && reason !== 'None' ? { reason } : {}),
    heldByBudget: phaseOf(state) === 'pending' && budgetHoldReason(reason),
    ...(exitCode !== undefined && finished ? { exitCode } : {}),
    gpus,
    ...(isoTime(time.submission) ? { submit: isoTime(time.submission) } : {}),
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    ...(start ? { elapsedSeconds } : {}),
  };
  const record: SchedulerJobRecord = {
    siteId,
    cluster: str(j.cluster) || cluster,
    jobId: String(j.job_id),
    account: status.account,
    user: status.user,
    partition: status.partition,
    gpus: start ? allocatedGpus : 0,
    ...(start ? { start } : {}),
    ...(end ? { end } : {}),
    elapsedSeconds,
    state,
    asOf,
    ...(dispatchId ? { dispatchId } : {}),
  };
  return { status, record };
}

/** Slurm's relative time syntax: no ':' to URL-encode and no time zone to agree on with the site. */
export function relativeTime(at: Date, now = Date.now()): string {
  const secs = Math.round((now - at.getTime()) / 1000);
  if (secs <= 0) return secs === 0 ? 'now' : `now+${-secs}seconds`;
  return `now-${secs}seconds`;
}
