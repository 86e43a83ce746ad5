// Calls, proposals, reviews and decisions over HTTP: thin adapters from the route specs to the
// services. Visibility: a researcher sees only their own proposals; a reviewer only proposals they
// are assigned to and not conflicted on; staff see all. Someone else's proposal is answered like a
// missing one, so its existence is not disclosed.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { hasRole, type Caller } from '../shared/http/caller';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import { approvalGsi } from '../shared/store/keys';
import type { AuditContext } from '../shared/store/write-path';
import { ForbiddenError, NotFoundError } from '../domain/errors';
import type { ProposalState } from '../domain/approval';
import { approvalApi } from './api';
import { callsScope, createCall, listCalls, updateCall } from './calls';
import { createProposal, isStaff, submitProposal, updateProposal, withdrawProposal } from './proposals';
import { chairConflict, declareConflict, decide, panelOf, replaceReviewer, reviewerMayRead, submitReview } from './reviews';
import { assignmentOf, batchGet, listAssignments, proposalOf, queryIndex, readCall, readProposal } from './store';
import { assignmentView, callView, decisionResponse, proposalView, staffProposalView, staffReviewView } from './views';
import { approvalKeys } from '../shared/store/keys';

function ctxOf(caller: Caller, requestId: string, role: string, reason?: string | null): AuditContext {
  return { actor: { sub: caller.sub, role }, requestId, reason: reason ?? null };
}

const replayHeaders = (replayed: boolean): Record<string, string> => (replayed ? { 'idempotent-replayed': 'true' } : {});

const staffCalls = (c: Caller) => hasRole(c, 'admin', 'chair', 'auditor');

