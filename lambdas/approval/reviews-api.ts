// Reviews and committee decisions: route specs (who may call, what each answers). Served by
// reviews-handler.ts, which answers the flow's waiting review and decision tasks. The decision's
// read (GET /v1/proposals/{id}/decision) is here with its write.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { ASSIGNMENT_STATUSES } from '../domain/approval/model';
import { ID, ProposalParams, Reason, ScoreSummaryView, SUB } from './api-schemas';
import { AssignmentView, DecisionBody, DecisionResponse, ReviewBody, StaffReview } from './review-schemas';
import { Page, NOT_FOUND, CONFLICT, RULE, STAFF } from './api-responses';

export const reviewsApi = defineApi({
  getDecision: {
    method: 'GET',
    path: '/v1/proposals/{id}/decision',
    tag: 'proposals',
    summary: "The decision, the aggregated scores and the reviewers' comments, anonymously",
    auth: ['researcher', ...STAFF],
    params: ProposalParams,
    responses: { 200: { description: 'The decision so far', schema: DecisionResponse }, ...ERROR_RESPONSES, ...NOT_FOUND },
  },
  listAssignments: {
    method: 'GET',
    path: '/v1/reviews/assignments',
    tag: 'reviews',
    summary: "A reviewer's own assignments, newest first",
    auth: ['reviewer'],
    query: z.strictObject({ status: z.optional(z.enum(ASSIGNMENT_STATUSES)), limit: LimitQuery, nextToken: NextTokenQuery }),
    responses: { 200: { description: 'A page of assignments', schema: Page(AssignmentView) }, ...ERROR_RESPONSES },
  },
  submitReview: {
    method: 'POST',
    path: '/v1/proposals/{id}/reviews',
    tag: 'reviews',
    summary: 'An assigned reviewer submits their review (scores 1-5, comments, recommendation)',
    auth: ['reviewer'],
    idempotent: true,
    params: ProposalParams,
    body: ReviewBody,
    responses: { 201: { description: 'The assignment with the review', schema: AssignmentView }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT },
  },
  listReviews: {
    method: 'GET',
    path: '/v1/proposals/{id}/reviews',
    tag: 'reviews',
    summary: 'Staff: the panel, each review, and the aggregated scores (a conflicted chair is refused)',
    auth: [...STAFF],
    params: ProposalParams,
    responses: {
      200: { description: 'The panel and its reviews', schema: z.object({ proposalId: z.string(), round: z.number(), reviewSummary: z.nullable(ScoreSummaryView), assignments: z.array(StaffReview) }) },
      ...ERROR_RESPONSES,
      ...NOT_FOUND,
    },
  },
  declareConflict: {
    method: 'POST',
    path: '/v1/proposals/{id}/conflicts',
    tag: 'reviews',
    summary: "An assigned reviewer (or a chair) declares a conflict of interest; a reviewer's slot goes to someone else",
    auth: ['reviewer', 'chair'],
    idempotent: true,
    params: ProposalParams,
    body: z.strictObject({ reason: Reason }),
    responses: { 201: { description: 'Recorded', schema: z.object({ proposalId: z.string(), declaredAt: z.string(), reassigned: z.boolean() }) }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT },
  },
  decide: {
    method: 'POST',
    path: '/v1/proposals/{id}/decision',
    tag: 'reviews',
    summary: "The chair approves (credits per resource, within the request and the call's remaining capacity), rejects, or asks for a revision, with a reason",
    auth: ['chair'],
    idempotent: true,
    params: ProposalParams,
    body: DecisionBody,
    responses: { 200: { description: 'The decision as recorded', schema: DecisionResponse }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT, ...RULE },
  },
  replaceReviewer: {
    method: 'POST',
    path: '/v1/proposals/{id}/reviewers/{sub}/replace',
    tag: 'reviews',
    summary: 'The chair replaces a reviewer whose review is pending (by a named reviewer, or the next best)',
    auth: ['chair'],
    params: z.strictObject({ id: ID, sub: SUB }),
    body: z.strictObject({ replacement: z.optional(SUB), reason: Reason }),
    responses: { 200: { description: 'The new assignment, or null when no one could take it', schema: z.object({ replaced: z.string(), assignment: z.nullable(StaffReview) }) }, ...ERROR_RESPONSES, ...NOT_FOUND, ...CONFLICT, ...RULE },
  },
});
