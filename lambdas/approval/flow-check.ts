// The approval flow's first steps: the completeness and eligibility check, and the starter tier's
// automatic approval (or its demotion to a standard review).
import { runtimeConfig } from '../shared/config';
import { gsi, keys } from '../shared/store/keys';
import { approvalKeys } from '../shared/store/keys';
import { retryOnStale, type SideWrite } from '../shared/store/write-path';
import { RuleViolationError } from '../domain/errors';
import type { Allocation } from '../domain/ledger/model';
import { checkProposal, effectiveTier, reserve, type DecisionRecord, type Proposal } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import { floorTypeOf } from '../shared/identity/standing'; // identity
import { batchGet, callChange, commitApproval, decisionChange, getItem, proposalChange, queryIndex, readCall, readDecision, readProposal } from './store';
import { decidedEvent } from './events';
import { ctxOf, FLOW_ACTOR, type FlowInput } from './flow-context';
import { orgTypeWaived, trainingRouteOf } from './training'; // people: completion opens the door

// ---- Check --------------------------------------------------------------------------------

export async function check(input: FlowInput): Promise<{ ok: boolean; tier?: string; problems?: { path: string; problem: string }[] }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    lifecycle.assertLive(p, input.round, 'check');
    const { call } = await readCall(p.callId);
    const problems = checkProposal(p, call, runtimeConfig().sites, p.submittedAt ?? new Date().toISOString(), { orgTypeWaived: await orgTypeWaived(p, call) });
    const now = new Date().toISOString();
    if (problems.length) {
      const decision: DecisionRecord = {
        round: p.round,
        outcome: 'reject',
        reason: `The proposal did not pass the completeness and eligibility check: ${problems.map((x) => `${x.path} ${x.problem}`).join('; ')}`,
        decidedBy: FLOW_ACTOR.sub,
        decidedAt: now,
        automatic: true,
      };
      const after: Proposal = { ...p, ...lifecycle.failCheck(p, input.round), checkProblems: problems, decision, updatedAt: now };
      await commitApproval(ctxOf(input, 'check'), { changes: [proposalChange(item, after, 'proposal.check.failed', { problems })], events: [decidedEvent(after, decision)] });
      return { ok: false, problems };
    }
    const tier = effectiveTier(p, call);
    const after: Proposal = { ...p, ...lifecycle.passCheck(p, input.round), tier, checkProblems: undefined, updatedAt: now };
    await commitApproval(ctxOf(input, 'check'), { changes: [proposalChange(item, after, 'proposal.check.passed', { tier })] });
    return { ok: true, tier };
  });
}

// ---- Starter tier ---------------------------------------------------------------------------

const ENDED_ALLOCATION = new Set(['expired', 'closed']);

/** Why the researcher cannot have another starter allocation now, or null. */
async function otherActiveStarter(ownerSub: string, proposalId: string): Promise<{ reason: string | null; holder: Record<string, unknown> | null }> {
  const holder = await getItem(approvalKeys.starterHolder(ownerSub));
  if (holder && holder.proposalId !== proposalId) {
    const other = await getItem(approvalKeys.proposal(String(holder.proposalId)));
    const op = other as unknown as Proposal | null;
    const hold = op ? lifecycle.starterHold(op) : null;
    if (op && hold === 'allocation') {
      const alloc = await getItem(keys.allocation(op.allocationId!));
      if (alloc && !ENDED_ALLOCATION.has(String(alloc.state))) return { reason: `you already hold an active starter allocation (${op.allocationId})`, holder };
    } else if (op && hold === 'awarding') {
      return { reason: `your starter proposal ${op.id} is being awarded`, holder };
    }
  }
  // Allocations made outside the flow (an admin's) count too.
  const page = await queryIndex('gsi1', gsi.memberOf(ownerSub), { limit: 200 });
  const ids = page.items.filter((i) => i.role === 'pi').map((i) => keys.allocation(String(i.allocationId)));
  for (const it of (await batchGet(ids)).values()) {
    const a = it as unknown as Allocation;
    if (a.piSub === ownerSub && a.tier === 'starter' && !ENDED_ALLOCATION.has(a.state) && a.proposalId !== proposalId) return { reason: `you already hold an active starter allocation (${a.id})`, holder };
  }
  return { reason: null, holder };
}

