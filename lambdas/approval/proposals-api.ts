// A researcher's proposals: route specs (who may call, what each answers). Served by
// proposals-handler.ts, the one API function that carries the recommender ("let KAIRR recommend")
// and starts and stops the approval flow.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { PROPOSAL_STATES } from '../domain/approval/model';
import { CreateProposalBody, ID, ProposalParams, ProposalView, UpdateProposalBody } from './api-schemas';
import { Page, NOT_FOUND, CONFLICT, RULE, STAFF } from './api-responses';

export const proposalsApi = defineApi({
  listProposals: {
    method: 'GET',
    path: '/v1/proposals',
    tag: 'proposals',
    summary: 'A researcher lists their own proposals; chairs, admins and auditors list by state (e.g. in-review) and call',
    auth: ['researcher', ...STAFF],
    query: z.strictObject({ state: z.optional(z.enum(PROPOSAL_STATES)), callId: z.optional(ID), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of proposals, newest first', schema: Page(ProposalView) }, ...ERROR_RESPONSES },
  },
  createProposal: {
    method: 'POST',
    path: '/v1/proposals',
    tag: 'proposals',
    summary: 'A researcher starts a draft (it may be incomplete; what it holds is validated strictly)',
    description: 'With `recommend: true` and no `credits`, KAIRR fills the request from the workload profile with the recommender (the best feasible resource the call offers).',
    auth: ['researcher'],
    idempotent: true,
    body: CreateProposalBody,
    responses: { 201: { description: 'The draft', schema: ProposalView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...RULE },
  },
  getProposal: {
    method: 'GET',
    path: '/v1/proposals/{id}',
    tag: 'proposals',
    summary: 'One proposal: its PI; a reviewer with a live, non-conflicted assignment; staff',
    auth: ['researcher', 'reviewer', ...STAFF],
    params: ProposalParams,
    responses: { 200: { description: "The proposal (never a reviewer's identity)", schema: ProposalView }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  updateProposal: {
    method: 'PATCH',
    path: '/v1/proposals/{id}',
    tag: 'proposals',
    summary: 'The PI edits a draft, or a proposal sent back for revision',
    auth: ['researcher'],
    params: ProposalParams,
    body: UpdateProposalBody,
    responses: { 200: { description: 'The proposal after the change', schema: ProposalView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT },
  },
  submitProposal: {
    method: 'POST',
    path: '/v1/proposals/{id}/submit',
    tag: 'proposals',
    summary: "The PI submits (inside the call's window); the approval flow starts",
    auth: ['researcher'],
    params: ProposalParams,
    responses: { 202: { description: 'Submitted; the flow runs', schema: ProposalView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT, ...RULE },
  },
  withdrawProposal: {
    method: 'POST',
    path: '/v1/proposals/{id}/withdraw',
    tag: 'proposals',
    summary: 'The PI withdraws (before an approval is being awarded); the flow stops',
    auth: ['researcher'],
    params: ProposalParams,
    responses: { 200: { description: 'Withdrawn', schema: ProposalView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT },
  },
});
