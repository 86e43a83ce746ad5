// Report submission and review. A submission is one audited commit: the record's obligation moves
// to `submitted`, the version is stored whole, its new outcomes are stored, and the first response
// is kept for the Idempotency-Key. Accepting a report may release tranches and lift a hold: those
// change the allocation too, so they commit with it through the ledger's write (one transaction).
import { idempotent } from '../shared/store/idempotency';
import { domainEvent } from '../shared/events/outbox';
import { retryOnStale, type AuditContext, type Change, type ImmutablePut } from '../shared/store/write-path';
import type { Caller } from '../shared/http/caller';
import { allocationOf, commitLedger, getAllocationItem, type LedgerWrite } from '../ledger';
import { ConflictError, NotFoundError, RuleViolationError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { addDays, dateOf } from '../domain/accountability/dates';
import type { AccountabilityRecord, ReportObligation } from '../domain/accountability/model';
import { countOutcomes, outcomeKey, type Outcome } from '../domain/accountability/outcomes';
import { checkSubmission, type ReportAttachment, type ReportBody } from '../domain/accountability/reports';
import { readHubUpload } from '../datahub';
import { holdCanLift, nextActionAt } from '../domain/accountability/schedule';
import { releaseTranche, tranchesReleasedBy } from '../domain/accountability/tranches';
import { liftWrite } from './holds';
import { opContext, requirePi, visibleAllocation } from './access';
import { commitAccountability, listingChange, outcomeItem, outcomesOf, readListing, readRecord, recordChange, reportVersionItem, reportVersions, type ReportVersion } from './store';
import { reportView } from './views';

export async function requireRecord(allocationId: string) {
  const r = await readRecord(allocationId);
  if (!r) throw new NotFoundError('Reporting obligations of allocation', allocationId);
  return r;
}

export function obligationOf(rec: AccountabilityRecord, reportId: string): ReportObligation {
  const r = rec.reports.find((x) => x.reportId === reportId);
  if (!r) throw new NotFoundError('Report', `${reportId}" of allocation "${rec.allocationId}`);
  return r;
}

const withReport = (rec: AccountabilityRecord, r: ReportObligation, now: Date): AccountabilityRecord => ({ ...rec, reports: rec.reports.map((x) => (x.reportId === r.reportId ? r : x)), updatedAt: now.toISOString() });

/**
 * Each attachment as the hub holds it: the PI's own upload (or one to an artifact they steward)
 * whose bytes were verified. The stored report keeps its path, size and SHA-256, so a reader
 * later knows exactly which bytes were attached even if the draft version moves on.
 */
async function resolveAttachments(caller: Caller, list: ReportAttachment[] | undefined): Promise<ReportAttachment[] | undefined> {
  if (!list?.length) return list;
  return Promise.all(
    list.map(async (a, i) => {
      const f = await readHubUpload(a.artifactId, a.version, a.uploadId, { sub: caller.sub, roles: caller.roles });
      const path = `attachments[${i}].uploadId`;
      if (f === 'not_found')
        throw new RuleViolationError(
          `Attachment ${i + 1} ("${a.name}") names upload ${a.uploadId} of ${a.artifactId}@${a.version}, which is not one of your uploads`,
          [{ path, problem: 'is not an upload of yours in the data hub' }],
          'attachment_not_found',
        );
      if (f === 'not_verified')
        throw new RuleViolationError(
          `Attachment ${i + 1} ("${a.name}"): upload ${a.uploadId} has not been completed and checked against its SHA-256`,
          [{ path, problem: 'is not verified yet: complete the upload first' }],
          'attachment_not_verified',
        );
      return { ...a, path: f.path, bytes: f.bytes, sha256: f.sha256 };
    }),
  );
}

/** An outcome's id: people trained are counted per report (each period's new people). */
const outcomeIdOf = (o: ReturnType<typeof checkSubmission>['outcomes'][number], reportId: string) => (o.kind === 'people-trained' ? `${outcomeKey(o)}:${reportId}` : outcomeKey(o));

export async function submitReport(input: { caller: Caller; allocationId: string; reportId: string; body: ReportBody; idempotencyKey?: string; requestId: string; now: Date }) {
  const { caller, now } = input;
  const a = await visibleAllocation(input.allocationId, caller);
  requirePi(caller, a);
  const ctx: AuditContext = { actor: { sub: caller.sub, role: 'researcher' }, requestId: input.requestId, now };
  return idempotent({ operation: `report.submit:${a.id}:${input.reportId}`, callerSub: caller.sub, key: input.idempotencyKey, request: input.body }, async (record) => {
    // inside: a replayed submission answers as it first did, without asking the hub again
    const attachments = await resolveAttachments(caller, input.body.attachments);
    return retryOnStale(async () => {
      const { record: rec, item } = await requireRecord(a.id);
      const r = obligationOf(rec, input.reportId);
      const checked = checkSubmission(r, input.body, now, rec.policy.wordsPerPage);
      const t = now.toISOString();
      const version: ReportVersion = {
        allocationId: a.id,
        reportId: r.reportId,
        version: r.version + 1,
        body: { ...input.body, outcomes: checked.outcomes, ...(attachments ? { attachments } : {}) },
        measure: checked.measure,
        submittedBy: caller.sub,
        submittedAt: t,
      };
      const known = new Set((await outcomesOf(a.id)).map((o) => o.outcomeId));
      const fresh: Outcome[] = checked.outcomes.map((o) => ({ ...o, outcomeId: outcomeIdOf(o, r.reportId), allocationId: a.id, purpose: rec.purpose, reportId: r.reportId, recordedAt: t }) as Outcome).filter((o) => !known.has(o.outcomeId));
      const nextR: ReportObligation = { ...r, status: 'submitted', version: version.version, submittedAt: t, submittedBy: caller.sub };
      const next = withReport(rec, nextR, now);
      const view = reportView(nextR, next, now, version);
      const puts: ImmutablePut[] = [{ item: reportVersionItem(version), recordedBy: 0 }, ...fresh.map((o) => ({ item: outcomeItem(o), recordedBy: 0 }))];
      await commitAccountability(ctx, {
        changes: [recordChange(item, next, nextActionAt(next, now), 'report.submit', { reportId: r.reportId, version: version.version, words: checked.measure.words, pages: checked.measure.pages, outcomes: fresh.length })],
        puts,
        sideWrites: record({ status: 201, body: view }),
        events: [domainEvent('ReportSubmitted', { allocationId: a.id, callId: rec.callId, reportId: r.reportId, version: version.version }, now)],
      });
      return { status: 201, body: view };
    });
  });
}

export async function getReport(caller: Caller, allocationId: string, reportId: string, now: Date) {
  await visibleAllocation(allocationId, caller);
  const { record: rec } = await requireRecord(allocationId);
  const r = obligationOf(rec, reportId);
  const versions = await reportVersions(allocationId, reportId);
  return { ...reportView(r, rec, now, versions.at(-1)), versions: versions.map((v) => ({ version: v.version, submittedAt: v.submittedAt, words: v.measure.words, pages: v.measure.pages })) };
}

export interface ReviewResult {
  report: ReturnType<typeof reportView>;
  releasedTranches: string[];
  holdLifted: boolean;
}

/** The chair (or staff) accepts a report, or returns it with comments. */
export async function reviewReport(input: { allocationId: string; reportId: string; decision: 'accept' | 'return'; comments: string; ctx: AuditContext }): Promise<ReviewResult> {
  const now = input.ctx.now ?? new Date();
  const t = now.toISOString();
  let result: ReviewResult | undefined;
  const plan = async (a: Allocation | null) => {
    const { record: rec, item } = await requireRecord(input.allocationId);
    const r = obligationOf(rec, input.reportId);
    if (r.status === 'accepted') throw new ConflictError(`The ${r.reportId} report was accepted on ${r.reviewedAt?.slice(0, 10)}`, [{ path: 'reportId', problem: 'is accepted' }], 'report_already_accepted');
    if (r.status !== 'submitted')
      throw new ConflictError(`The ${r.reportId} report has not been submitted${r.status === 'returned' ? ' again since it was returned' : ''}`, [{ path: 'reportId', problem: `is ${r.status}` }], 'report_not_submitted');
    const base = { ...r, reviewedAt: t, reviewedBy: input.ctx.actor.sub, comments: input.comments };
    const nextR: ReportObligation = input.decision === 'accept' ? { ...base, status: 'accepted' } : { ...base, status: 'returned', resubmitBy: addDays(dateOf(now), rec.policy.resubmitDays), reminded: [] };
    let next = withReport(rec, nextR, now);
    const changes: Change[] = [];
    const events = [domainEvent('ReportReviewed', { allocationId: rec.allocationId, callId: rec.callId, reportId: r.reportId, outcome: input.decision === 'accept' ? 'accepted' : 'returned', version: r.version }, now)];
    let write: Omit<LedgerWrite, 'before'> | null = null;
    const released: string[] = [];
    let lifted = false;
    if (input.decision === 'accept' && a) {
      let alloc = a;
      const entries: LedgerWrite['entries'] = [];
      const steps: string[] = [];
      const details: Record<string, unknown> = { reportId: r.reportId };
      const allocEvents: LedgerWrite['events'] = [];
      for (const tr of tranchesReleasedBy(next.tranches, r.reportId)) {
        const why = `the ${r.reportId} report was accepted`;
        const out = releaseTranche(alloc, tr, opContext({ ...input.ctx, reason: why }, `tranche:${rec.allocationId}:${tr.trancheId}`));
        alloc = out.allocation;
        entries.push(...out.entries);
        released.push(tr.trancheId);
        details[tr.trancheId] = out.explanation.figures;
        next = { ...next, tranches: next.tranches.map((x) => (x.trancheId === tr.trancheId ? { ...x, releasedAt: t, releasedBy: input.ctx.actor.sub, releaseReason: why } : x)) };
      }
      if (released.length) {
        steps.push('tranche');
        allocEvents.push(domainEvent('AllocationSupplemented', { allocationId: a.id, resources: [...new Set(entries.map((e) => e.resource))], kind: 'tranche', tranches: released, state: alloc.state }, now));
      }
      if (next.hold && holdCanLift(next, now)) {
        const lift = liftWrite(alloc, next.hold, `the ${r.reportId} report was accepted`, now);
        if (lift) {
          alloc = lift.after;
          lifted = true;
          steps.push('hold.lift');
          details.hold = lift.details;
          allocEvents.push(...(lift.events ?? []));
        }
        // a suspension that is not ours (an administrator's) stays; the record forgets its hold
        next = { ...next, hold: undefined };
      }
      if (steps.length) write = { after: alloc, entries, action: `allocation.${steps.join('+')}`, details, events: allocEvents };
      const listing = await readListing(rec.allocationId);
      if (listing) {
        const accepted = new Set(next.reports.filter((x) => x.status === 'accepted').map((x) => x.reportId));
        const counts = countOutcomes((await outcomesOf(rec.allocationId)).filter((o) => o.reportId && accepted.has(o.reportId)));
        changes.push(listingChange(listing.item, { ...listing.listing, outcomes: counts, updatedAt: t }, 'public-listing.outcomes', { reportId: r.reportId, ...counts }));
      }
    }
    changes.unshift(recordChange(item, next, nextActionAt(next, now), `report.${input.decision}`, { reportId: r.reportId, version: r.version, ...(released.length ? { tranches: released } : {}), ...(lifted ? { holdLifted: true } : {}) }));
    result = { report: reportView(nextR, next, now), releasedTranches: released, holdLifted: lifted };
    return { write, changes, events };
  };
  await retryOnStale(async () => {
    const item = input.decision === 'accept' ? await getAllocationItem(input.allocationId) : null;
    const p = await plan(item ? allocationOf(item) : null);
    if (p.write && item) await commitLedger(input.ctx, { ...p.write, before: item, events: [...(p.write.events ?? []), ...p.events], extraChanges: p.changes });
    else await commitAccountability(input.ctx, { changes: p.changes, events: p.events });
  });
  return result!;
}
