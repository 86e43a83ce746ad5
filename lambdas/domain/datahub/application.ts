// An access application for a restricted dataset (REMS's model, issue 13): who applies, for what
// purpose, under which allocation, for which users, period and processing site, having accepted
// which terms. The dataset's committee decides (its named committee, or else its stewards). States:
//
//   submitted ──approve──▶ approved ──revoke──▶ revoked
//       │ ├──reject───▶ rejected
//       │ ├──return───▶ returned (the committee's comment; the applicant applies again)
//       │ ├──withdraw─▶ closed   (the applicant; also from returned)
//       │ ├──expire───▶ closed   (no decision after the flow's reminders)
//       │ └──error────▶ error    (the flow failed: visible, with its cause)
//
// REMS's draft state is not modelled: an application is submitted when it is created (a draft
// would be a second write path for the same fields). Each transition names what is wrong.
import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { ConflictError, ForbiddenError } from '../errors';
import type { Viewer } from './access';
import type { Artifact } from './model';

export const APPLICATION_ID = /^dha-[0-9a-z]{26}$/;
export const APPLICATION_STATES = ['submitted', 'returned', 'approved', 'rejected', 'closed', 'revoked', 'error'] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];
export const DECISIONS = ['approve', 'reject', 'return'] as const;
export type DecisionKind = (typeof DECISIONS)[number];

/**
 * A gated model's request in Hugging Face's terms (issue 13 §4): pending while the committee may
 * still decide (submitted), accepted once approved, rejected for every state that gives no access
 * and is final (rejected, returned — the applicant applies anew —, withdrawn or expired, revoked,
 * a failed flow). Derived from the state, never stored, so it cannot disagree with it; dataset
 * applications carry it too.
 */
export const GATES = ['pending', 'accepted', 'rejected'] as const;
export type Gate = (typeof GATES)[number];
export function gateOf(state: ApplicationState): Gate {
  if (state === 'submitted') return 'pending';
  return state === 'approved' ? 'accepted' : 'rejected';
}

/**
 * The `siteId` of an application (and the site of its permit) that names the hub's own storage: a
 * model application may name no processing site, and its permit then covers downloads of the hub's
 * copy only (no site is named `hub`, so no job at a site and no site's permit export honours it).
 */
export const HUB_SITE = 'hub';

/** States in which nothing more happens to the application (its flow has ended). */
export const FINAL_STATES: readonly ApplicationState[] = ['approved', 'rejected', 'returned', 'closed', 'revoked', 'error'];

/** The terms every restricted dataset has unless its stewards write their own (artifact.termsText). */
export const DEFAULT_TERMS_TEXT =
  'I will use this dataset only for the purpose stated in this application, only at the processing site and by the users it names, and only within its period. I will not redistribute it, will not try to re-identify anyone in it, will report any breach to the data access committee at once, and will delete my copies when the permit ends.';

/** The dataset's terms text: its own, or the default. */
export const termsTextOf = (a: { termsText?: string }): string => a.termsText ?? DEFAULT_TERMS_TEXT;

/** SHA-256 (hex) of the NFC-normalised terms text: what an application records as accepted. */
export const termsDigest = (text: string): string => createHash('sha256').update(text.normalize('NFC'), 'utf8').digest('hex');

export const DecisionSchema = z.object({
  decision: z.enum(DECISIONS),
  by: z.string(),
  comment: z.string(),
  at: z.string(),
});
export type Decision = z.infer<typeof DecisionSchema>;

