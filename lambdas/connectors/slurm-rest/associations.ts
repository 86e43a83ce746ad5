// Associations in both generations, and the one rule for changing them: an update must carry every
// TRES limit the association already has. Slurm 22.05's slurmrestd crashes on an update that leaves
// out a TRES list that is set (_diff_tres() on a NULL list); 24.11 clears every TRES list left out.
// So the driver reads the association, changes what it means to change, and sends all of it back.
import { num, tresListToRecord, tresRecordToList, type ApiGeneration } from './normalize';

/** Every TRES-list limit of an association: field name → path under `max`. */
export const TRES_LIMIT_PATHS = {
  grpTresMins: ['tres', 'group', 'minutes'],
  grpTresRunMins: ['tres', 'group', 'active'],
  grpTres: ['tres', 'total'],
  maxTresMinsPerJob: ['tres', 'minutes', 'per', 'job'],
  maxTresMinsTotal: ['tres', 'minutes', 'total'],
  maxTresPerJob: ['tres', 'per', 'job'],
  maxTresPerNode: ['tres', 'per', 'node'],
} as const;
export type TresLimitField = keyof typeof TRES_LIMIT_PATHS;

/** Scalar job limits: field name → path under `max` (same in both generations). */
export const SCALAR_LIMIT_PATHS = {
  grpJobs: ['jobs', 'per', 'count'],
  grpJobsAccrue: ['jobs', 'per', 'accruing'],
  grpSubmitJobs: ['jobs', 'per', 'submitted'],
  maxWallPerJob: ['jobs', 'per', 'wall_clock'],
  maxJobs: ['jobs', 'active'],
  maxJobsAccrue: ['jobs', 'accruing'],
  maxSubmitJobs: ['jobs', 'total'],
  grpWall: ['per', 'account', 'wall_clock'],
} as const;
export type ScalarLimitField = keyof typeof SCALAR_LIMIT_PATHS;

export interface Assoc {
  account: string;
  cluster: string;
  /** '' for the account's own association. */
  user: string;
  partition: string;
  parent: string;
  tres: Record<TresLimitField, Record<string, number>>;
  scalars: Partial<Record<ScalarLimitField, number>>;
}

function dig(o: unknown, path: readonly string[]): unknown {
  let cur = o;
  for (const k of path) {
    if (!cur || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

function put(o: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let cur = o;
  for (const k of path.slice(0, -1)) {
    cur[k] ??= {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[path[path.length - 1]] = value;
}

export function assocFromApi(a: Record<string, unknown>): Assoc {
  const max = a.max ?? {};
  const tres = {} as Assoc['tres'];
  for (const [field, path] of Object.entries(TRES_LIMIT_PATHS)) tres[field as TresLimitField] = tresListToRecord(dig(max, path));
  const scalars: Assoc['scalars'] = {};
  for (const [field, path] of Object.entries(SCALAR_LIMIT_PATHS)) {
    const v = num(dig(max, path));
    if (v !== undefined) scalars[field as ScalarLimitField] = v;
  }
  const s = (x: unknown) => (typeof x === 'string' ? x : '');
  return {
    account: s(a.account),
    cluster: s(a.cluster),
    user: s(a.user),
    partition: s(a.partition),
    parent: s(a.parent_account),
    tres,
    scalars,
  };
}

export interface LimitChange {
  /** New GrpTRESMins by TRES key; a key set to null is cleared. Keys not named are kept. */
  grpTresMins?: Record<string, number | null>;
  /** New scalar limits; null clears (unlimited). Fields not named are kept. */
  scalars?: Partial<Record<ScalarLimitField, number | null>>;
}

/** Apply a change to an association's limits (pure): what the association should look like after. */
export function applyLimitChange(current: Assoc, change: LimitChange): Assoc {
  const grp = { ...current.tres.grpTresMins };
  for (const [k, v] of Object.entries(change.grpTresMins ?? {})) {
    if (v === null) delete grp[k];
    else grp[k] = v;
  }
  const scalars = { ...current.scalars };
  for (const [k, v] of Object.entries(change.scalars ?? {})) {
    if (v === null) delete scalars[k as ScalarLimitField];
    else scalars[k as ScalarLimitField] = v;
  }
  return { ...current, tres: { ...current.tres, grpTresMins: grp }, scalars };
}

/**
 * The `max` object of an update that takes `before` to `after`: every TRES list in full (count -1 for
 * a TRES to drop), plus the scalars that change (cleared ones as "unlimited" in the generation's form).
 */
export function limitsBody(before: Assoc, after: Assoc, gen: ApiGeneration): Record<string, unknown> {
  const max: Record<string, unknown> = {};
  for (const [field, path] of Object.entries(TRES_LIMIT_PATHS) as [TresLimitField, readonly string[]][]) {
    const next = { ...after.tres[field] };
    for (const k of Object.keys(before.tres[field])) if (!(k in next)) next[k] = -1;
    put(max, path, tresRecordToList(next));
  }
  for (const [field, path] of Object.entries(SCALAR_LIMIT_PATHS) as [ScalarLimitField, readonly string[]][]) {
    const was = before.scalars[field];
    const will = after.scalars[field];
    if (was === will) continue;
    if (will === undefined) put(max, path, gen === 'v0.0.38' ? -1 : { set: true, infinite: true, number: 0 });
    else put(max, path, gen === 'v0.0.38' ? will : { set: true, infinite: false, number: will });
  }
  return max;
}

/** The `max` object of a new association carrying `limits` (nothing to carry over). */
export function newLimitsBody(grpTresMins: Record<string, number>, scalars: Partial<Record<ScalarLimitField, number>>, gen: ApiGeneration): Record<string, unknown> {
  const max: Record<string, unknown> = {};
  if (Object.keys(grpTresMins).length) put(max, TRES_LIMIT_PATHS.grpTresMins, tresRecordToList(grpTresMins));
  for (const [field, value] of Object.entries(scalars) as [ScalarLimitField, number][]) {
    put(max, SCALAR_LIMIT_PATHS[field], gen === 'v0.0.38' ? value : { set: true, infinite: false, number: value });
  }
  return max;
}

export function sameLimits(a: Assoc, b: Assoc): boolean {
  const eq = (x: Record<string, number>, y: Record<string, number>) => Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, v]) => y[k] === v);
  return (Object.keys(TRES_LIMIT_PATHS) as TresLimitField[]).every((f) => eq(a.tres[f], b.tres[f])) && eq(a.scalars as Record<string, number>, b.scalars as Record<string, number>);
}
