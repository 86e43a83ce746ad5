// Proposals: a researcher's drafts, their submission (which starts the approval flow), withdrawal,
// and what each audience may read. Requests are checked against the call on every write, so a
// resource that does not exist, is not offered, or a total over the tier's limit is a 400 naming
// the field; completeness and the window are checked on submit (422 naming each problem).
import { runtimeConfig } from '../shared/config';
import type { Caller } from '../shared/http/caller';
import { retryOnStale, type AuditContext, type Change, type SideWrite } from '../shared/store/write-path';
import { refuseChosenSchedulerUser } from '../shared/store/refusals';
import { domainEvent } from '../shared/events/outbox';
import { NotFoundError, RuleViolationError, UnavailableError, ValidationError } from '../domain/errors';
import { newId } from '../domain/ids';
import { toMc, type Mc } from '../domain/ledger/money';
import { checkProposal, effectiveTier, requestProblems, windowState, type Call, type Proposal, type RecommendationNote, type Tier, type WorkloadProfile } from '../domain/approval';
import * as lifecycle from '../domain/approval/lifecycle';
import { logger } from '../shared/log';
import { affiliationOf } from '../shared/identity/orgs'; // identity
import { UnknownAffiliationChoice, type Affiliation } from '../domain/identity/affiliation'; // identity
import type { CreateProposalBody, UpdateProposalBody } from './api';
import { commitApproval, listAssignments, proposalChange, readCall, readLoads, readProposal } from './store';
import { closeChanges } from './panel';
import { executionArnOf, executionName, startFlow, stopFlow } from './sfn';
import { assertAdmitted, orgTypeWaived } from './training'; // people: completion opens the door
import { catalogueDataSite, linkNeeded } from './catalogue-links';

type Fields = UpdateProposalBody;

/** Team members must be distinct people (by e-mail and by KAIRR identity). */
function teamProblems(team: NonNullable<Fields['team']>): { path: string; problem: string }[] {
  const out: { path: string; problem: string }[] = [];
  const emails = new Map<string, number>();
  const subs = new Map<string, number>();
  team.forEach((m, i) => {
    const e = m.email.toLowerCase();
    if (emails.has(e)) out.push({ path: `team[${i}].email`, problem: `repeats team[${emails.get(e)}]` });
    emails.set(e, i);
    if (m.sub) {
      if (subs.has(m.sub)) out.push({ path: `team[${i}].sub`, problem: `repeats team[${subs.get(m.sub)}]` });
      subs.set(m.sub, i);
    }
  });
  return out;
}

// ---- site accounts: a proposal never chooses the user its jobs run as ----
function refuseSchedulerUsers(body: Fields, ctx: AuditContext, route: string, about?: { type: string; id: string }): Promise<void> {
  return refuseChosenSchedulerUser(ctx, route, [{ path: 'pi.username', value: body.pi?.username }, ...(body.team ?? []).map((m, i) => ({ path: `team[${i}].username`, value: m.username }))], about);
}
// ---- end site accounts ----

// The recommender (estimates, ranking, its zod profile) ships beside this bundle as its own file,
// recommended.js, and loads on the first "let KAIRR recommend" (lib/approval/approval.ts builds it):
// the proposals function's other routes and its cold start never parse it. Through an alias, so
// that esbuild leaves the require to run time; in the repo it resolves to recommended.ts.
const runtimeRequire: NodeJS.Require = require;
let recommender: typeof import('./recommended') | undefined;
const loadRecommender = () => (recommender ??= runtimeRequire('./recommended') as typeof import('./recommended'));

/** Fills the request from the recommender: the best-ranked feasible resource that the call offers. */
export function recommendedRequest(w: WorkloadProfile, call: Call, now: Date): { requestedMc: Record<string, Mc>; note: RecommendationNote } {
  const r = loadRecommender().recommendRequest(w, call, runtimeConfig().sites, now);
  // The lazy file has its own copy of the error classes, so it answers with plain data and the
  // typed error is made here, where the error map recognises it.
  if ('refused' in r) throw new ValidationError(r.refused.details, r.refused.message);
  return r;
}

// ---- identity ----
/** The PI's affiliation from their verified claims (the org they ask for must be one of theirs). */
async function piAffiliation(caller: Caller, wanted: string | undefined, now: Date): Promise<Affiliation> {
  try {
    return await affiliationOf(caller, { wanted, now });
  } catch (e) {
    if (e instanceof UnknownAffiliationChoice) throw ValidationError.field('pi.orgId', `is not an organisation your verified claims (or an admin's record) show you belong to (${wanted})`);
    throw e;
  }
}
/** At submission: the org the draft had, if the claims still show it; otherwise what they show now. */
async function currentAffiliation(caller: Caller, had: string | undefined, now: Date): Promise<Affiliation> {
  try {
    return await affiliationOf(caller, { wanted: had, now });
  } catch (e) {
    if (e instanceof UnknownAffiliationChoice) return affiliationOf(caller, { now });
    throw e;
  }
}
// ---- end identity ----

