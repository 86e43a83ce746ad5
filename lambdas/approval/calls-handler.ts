// Calls over HTTP: thin adapters from the calls route specs to the calls service. One of the three
// approval API functions (with proposals-handler.ts and reviews-handler.ts), split so that each
// bundle carries only its own part: the calls function has no Step Functions client grant and no
// recommender.
import { createHandler } from '../shared/http/router';
import { withKairrRoles } from '../shared/identity/people'; // identity
import { hasRole, type Caller } from '../shared/http/caller';
import { encodeToken } from '../shared/http/pagination';
import { idempotent } from '../shared/store/idempotency';
import { ForbiddenError } from '../domain/errors';
import { callsApi } from './calls-api';
import { callsScope, createCall, listCalls, updateCall } from './calls';
import { readCall } from './store';
import { callView } from './views';
import { ctxOf, replayHeaders } from './access';

const staffCalls = (c: Caller) => hasRole(c, 'admin', 'chair', 'auditor');

export const handler = createHandler(
  callsApi,
  {
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
  },
  { caller: withKairrRoles },
); // identity: KAIRR's role assignments
