// The approval flow's last steps: waiting for the committee's decision, the award that turns an
// approval into an allocation, and RecordError, where every other failure of the flow ends.
import { retryOnStale, type Change } from '../shared/store/write-path';
import { newId } from '../domain/ids';
import { fromMc } from '../domain/ledger/money';
import { endDateAfter, release, effectiveOrgType, type OrgType, type Proposal } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import { createAllocation } from '../ledger';
import { accountabilityAtAward } from '../accountability'; // accountability
import { callChange, commitApproval, decisionChange, listAssignments, proposalChange, readCall, readDecision, readLoads, readProposal } from './store';
import { closeChanges } from './panel';
import { completeTask } from './sfn';
import { ctxOf, type FlowInput } from './flow-context';

export class DecisionDeadlinePassed extends Error {
  override name = 'DecisionDeadlinePassed';
}

// ---- Committee decision ---------------------------------------------------------------------

/** The chair's callback task: stores the token on the round's decision item (or answers at once if decided). */
export async function awaitDecision(input: FlowInput & { taskToken: string; decisionDeadlineSeconds: number }): Promise<{ waiting: boolean }> {
  const decided = await retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    const dec = await readDecision(input.proposalId, input.round);
    if (dec?.decision.decision) return dec.decision.decision;
    const next = lifecycle.awaitDecision(p, input.round);
    const now = new Date();
    const deadline = new Date(now.getTime() + input.decisionDeadlineSeconds * 1000).toISOString();
    await commitApproval(ctxOf(input, 'await-decision'), {
      changes: [
        decisionChange(dec?.item ?? null, { proposalId: p.id, round: input.round, taskToken: input.taskToken, openedAt: dec?.decision.openedAt ?? now.toISOString(), deadline }, 'decision.open'),
        ...(next ? [proposalChange(item, { ...p, ...next, updatedAt: now.toISOString() }, 'proposal.decision.await')] : []),
      ],
    });
    return null;
  });
  if (decided) await completeTask(input.taskToken, { outcome: decided.outcome });
  return { waiting: !decided };
}

/** The decision deadline passed: go on with a decision recorded meanwhile, or fail visibly. */
export async function decisionTimedOut(input: FlowInput): Promise<{ outcome: string }> {
  const dec = await readDecision(input.proposalId, input.round);
  if (dec?.decision.decision) return { outcome: dec.decision.decision.outcome };
  const { proposal: p } = await readProposal(input.proposalId);
  lifecycle.assertLive(p, input.round, 'decisionTimedOut');
  const { call } = await readCall(p.callId);
  throw new DecisionDeadlinePassed(`The committee did not decide within ${call.decisionDeadlineDays} day(s)`);
}

// ---- identity ----
/** The floor bucket a reservation was made in (decisions before floors rested on the registry used the declared type). */
function reservedFloorType(p: Proposal): OrgType | null {
  return p.decision && p.decision.floorOrgType !== undefined ? p.decision.floorOrgType : (p.pi?.orgType ?? null);
}
// ---- end identity ----

// ---- Award --------------------------------------------------------------------------------

export async function award(input: FlowInput): Promise<{ allocationId: string }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    const done = lifecycle.awardedIn(p, input.round);
    if (done) return { allocationId: done };
    const { next, decision: d } = lifecycle.award(p, input.round);
    const now = new Date();
    const startDate = now.toISOString().slice(0, 10);
    const id = newId('alloc');
    const after: Proposal = { ...p, ...next, allocationId: id, updatedAt: now.toISOString() };
    // team members named by their KAIRR identity become members; their logins are site accounts
    const members = p.team.filter((m) => m.sub && m.sub !== p.ownerSub).map((m) => ({ sub: m.sub!, role: 'member' as const }));
    // ---- accountability: the award grants the first tranche; the report schedule and the public listing open with it ----
    const endDate = endDateAfter(startDate, p.durationMonths ?? 12);
    const acct = await accountabilityAtAward({ allocationId: id, callId: p.callId, proposal: p, awardMc: d.creditsMc, startDate, endDate, now });
    // ---- end accountability ----
    await createAllocation(
      {
        id,
        title: p.title,
        piSub: p.ownerSub,
        // ---- identity: the registry's name and type where the PI's claims matched an org ----
        institution: p.pi!.affiliation?.orgName ?? p.pi!.institution,
        orgType: effectiveOrgType(p.pi!),
        ...(p.pi!.affiliation?.orgId ? { orgId: p.pi!.affiliation.orgId } : {}),
        // ---- end identity ----
        field: p.field ?? 'unspecified',
        proposalId: p.id,
        callId: p.callId,
        tier: p.tier ?? null,
        startDate,
        endDate, // accountability
        members: [...new Map(members.map((m) => [m.sub, m])).values()],
        awardsMc: acct.awardsMc, // accountability
      },
      { ...ctxOf(input, 'award'), now, reason: d.reason },
      { extraChanges: [proposalChange(item, after, 'proposal.award', { allocationId: id, credits: Object.fromEntries(Object.entries(d.creditsMc).map(([k, v]) => [k, fromMc(v)])) }), ...acct.extraChanges] }, // accountability: + extraChanges
    );
    return { allocationId: id };
  });
}

// ---- Errors -------------------------------------------------------------------------------

export interface StatesError {
  Error?: string;
  Cause?: string;
}

/** The readable part of a Step Functions error cause (a Lambda error's message; never its trace). */
export function causeMessage(e: StatesError | undefined): string {
  const cause = e?.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') return parsed.errorMessage.slice(0, 1000);
  } catch {
    /* a plain message */
  }
  return (cause || e?.Error || 'unknown error').slice(0, 1000);
}

/**
 * Puts the proposal in the `error` state with the cause, gives back capacity an approval had
 * reserved, and closes the round's open assignments. A proposal already decided, withdrawn or in
 * a later round keeps its state.
 */
export async function recordError(input: FlowInput & { error?: StatesError }): Promise<{ recorded: boolean }> {
  const code = input.error?.Error ?? 'Unknown';
  const message = causeMessage(input.error);
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    const now = new Date();
    const changes: Change[] = [];
    const open = (await listAssignments(p.id, input.round)).filter((x) => x.assignment.status === 'assigned');
    if (open.length) {
      const loads = await readLoads(open.map((x) => x.assignment.reviewerSub));
      for (const x of open) changes.push(...closeChanges(x, 'cancelled', 'the approval flow ended with an error', loads.get(x.assignment.reviewerSub)!, now));
    }
    const failed = lifecycle.fail(p, input.round);
    if (failed) {
      const after: Proposal = { ...p, ...failed, error: { code, message, at: now.toISOString() }, updatedAt: now.toISOString() };
      changes.unshift(proposalChange(item, after, 'proposal.error', { code }));
      if (p.reservedMc && p.pi && Object.keys(p.reservedMc).length) {
        const { call, item: ci } = await readCall(p.callId);
        changes.push(callChange(ci, release(call, reservedFloorType(p), p.reservedMc), 'call.capacity.release', { proposalId: p.id, creditsMc: p.reservedMc }));
      }
    }
    if (!changes.length) return { recorded: false };
    await commitApproval({ ...ctxOf(input, 'record-error'), reason: `${code}: ${message}` }, { changes });
    return { recorded: true };
  });
}