export const ApplicationSchema = z.object({
  applicationId: z.string().check(z.regex(APPLICATION_ID)),
  /** The artifact applied for: a dataset, or a gated model (the name is kept from before models). */
  datasetId: z.string(),
  /** Versions applied for; empty = every published version. */
  versions: z.array(z.string()),
  applicant: z.string(),
  purpose: z.string(),
  allocationId: z.string(),
  /** Subjects of the people who will use the data (the applicant among them). */
  users: z.array(z.string()),
  start: z.string(),
  end: z.string(),
  /** The processing site; HUB_SITE for a model application that names none. */
  siteId: z.string(),
  /** SHA-256 of the terms text the applicant accepted, and when. */
  terms: z.object({ digest: z.string(), acceptedAt: z.string() }),
  state: z.enum(APPLICATION_STATES),
  decisions: z.array(DecisionSchema),
  /** The committee's reminders sent by the flow. */
  reminders: z.number(),
  permitId: z.optional(z.string()),
  closedReason: z.optional(z.string()),
  error: z.optional(z.string()),
  executionArn: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Application = z.infer<typeof ApplicationSchema>;

/** Who decides on the dataset's applications: its named committee, or else its stewards. */
export function committeeOf(a: Pick<Artifact, 'stewards'> & { committee?: string[] }): string[] {
  return a.committee?.length ? a.committee : a.stewards;
}

export function isCommittee(a: Pick<Artifact, 'stewards'> & { committee?: string[] }, v: Viewer): boolean {
  return !!v.sub && committeeOf(a).includes(v.sub);
}

/** Who may read an application: its applicant, the dataset's committee, admins and auditors. Others get 404, so an application's existence is not shown. */
export function canReadApplication(app: Pick<Application, 'applicant'>, a: Pick<Artifact, 'stewards'> & { committee?: string[] }, v: Viewer): boolean {
  return (!!v.sub && app.applicant === v.sub) || isCommittee(a, v) || v.roles.includes('admin') || v.roles.includes('auditor');
}

/** Who sees a dataset's queue of applications. */
export function canListApplications(a: Pick<Artifact, 'stewards'> & { committee?: string[] }, v: Viewer): boolean {
  return isCommittee(a, v) || v.roles.some((r) => r === 'curator' || r === 'admin' || r === 'auditor');
}

const wrongState = (app: Application, want: readonly ApplicationState[], what: string) =>
  new ConflictError(`Application ${app.applicationId} is ${app.state}; ${what} needs it ${want.join(' or ')}`, [{ path: 'state', problem: `is ${app.state}` }], 'wrong_state');

/** The application after the committee's decision (a member never decides their own application). */
export function applyDecision(app: Application, a: Pick<Artifact, 'stewards'> & { committee?: string[] }, d: { decision: DecisionKind; comment: string }, v: Viewer, now: Date): Application {
  if (!isCommittee(a, v)) throw new ForbiddenError("Only the dataset's data access committee decides on its applications");
  if (v.sub === app.applicant) throw new ForbiddenError('A committee member never decides their own application; another member must');
  if (app.state !== 'submitted') throw wrongState(app, ['submitted'], 'a decision');
  const at = now.toISOString();
  const state: ApplicationState = d.decision === 'approve' ? 'approved' : d.decision === 'reject' ? 'rejected' : 'returned';
  return { ...app, state, decisions: [...app.decisions, { decision: d.decision, by: v.sub!, comment: d.comment, at }], updatedAt: at };
}

export function applyWithdraw(app: Application, v: Viewer, now: Date): Application {
  if (v.sub !== app.applicant) throw new ForbiddenError('Only the applicant withdraws an application');
  if (app.state !== 'submitted' && app.state !== 'returned') throw wrongState(app, ['submitted', 'returned'], 'withdrawing');
  return { ...app, state: 'closed', closedReason: 'withdrawn by the applicant', updatedAt: now.toISOString() };
}

/** The flow gave up waiting: no decision after its reminders. A decided application stays as it is. */
export function applyExpire(app: Application, now: Date): Application | null {
  if (app.state !== 'submitted') return null;
  return { ...app, state: 'closed', closedReason: 'no decision within the committee deadline', updatedAt: now.toISOString() };
}

export function applyError(app: Application, cause: string, now: Date): Application | null {
  if (app.state !== 'submitted') return null;
  return { ...app, state: 'error', error: cause.slice(0, 1000), updatedAt: now.toISOString() };
}

/** Revoking the permit closes the application it came from. */
export function applyRevoked(app: Application, now: Date): Application {
  return { ...app, state: 'revoked', updatedAt: now.toISOString() };
}

/** Problems with a period: it must end after it starts, and last at most `maxDays`. */
export function periodProblems(start: Date, end: Date, maxDays: number, now: Date): { path: string; problem: string }[] {
  const out: { path: string; problem: string }[] = [];
  if (Number.isNaN(start.getTime())) out.push({ path: 'start', problem: 'must be an ISO 8601 date or time' });
  if (Number.isNaN(end.getTime())) out.push({ path: 'end', problem: 'must be an ISO 8601 date or time' });
  if (out.length) return out;
  if (end.getTime() <= start.getTime()) out.push({ path: 'end', problem: 'must be after start' });
  else if (end.getTime() - start.getTime() > maxDays * 86_400_000) out.push({ path: 'end', problem: `makes a period longer than the policy maximum of ${maxDays} days` });
  if (end.getTime() <= now.getTime()) out.push({ path: 'end', problem: 'is in the past' });
  return out;
}