/** The workload as the recommender reads it: data named by URI only sits where its catalogue copy does (catalogue-links.ts). */
function withCatalogueLocality(w: WorkloadProfile, datasets: Proposal['datasets']): WorkloadProfile {
  const siteId = 'uri' in w.dataset.location ? catalogueDataSite(datasets) : undefined;
  return siteId ? { ...w, dataset: { ...w.dataset, location: { siteId } } } : w;
}

/** Applies the body's fields to a proposal (drafts and revisions). */
async function applyFields(p: Proposal, body: Fields, caller: Caller, call: Call, now: Date): Promise<Proposal> {
  const next: Proposal = { ...p };
  if (body.title !== undefined) next.title = body.title;
  if (body.abstract !== undefined) next.abstract = body.abstract;
  if (body.field !== undefined) next.field = body.field;
  if (body.pi !== undefined) {
    next.pi = { name: body.pi.name, email: body.pi.email, institution: body.pi.institution, orgType: body.pi.orgType };
    next.pi.affiliation = await piAffiliation(caller, body.pi.orgId, now); // identity
  }
  if (body.team !== undefined) {
    const problems = teamProblems(body.team);
    if (problems.length) throw new ValidationError(problems);
    next.team = body.team;
  }
  if (body.workload !== undefined) next.workload = body.workload as WorkloadProfile;
  if (body.durationMonths !== undefined) next.durationMonths = body.durationMonths;
  // catalogue ids resolve through the data hub's face, as the proposer may read them (catalogue-links.ts)
  Object.assign(next, await linkNeeded({ datasets: body.datasets, models: body.models }, caller));
  if (body.justification !== undefined) next.justification = body.justification;
  if (body.tier !== undefined) next.requestedTier = body.tier as Tier;
  if (body.credits !== undefined && body.recommend === true) throw ValidationError.field('recommend', 'cannot be true when credits are given: ask for a recommendation, or request credits yourself');
  if (body.credits !== undefined) {
    next.requestedMc = Object.fromEntries(Object.entries(body.credits).map(([k, v]) => [k, toMc(v)]));
    next.recommend = false;
    next.recommendation = undefined;
  } else if (body.recommend === true || (p.recommend && body.workload !== undefined)) {
    if (!next.workload) throw ValidationError.field('workload', 'is required when KAIRR recommends the request (recommend: true)');
    const r = recommendedRequest(withCatalogueLocality(next.workload, next.datasets), call, now);
    next.requestedMc = r.requestedMc;
    next.recommend = true;
    next.recommendation = r.note;
  } else if (body.recommend === false) {
    next.recommend = false;
  }
  if (next.requestedMc && Object.keys(next.requestedMc).length) {
    const problems = requestProblems(next.requestedMc, call, runtimeConfig().sites, next.requestedTier);
    if (problems.length) {
      const what = next.recommend && next.recommendation ? `The recommended request (${next.recommendation.credits} credits on ${next.recommendation.resource})` : 'The request';
      throw new ValidationError(
        problems.map((x) => (next.recommend ? { ...x, problem: `${x.problem} (as recommended for the workload)` } : x)),
        `${what} does not fit call ${call.id}: ${problems.map((x) => `${x.path} ${x.problem}`).join('; ')}`,
      );
    }
  } else if (next.requestedTier && call.kind !== 'starter') {
    // a tier without credits is fine in a draft
  }
  next.updatedAt = now.toISOString();
  return next;
}

async function callFor(callId: string, path = 'callId'): Promise<Call> {
  try {
    return (await readCall(callId)).call;
  } catch (e) {
    if (e instanceof NotFoundError) throw ValidationError.field(path, `is not a call (${callId})`);
    throw e;
  }
}

export async function createProposal(caller: Caller, body: CreateProposalBody, ctx: AuditContext, sideWrites: (p: Proposal) => SideWrite[] = () => []): Promise<Proposal> {
  const call = await callFor(body.callId);
  const now = ctx.now ?? new Date();
  if (windowState(call, now) === 'closed') throw new RuleViolationError(`Call ${call.id} closed at ${call.closesAt}`, [{ path: 'callId', problem: `call ${call.id} closed at ${call.closesAt}` }], 'call_closed');
  await assertAdmitted(caller.sub, call); // people: a trainedOnly starter call admits the trained only
  const draft: Proposal = { id: newId('prop'), callId: call.id, ownerSub: caller.sub, ...lifecycle.create(), title: body.title, team: [], datasets: [], models: [], createdAt: now.toISOString(), updatedAt: now.toISOString() };
  const { callId: _c, ...fields } = body;
  await refuseSchedulerUsers(fields, ctx, 'POST /v1/proposals');
  const p = await applyFields(draft, fields, caller, call, now);
  await commitApproval(ctx, { changes: [proposalChange(null, p, 'proposal.create', { callId: call.id })], sideWrites: sideWrites(p) });
  return p;
}

