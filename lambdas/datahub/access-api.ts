// The routes of access applications and permits (applications.ts, permits.ts, access-routes.ts,
// docs/datahub.md "Access to restricted data"), joined into the data hub's route set (api.ts).
import * as z from 'zod/mini';
import type { RouteSpec } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES, LimitQuery, NextTokenQuery } from '../shared/http/schemas';
import { APPLICATION_ID, APPLICATION_STATES } from '../domain/datahub/application';
import { PERMIT_ID } from '../domain/datahub/permit';
import { ApplicationView, ARTIFACT_ID, CreateApplicationBody, DecideApplicationBody, PermitExportView, PermitView, RevokePermitBody } from './schemas';

const Id = z.string().check(z.regex(ARTIFACT_ID));
const ArtifactParams = z.strictObject({ kind: z.string().check(z.maxLength(64)), id: Id });
const NOT_FOUND = { description: 'No such dataset or model (or not visible to the caller)', schema: ErrorSchema };
const Page = (item: z.ZodMiniType) => z.object({ items: z.array(item), nextToken: z.optional(z.string()) });
const AppParams = z.strictObject({ applicationId: z.string().check(z.regex(APPLICATION_ID)) });
const PermitParams = z.strictObject({ permitId: z.string().check(z.regex(PERMIT_ID)) });
const APP_NOT_FOUND = { description: 'No such application (or not visible to the caller)', schema: ErrorSchema };
const APP_STATE = { description: 'The application is not in a state that allows this', schema: ErrorSchema };
const APP_RULE = {
  description:
    'A rule refuses it: the dataset or model is not restricted (not_restricted), no verified copy at siteId (or at the hub, for a model naming no site), a dataset naming no siteId, a bad period, users outside the allocation, terms not accepted',
  schema: ErrorSchema,
};
const PageQuery = { limit: LimitQuery, nextToken: NextTokenQuery };

export function accessRoutes(): Record<string, RouteSpec> {
  const tag = 'datahub';
  const apps = '/v1/datahub/access-applications';
  return {
    createAccessApplication: {
      method: 'POST',
      path: '/v1/{kind}/{id}/access-applications',
      tag,
      summary: 'A researcher applies for access to a restricted dataset or a gated (restricted) model; the committee decides in the access flow',
      description:
        "Purpose, the allocation it serves (the applicant and every named user must be its members), users, period (at most the policy maximum), the processing site (it must hold a verified copy; a model may name none, and its permit then covers the hub's verified copy only, siteId `hub`) and acceptance of the terms (their SHA-256 and the time are recorded). The view's `gate` says the state in Hugging Face's terms: pending, accepted or rejected.",
      auth: ['researcher'],
      params: ArtifactParams,
      body: CreateApplicationBody,
      idempotent: true,
      responses: { 201: { description: 'Submitted', schema: ApplicationView }, 200: { description: 'A retry (same Idempotency-Key)', schema: ApplicationView }, ...ERROR_RESPONSES, 404: NOT_FOUND, 422: APP_RULE },
    },
    listAccessApplications: {
      method: 'GET',
      path: '/v1/{kind}/{id}/access-applications',
      tag,
      summary: "The dataset's or gated model's queue of access applications, optionally by state (its committee, curators, admins, auditors)",
      auth: ['researcher', 'curator', 'admin', 'auditor'],
      params: ArtifactParams,
      query: z.strictObject({ state: z.optional(z.enum(APPLICATION_STATES)), ...PageQuery }),
      responses: { 200: { description: 'A page of applications', schema: Page(ApplicationView) }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    },
    listMyAccessApplications: {
      method: 'GET',
      path: apps,
      tag,
      summary: "The caller's own access applications, newest first",
      auth: ['researcher'],
      query: z.strictObject(PageQuery),
      responses: { 200: { description: 'A page of applications', schema: Page(ApplicationView) }, ...ERROR_RESPONSES },
    },
    getAccessApplication: {
      method: 'GET',
      path: `${apps}/{applicationId}`,
      tag,
      summary: 'One access application (its applicant, the dataset committee, admins, auditors; others 404)',
      auth: ['researcher', 'curator', 'admin', 'auditor'],
      params: AppParams,
      responses: { 200: { description: 'The application', schema: ApplicationView }, ...ERROR_RESPONSES, 404: APP_NOT_FOUND },
    },
    decideAccessApplication: {
      method: 'POST',
      path: `${apps}/{applicationId}/decision`,
      tag,
      summary: "The dataset's committee approves (the permit is granted at once), rejects or returns an application, with a comment",
      description: 'Only a member of the dataset committee (its named committee, else its stewards), never on their own application. Completes the access flow task that waits for it.',
      auth: ['researcher', 'curator', 'admin'],
      params: AppParams,
      body: DecideApplicationBody,
      responses: { 200: { description: 'The application after the decision', schema: ApplicationView }, ...ERROR_RESPONSES, 404: APP_NOT_FOUND, 409: APP_STATE },
    },
    withdrawAccessApplication: {
      method: 'POST',
      path: `${apps}/{applicationId}/withdraw`,
      tag,
      summary: 'The applicant withdraws a submitted or returned application',
      auth: ['researcher'],
      params: AppParams,
      responses: { 200: { description: 'The application, closed', schema: ApplicationView }, ...ERROR_RESPONSES, 404: APP_NOT_FOUND, 409: APP_STATE },
    },
    listPermits: {
      method: 'GET',
      path: '/v1/datahub/permits',
      tag,
      summary: "The caller's permits; with datasetId, the dataset's permits (its committee, curators, admins, auditors)",
      auth: ['researcher', 'curator', 'admin', 'auditor'],
      query: z.strictObject({ datasetId: z.optional(Id), ...PageQuery }),
      responses: { 200: { description: 'A page of permits', schema: Page(PermitView) }, ...ERROR_RESPONSES, 404: NOT_FOUND },
    },
    revokePermit: {
      method: 'POST',
      path: '/v1/datahub/permits/{permitId}/revoke',
      tag,
      summary: "The dataset's committee or an admin revokes a permit, with a reason (at once: locations, downloads and jobs are refused from then on)",
      auth: ['researcher', 'admin'],
      params: PermitParams,
      body: RevokePermitBody,
      responses: { 200: { description: 'The permit, revoked', schema: PermitView }, ...ERROR_RESPONSES, 404: { description: 'No such permit (or not visible to the caller)', schema: ErrorSchema } },
    },
    sitePermitExport: {
      method: 'GET',
      path: '/v1/datahub/sites/{siteId}/permits',
      tag,
      summary: "The permits in force at a site as {site, account, path, from, to} rows, for the site agent to apply as ACLs (the site's operators, admins)",
      auth: ['site-operator', 'admin'],
      params: z.strictObject({ siteId: z.string().check(z.maxLength(32)) }),
      responses: { 200: { description: 'The rows', schema: PermitExportView }, ...ERROR_RESPONSES, 404: { description: 'No such site', schema: ErrorSchema } },
    },
  };
}