export async function autoApprove(input: FlowInput): Promise<{ approved: boolean; reason?: string }> {
  return retryOnStale(async () => {
    const { proposal: p, item } = await readProposal(input.proposalId);
    lifecycle.assertLive(p, input.round, 'autoApprove');
    // A retry after the commit: answer as the first attempt did.
    if (p.decision?.round === p.round && p.decision.outcome === 'approve') return { approved: true };
    if (p.tier === 'standard' && p.tierNote) return { approved: false, reason: p.tierNote };
    const { call, item: callItemBefore } = await readCall(p.callId);
    const now = new Date().toISOString();
    const demote = async (reason: string) => {
      const after: Proposal = { ...p, tier: 'standard', tierNote: `Not approved automatically: ${reason}; it goes to review as a standard request.`, updatedAt: now };
      await commitApproval(ctxOf(input, 'auto-approve'), { changes: [proposalChange(item, after, 'proposal.starter.declined', { reason })] });
      return { approved: false, reason };
    };
    const { reason, holder } = await otherActiveStarter(p.ownerSub, p.id);
    if (reason) return demote(reason);
    const awardMc = p.requestedMc ?? {};
    const floorType = await floorTypeOf({ ownerSub: p.ownerSub, affiliation: p.pi!.affiliation }); // identity
    let nextCall;
    try {
      nextCall = reserve(call, { requestedMc: awardMc, awardMc, orgType: floorType });
    } catch (e) {
      if (e instanceof RuleViolationError) return demote(`the call cannot give it in full (${e.details.map((d) => `${d.path} ${d.problem}`).join('; ')})`);
      throw e;
    }
    // people: the training that let it through (a trainedOnly call, or the fast track's waiver), if any.
    const via = await trainingRouteOf(p, call);
    const decision: DecisionRecord = {
      round: p.round,
      outcome: 'approve',
      creditsMc: awardMc,
      reason: via
        ? `Starter tier: approved automatically through training (certificate ${via.certificateId} of course ${via.courseId}; within the starter limit, and no other active starter allocation)`
        : 'Starter tier: approved automatically (within the starter limit, an eligible org type, and no other active starter allocation)',
      decidedBy: FLOW_ACTOR.sub,
      decidedAt: now,
      automatic: true,
      floorOrgType: floorType, // identity
      ...(via ? { via } : {}),
    };
    const viaDetail = via ? { viaTraining: via.certificateId } : {};
    const after: Proposal = { ...p, ...lifecycle.autoApprove(p, input.round), decision, reservedMc: awardMc, updatedAt: now };
    const marker: SideWrite = {
      put: { ...approvalKeys.starterHolder(p.ownerSub), proposalId: p.id, ownerSub: p.ownerSub, since: now },
      condition: holder ? { expression: 'proposalId = :old', values: { ':old': holder.proposalId } } : { expression: 'attribute_not_exists(pk)' },
    };
    await commitApproval(ctxOf(input, 'auto-approve'), {
      changes: [
        proposalChange(item, after, 'proposal.auto-approve', { creditsMc: awardMc, ...viaDetail }),
        callChange(callItemBefore, nextCall, 'call.capacity.reserve', { proposalId: p.id, creditsMc: awardMc }),
        decisionChange((await readDecision(p.id, p.round))?.item ?? null, { proposalId: p.id, round: p.round, openedAt: now, deadline: now, decision }, 'decision.record', { outcome: 'approve', automatic: true, ...viaDetail }),
      ],
      sideWrites: [marker],
      events: [decidedEvent(after, decision)],
    });
    return { approved: true };
  });
}