/** The proposal if the caller is its PI; otherwise as if it did not exist. */
export async function ownProposal(caller: Caller, id: string) {
  const got = await readProposal(id);
  if (got.proposal.ownerSub !== caller.sub) throw new NotFoundError('Proposal', id);
  return got;
}

export async function updateProposal(caller: Caller, id: string, body: UpdateProposalBody, ctx: AuditContext): Promise<Proposal> {
  await refuseSchedulerUsers(body, ctx, 'PATCH /v1/proposals/{id}', { type: 'proposal', id });
  return retryOnStale(async () => {
    const { proposal: p, item } = await ownProposal(caller, id);
    lifecycle.edit(p);
    const call = await callFor(p.callId);
    const next = await applyFields(p, body, caller, call, ctx.now ?? new Date());
    await commitApproval(ctx, { changes: [proposalChange(item, next, 'proposal.update', { fields: Object.keys(body) })] });
    return next;
  });
}

export async function submitProposal(caller: Caller, id: string, ctx: AuditContext): Promise<Proposal> {
  const submitted = await retryOnStale(async () => {
    const { proposal: p, item } = await ownProposal(caller, id);
    const moved = lifecycle.submit(p);
    const call = await callFor(p.callId);
    const now = ctx.now ?? new Date();
    const w = windowState(call, now);
    if (w !== 'open') {
      const problem = w === 'closed' ? `call ${call.id} closed at ${call.closesAt}` : `call ${call.id} opens at ${call.opensAt}`;
      throw new RuleViolationError(`The proposal cannot be submitted: ${problem}`, [{ path: 'callId', problem }], w === 'closed' ? 'call_closed' : 'call_not_open');
    }
    // identity: the affiliation as the PI's claims show it now (a claim may have changed since the draft)
    const pi = p.pi ? { ...p.pi, affiliation: await currentAffiliation(caller, p.pi.affiliation?.orgId, now) } : undefined;
    const problems = checkProposal({ ...p, pi }, call, runtimeConfig().sites, now.toISOString(), { orgTypeWaived: await orgTypeWaived({ ...p, pi, tier: effectiveTier(p, call) }, call) }); // people: the fast track
    if (problems.length) throw new RuleViolationError(`The proposal cannot be submitted yet: ${problems.map((x) => `${x.path} ${x.problem}`).join('; ')}`, problems, 'incomplete');
    const round = moved.round;
    const next: Proposal = {
      ...p,
      pi,
      ...moved,
      tier: effectiveTier(p, call),
      submittedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      executionArn: executionArnOf(executionName(p.id, round)),
    };
    await commitApproval(ctx, {
      changes: [proposalChange(item, next, 'proposal.submit', { round, tier: next.tier, from: p.state })],
      events: [domainEvent('ProposalSubmitted', { proposalId: p.id, callId: p.callId, round, tier: next.tier, ownerSub: p.ownerSub })],
    });
    return { next, previous: p.state };
  });
  try {
    await startFlow(id, submitted.next.round);
  } catch (e) {
    // Without its flow the proposal would wait for ever: undo the submission and let the caller retry.
    logger.error('starting the approval flow failed; the submission is undone', { proposalId: id, error: (e as Error).name, message: (e as Error).message });
    await retryOnStale(async () => {
      const { proposal: p, item } = await readProposal(id);
      const undone = lifecycle.undoSubmit(p, submitted.next.round, submitted.previous);
      if (!undone) return;
      await commitApproval(
        { ...ctx, reason: 'the approval flow could not be started' },
        { changes: [proposalChange(item, { ...p, ...undone, executionArn: undefined, submittedAt: undefined, updatedAt: new Date().toISOString() }, 'proposal.submit.undo')] },
      );
    });
    throw new UnavailableError('The approval flow could not be started; the proposal is unchanged. Try again.');
  }
  return submitted.next;
}

export async function withdrawProposal(caller: Caller, id: string, ctx: AuditContext): Promise<Proposal> {
  const out = await retryOnStale(async () => {
    const { proposal: p, item } = await ownProposal(caller, id);
    const moved = lifecycle.withdraw(p);
    const now = ctx.now ?? new Date();
    const after: Proposal = { ...p, ...moved, updatedAt: now.toISOString() };
    const changes: Change[] = [proposalChange(item, after, 'proposal.withdraw', { from: p.state })];
    const open = p.round > 0 ? (await listAssignments(p.id, p.round)).filter((x) => x.assignment.status === 'assigned') : [];
    if (open.length) {
      const loads = await readLoads(open.map((x) => x.assignment.reviewerSub));
      for (const x of open) changes.push(...closeChanges(x, 'cancelled', 'the proposal was withdrawn', loads.get(x.assignment.reviewerSub)!, now));
    }
    await commitApproval(ctx, { changes });
    return { after, running: lifecycle.inFlow(p) && p.executionArn };
  });
  if (out.running) await stopFlow(out.running, 'The researcher withdrew the proposal');
  return out.after;
}

export { NotFoundError };
