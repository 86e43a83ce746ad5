// Calls: route specs (who may call, what each answers). Served by calls-handler.ts.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { CallIdParams } from './api-schemas';
import { CallView, CreateCallBody, UpdateCallBody } from './call-schemas';
import { Page, NOT_FOUND, RULE } from './api-responses';

export const callsApi = defineApi({
  listCalls: {
    method: 'GET',
    path: '/v1/calls',
    tag: 'calls',
    summary: 'Calls: open ones for everyone; admins, chairs and auditors may ask for all',
    auth: 'any',
    query: z.strictObject({ status: z.optional(z.enum(['open', 'upcoming', 'closed', 'all'])), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of calls, closing soonest first', schema: Page(CallView) }, ...ERROR_RESPONSES },
  },
  createCall: {
    method: 'POST',
    path: '/v1/calls',
    tag: 'calls',
    summary: 'An admin opens a call: window, capacity, tiers, eligibility, fairness floors, reviewer pool, deadlines',
    auth: ['admin'],
    idempotent: true,
    body: CreateCallBody,
    responses: { 201: { description: 'The call', schema: CallView }, ...ERROR_RESPONSES },
  },
  getCall: {
    method: 'GET',
    path: '/v1/calls/{callId}',
    tag: 'calls',
    summary: 'One call with its remaining capacity (the reviewer pool only for admins, chairs and auditors)',
    auth: 'any',
    params: CallIdParams,
    responses: { 200: { description: 'The call', schema: CallView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  updateCall: {
    method: 'PATCH',
    path: '/v1/calls/{callId}',
    tag: 'calls',
    summary: 'An admin edits a call (capacity never below what is already awarded)',
    auth: ['admin'],
    params: CallIdParams,
    body: UpdateCallBody,
    responses: { 200: { description: 'The call after the change', schema: CallView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...RULE },
  },
});