export const handler = createHandler(
  approvalApi,
  {
    // ---- calls ----
    async listCalls({ caller, query }) {
      const status = query.status ?? 'open';
      if (status !== 'open' && !staffCalls(caller)) throw new ForbiddenError('Only admins, chairs and auditors may list calls that are not open');
      const page = await listCalls(status, query.limit ?? 50, query.nextToken);
      return { body: { items: page.items.map((c) => callView(c, { staff: staffCalls(caller) })), nextToken: encodeToken(page.nextKey, callsScope(status)) } };
    },

    async createCall({ caller, body, requestId, idempotencyKey }) {
      const res = await idempotent({ operation: 'call.create', callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await createCall(body, ctxOf(caller, requestId, 'admin'), (c) => ((view = callView(c, { staff: true })), record({ status: 201, body: view })));
        return { status: 201, body: view };
      });
      return { status: res.status, body: res.body, headers: replayHeaders(res.replayed) };
    },

    async getCall({ caller, params }) {
      const { call } = await readCall(params.callId);
      return { body: callView(call, { staff: staffCalls(caller) }) };
    },

    async updateCall({ caller, params, body, requestId }) {
      const call = await updateCall(params.callId, body, ctxOf(caller, requestId, 'admin', body.reason));
      return { body: callView(call, { staff: true }) };
    },

    // ---- proposals ----
    async listProposals({ caller, query }) {
      const limit = query.limit ?? 50;
      if (isStaff(caller)) {
        const state = (query.state ?? 'in-review') as ProposalState;
        const scope = approvalGsi.proposalsInState(state);
        const page = await queryIndex('gsi2', scope, { limit, startKey: decodeToken(query.nextToken, `${scope}#${query.callId ?? ''}`), skBeginsWith: query.callId ? `${query.callId}#` : undefined });
        const proposals = page.items.map(proposalOf);
        const chairOnly = hasRole(caller, 'chair') && !hasRole(caller, 'admin', 'auditor');
        // A chair sees which proposals they are conflicted on; the panel's scores of those stay hidden.
        const shown = await Promise.all(proposals.map(async (p) => staffProposalView(p, chairOnly, hasRole(caller, 'chair') ? (await chairConflict(caller, p)) !== null : undefined)));
        return { body: { items: shown, nextToken: encodeToken(page.nextKey, `${scope}#${query.callId ?? ''}`) } };
      }
      const scope = approvalGsi.proposalsOf(caller.sub);
      const page = await queryIndex('gsi1', scope, { limit, startKey: decodeToken(query.nextToken, scope) });
      const items = page.items.map(proposalOf).filter((p) => (!query.state || p.state === query.state) && (!query.callId || p.callId === query.callId));
      return { body: { items: items.map((p) => proposalView(p, 'owner')), nextToken: encodeToken(page.nextKey, scope) } };
    },

    async createProposal({ caller, body, requestId, idempotencyKey }) {
      const res = await idempotent({ operation: 'proposal.create', callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        let view: unknown;
        await createProposal(caller, body, ctxOf(caller, requestId, 'researcher'), (p) => ((view = proposalView(p, 'owner')), record({ status: 201, body: view })));
        return { status: 201, body: view };
      });
      return { status: res.status, body: res.body, headers: replayHeaders(res.replayed) };
    },

    async getProposal({ caller, params }) {
      const { proposal: p } = await readProposal(params.id);
      if (p.ownerSub === caller.sub && hasRole(caller, 'researcher')) return { body: proposalView(p, 'owner') };
      if (isStaff(caller)) {
        // The same rule as the list: a conflicted chair gets no review summary (issue 11, section 5).
        const chairOnly = hasRole(caller, 'chair') && !hasRole(caller, 'admin', 'auditor');
        return { body: staffProposalView(p, chairOnly, hasRole(caller, 'chair') ? (await chairConflict(caller, p)) !== null : undefined) };
      }
      if (hasRole(caller, 'reviewer') && (await reviewerMayRead(p, caller.sub))) return { body: proposalView(p, 'reviewer') };
      throw new NotFoundError('Proposal', params.id);
    },

    async updateProposal({ caller, params, body, requestId }) {
      return { body: proposalView(await updateProposal(caller, params.id, body, ctxOf(caller, requestId, 'researcher')), 'owner') };
    },

    async submitProposal({ caller, params, requestId }) {
      return { status: 202, body: proposalView(await submitProposal(caller, params.id, ctxOf(caller, requestId, 'researcher')), 'owner') };
    },

    async withdrawProposal({ caller, params, requestId }) {
      return { body: proposalView(await withdrawProposal(caller, params.id, ctxOf(caller, requestId, 'researcher', 'withdrawn by the PI')), 'owner') };
    },

    async getDecision({ caller, params }) {
      const { proposal: p } = await readProposal(params.id);
      const own = p.ownerSub === caller.sub && hasRole(caller, 'researcher');
      if (!own && !isStaff(caller)) throw new NotFoundError('Proposal', params.id);
      const reviews = (await listAssignments(p.id)).map((x) => x.assignment);
      return { body: decisionResponse(p, reviews) };
    },

    // ---- reviews ----
    async listAssignments({ caller, query }) {
      const scope = approvalGsi.assignmentsOf(caller.sub);
      const page = await queryIndex('gsi1', scope, { limit: query.limit ?? 50, startKey: decodeToken(query.nextToken, scope) });
      const assignments = page.items.map(assignmentOf).filter((a) => !query.status || a.status === query.status);
      const proposals = await batchGet([...new Set(assignments.map((a) => a.proposalId))].map((id) => approvalKeys.proposal(id)));
      const items = assignments.map((a) => {
        const k = approvalKeys.proposal(a.proposalId);
        const p = proposals.get(`${k.pk}|${k.sk}`);
        // The title of a proposal the reviewer is conflicted on is not theirs to see.
        return assignmentView(a, p && a.status !== 'conflicted' ? proposalOf(p) : undefined);
      });
      return { body: { items, nextToken: encodeToken(page.nextKey, scope) } };
    },

    async submitReview({ caller, params, body, requestId, idempotencyKey }) {
      const res = await idempotent({ operation: `review:${params.id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        const a = await submitReview(caller, params.id, body, ctxOf(caller, requestId, 'reviewer'), (x) => record({ status: 201, body: assignmentView(x) }));
        return { status: 201, body: assignmentView(a) };
      });
      return { status: res.status, body: res.body, headers: replayHeaders(res.replayed) };
    },

    async listReviews({ caller, params }) {
      const { proposal: p, assignments } = await panelOf(caller, params.id);
      const { call } = await readCall(p.callId);
      return { body: { proposalId: p.id, round: p.round, reviewSummary: p.reviewSummary ?? null, assignments: assignments.map((a) => staffReviewView(a, call.reviewerPool)) } };
    },

    async declareConflict({ caller, params, body, requestId, idempotencyKey }) {
      const role = hasRole(caller, 'reviewer') ? 'reviewer' : 'chair';
      const res = await idempotent({ operation: `conflict:${params.id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => ({
        status: 201,
        body: await declareConflict(caller, params.id, body.reason, ctxOf(caller, requestId, role, body.reason), (r) => record({ status: 201, body: r })),
      }));
      return { status: res.status, body: res.body, headers: replayHeaders(res.replayed) };
    },

    async decide({ caller, params, body, requestId, idempotencyKey }) {
      const res = await idempotent({ operation: `decision:${params.id}`, callerSub: caller.sub, key: idempotencyKey, request: body }, async (record) => {
        // The reviews are settled once the proposal awaits a decision; read them first so the stored answer is complete.
        const reviews = (await listAssignments(params.id)).map((x) => x.assignment);
        const p = await decide(caller, params.id, body, ctxOf(caller, requestId, 'chair', body.reason), (after) => record({ status: 200, body: decisionResponse(after, reviews) }));
        return { status: 200, body: decisionResponse(p, reviews) };
      });
      return { status: res.status, body: res.body, headers: replayHeaders(res.replayed) };
    },

    async replaceReviewer({ caller, params, body, requestId }) {
      const out = await replaceReviewer(caller, params.id, params.sub, body, ctxOf(caller, requestId, 'chair', body.reason));
      const { proposal: p } = await readProposal(params.id);
      const { call } = await readCall(p.callId);
      return { body: { replaced: out.replaced, assignment: out.assignment ? staffReviewView(out.assignment, call.reviewerPool) : null } };
    },
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments
