import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES } from '../shared/http/schemas';

const CreditRate = z.object({ creditsPerGpuHour: z.number(), effectiveFrom: z.string() });

export const ResourceView = z.object({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  gpuModel: z.string(),
  gpusPerNode: z.number(),
  gpuMemoryGB: z.number(),
  coherentCpuMemoryGB: z.number(),
  nodes: z.number(),
  totalGpus: z.number(),
  interconnect: z.string(),
  partition: z.string(),
  maxTimeLimitMinutes: z.number(),
  peakTflops: z.object({ fp64: z.number(), tf32: z.number(), bf16: z.number(), fp8: z.number() }),
  creditRate: z.nullable(CreditRate),
  creditRates: z.array(CreditRate),
});

export const SiteView = z.object({
  id: z.string(),
  name: z.string(),
  scheduler: z.object({ driver: z.string(), cluster: z.string() }),
  resources: z.array(ResourceView),
});

/** One issuer a client may sign in with: where its discovery document is, and the public OAuth clients it knows KAIRR's programs by. */
export const SignInIssuer = z.object({
  id: z.string(),
  /** The issuer identifier (the tokens' "iss"). */
  issuer: z.string(),
  /** Its OpenID discovery document (the issuer's own, or locally the dev issuer's). */
  discoveryUrl: z.string(),
  /** Public client ids (no secrets: public clients have none): the command line's and the browser portal's, where the stage has them. */
  clients: z.object({ cli: z.optional(z.string()), portal: z.optional(z.string()) }),
});
/** What GET /v1/auth/config answers (the platform function's SIGN_IN environment holds it but the stage). */
export const SignInConfig = z.object({
  /** The issuer a client uses when not told otherwise: the stage's own (subjects kept as they are), else the first. */
  defaultIssuer: z.string(),
  issuers: z.array(SignInIssuer),
});
export type SignInConfig = z.infer<typeof SignInConfig>;

export const platformApi = defineApi({
  health: {
    method: 'GET',
    path: '/v1/health',
    tag: 'platform',
    summary: 'Liveness of the API',
    auth: 'public',
    responses: { 200: { description: 'The API is up', schema: z.object({ status: z.literal('ok'), stage: z.string(), time: z.string() }) } },
  },
  signIn: {
    method: 'GET',
    path: '/v1/auth/config',
    tag: 'platform',
    summary: "How to sign in to this stage: each trusted issuer's discovery document and its public client ids (no token needed; never a secret)",
    auth: 'public',
    responses: { 200: { description: 'The issuers and their public clients', schema: z.extend(SignInConfig, { stage: z.string() }) } },
  },
  openapi: {
    method: 'GET',
    path: '/v1/openapi.json',
    tag: 'platform',
    summary: 'This API, described as OpenAPI 3.1',
    auth: 'public',
    responses: { 200: { description: 'The OpenAPI document' } },
  },
  listSites: {
    method: 'GET',
    path: '/v1/sites',
    tag: 'platform',
    summary: 'The catalogue of sites and their resources',
    auth: 'any',
    responses: { 200: { description: 'All sites', schema: z.object({ items: z.array(SiteView) }) }, 401: ERROR_RESPONSES[401] },
  },
  getSite: {
    method: 'GET',
    path: '/v1/sites/{siteId}',
    tag: 'platform',
    summary: 'One site and its resources',
    auth: 'any',
    params: z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    responses: { 200: { description: 'The site', schema: SiteView }, 401: ERROR_RESPONSES[401], 404: { description: 'No such site', schema: ErrorSchema } },
  },
});
