// Reviews and committee decisions over HTTP: thin adapters from the reviews route specs to the
// review service. A reviewer's assignments and reviews, declared conflicts, the chair's panel,
// replacements and decisions, and the decision as its PI and staff read it. Answers to the flow's
// waiting tasks (SendTaskSuccess) go from here; the flow is never started or stopped from here.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { hasRole } from '../shared/http/caller';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import { approvalGsi, approvalKeys } from '../shared/store/keys';
import { NotFoundError } from '../domain/errors';
import { reviewsApi } from './reviews-api';
import { declareConflict, decide, panelOf, replaceReviewer, submitReview } from './reviews';
import { assignmentOf, batchGet, listAssignments, proposalOf, queryIndex, readCall, readProposal } from './store';
import { assignmentView, decisionResponse, staffReviewView } from './views';
import { ctxOf, isStaff, replayHeaders } from './access';

export const handler = createHandler(
  reviewsApi,
  {
    async getDecision({ caller, params }) {
      const { proposal: p } = await readProposal(params.id);
      const own = p.ownerSub === caller.sub && hasRole(caller, 'researcher');
      if (!own && !isStaff(caller)) throw new NotFoundError('Proposal', params.id);
      const reviews = (await listAssignments(p.id)).map((x) => x.assignment);
      return { body: decisionResponse(p, reviews) };
    },

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
