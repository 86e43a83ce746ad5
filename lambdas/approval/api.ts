// Calls, proposals, reviews and committee decisions: the whole approval API, for what reads it as
// one list (the API catalogue, hence the OpenAPI document and the response checks; the in-process
// tests). It is served by three functions, each from its own spec, so that each bundle carries only
// its own routes and services: calls (calls-api.ts), proposals (proposals-api.ts, the one with the
// recommender), reviews and decisions (reviews-api.ts). The schemas are in api-schemas.ts, call-schemas.ts and
// review-schemas.ts and re-exported from here, where the services import their types.
import { defineApi } from '../shared/http/spec';
import { callsApi } from './calls-api';
import { proposalsApi } from './proposals-api';
import { reviewsApi } from './reviews-api';

export * from './api-schemas';
export * from './call-schemas';
export * from './review-schemas';

export const approvalApi = defineApi({ ...callsApi, ...proposalsApi, ...reviewsApi });
