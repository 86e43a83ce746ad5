// A report's content against its obligation: may it be submitted now, is it within its limits.
// Each refusal is a named 4xx with the figures (the words counted, the limit, the date it opens).
import { ConflictError, RuleViolationError } from '../errors';
import { startOf } from './dates';
import type { ReportObligation } from './model';
import { checkOutcomes, type OutcomeInput } from './outcomes';

export const REPORT_LANGUAGES = ['ko', 'en'] as const;

export interface ReportAttachment {
  artifactId: string;
  version: string;
  uploadId: string;
  name: string;
  pages: number;
  /** Filled in from the hub when the report is stored: what the attachment held when submitted. */
  path?: string;
  bytes?: number;
  sha256?: string;
}

export interface ReportBody {
  language: (typeof REPORT_LANGUAGES)[number];
  progress: string;
  problems?: string;
  nextPlan?: string;
  outcomes: OutcomeInput[];
  /** Files uploaded through the data hub's upload path; pages as the uploader counted them. */
  attachments?: ReportAttachment[];
}

/**
 * Words as a reader counts them: runs of letters or digits. Korean separates words (eojeol) with
 * spaces as English does, so one rule serves both; punctuation is not a word.
 */
export function wordCount(text: string | undefined): number {
  if (!text) return 0;
  return (text.match(/[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu) ?? []).length;
}

export interface ReportMeasure {
  words: number;
  pages: number;
}

export function measure(b: ReportBody, wordsPerPage: number): ReportMeasure {
  const words = wordCount(b.progress) + wordCount(b.problems) + wordCount(b.nextPlan);
  const attached = (b.attachments ?? []).reduce((s, a) => s + a.pages, 0);
  return { words, pages: Math.ceil(words / wordsPerPage) + attached };
}

export class ReportNotOpenError extends RuleViolationError {
  constructor(r: ReportObligation) {
    super(`The ${r.reportId} report covers ${r.periodStart} to ${r.periodEnd}; it can be submitted from ${r.opensOn}`, [{ path: 'reportId', problem: `opens on ${r.opensOn}` }], 'report_period_not_open');
  }
}

export class ReportOverLimitError extends RuleViolationError {
  constructor(details: { path: string; problem: string }[]) {
    super(`The report is over its limit: ${details.map((d) => `${d.path} ${d.problem}`).join('; ')}`, details, 'report_over_limit');
  }
}

/** Checks a submission; returns the normalised outcomes and the measure. */
export function checkSubmission(r: ReportObligation, b: ReportBody, now: Date, wordsPerPage: number): { outcomes: OutcomeInput[]; measure: ReportMeasure } {
  if (now.toISOString() < startOf(r.opensOn)) throw new ReportNotOpenError(r);
  if (r.status === 'accepted') throw new ConflictError(`The ${r.reportId} report was accepted on ${r.reviewedAt?.slice(0, 10)}; it cannot change`, [{ path: 'reportId', problem: 'is accepted' }], 'report_already_accepted');
  if (r.status === 'submitted')
    throw new ConflictError(`The ${r.reportId} report (version ${r.version}) is waiting for review; it can be changed once it is returned`, [{ path: 'reportId', problem: 'is under review' }], 'report_under_review');
  if (r.kind === 'progress' && !b.nextPlan?.trim()) throw new RuleViolationError("A progress report states the next period's plan", [{ path: 'nextPlan', problem: 'is required in a progress report' }], 'report_incomplete');
  const outcomes = checkOutcomes(b.outcomes);
  const m = measure(b, wordsPerPage);
  const over: { path: string; problem: string }[] = [];
  if (r.wordLimit !== undefined && m.words > r.wordLimit) over.push({ path: 'progress', problem: `the report has ${m.words} words; the limit is ${r.wordLimit}` });
  if (r.pageLimit !== undefined && m.pages > r.pageLimit)
    over.push({ path: 'attachments', problem: `the report is ${m.pages} pages (${m.words} words at ${wordsPerPage} a page, plus ${m.pages - Math.ceil(m.words / wordsPerPage)} attached); the limit is ${r.pageLimit}` });
  if (over.length) throw new ReportOverLimitError(over);
  return { outcomes, measure: m };
}
