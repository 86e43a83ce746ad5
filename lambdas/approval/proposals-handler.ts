// A researcher's proposals over HTTP: thin adapters from the proposals route specs to the services.
// Visibility: a researcher sees only their own proposals; a reviewer only proposals they are
// assigned to and not conflicted on; staff see all. Someone else's proposal is answered like a
// missing one, so its existence is not disclosed. The only approval API function that carries the
// recommender and that starts (submit) and stops (withdraw) the approval flow.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { hasRole } from '../shared/http/caller';
import { decodeToken, encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import { approvalGsi } from '../shared/store/keys';
import { NotFoundError } from '../domain/errors';
import type { ProposalState } from '../domain/approval';
import { proposalsApi } from './proposals-api';
import { createProposal, submitProposal, updateProposal, withdrawProposal } from './proposals';
import { proposalOf, queryIndex, readProposal } from './store';
import { proposalView, staffProposalView } from './views';
import { ctxOf, isChairOnly, isStaff, replayHeaders, reviewerMayRead, staffConflicted } from './access';

export const handler = createHandler(
  proposalsApi,
  {
    async listProposals({ caller, query }) {
      const limit = query.limit ?? 50;
      if (isStaff(caller)) {
        const state = (query.state ?? 'in-review') as ProposalState;
        const scope = approvalGsi.proposalsInState(state);
        const page = await queryIndex('gsi2', scope, { limit, startKey: decodeToken(query.nextToken, `${scope}#${query.callId ?? ''}`), skBeginsWith: query.callId ? `${query.callId}#` : undefined });
        const proposals = page.items.map(proposalOf);
        // A chair sees which proposals they are conflicted on; the panel's scores of those stay hidden.
        const shown = await Promise.all(proposals.map(async (p) => staffProposalView(p, isChairOnly(caller), await staffConflicted(caller, p))));
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
      // The same rule as the list: a conflicted chair gets no review summary (issue 11, section 5).
      if (isStaff(caller)) return { body: staffProposalView(p, isChairOnly(caller), await staffConflicted(caller, p)) };
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
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments
