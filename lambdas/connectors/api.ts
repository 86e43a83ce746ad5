// The sites' side of the connectors: a site's scheduler and connector state, for its operators.
import * as z from 'zod/mini';
import { defineApi } from '../shared/http/spec';
import { ErrorSchema, ERROR_RESPONSES } from '../shared/http/schemas';

export const SiteStatusView = z.object({
  siteId: z.string(),
  scheduler: z.object({
    ok: z.boolean(),
    driver: z.string(),
    cluster: z.string(),
    apiVersion: z.optional(z.string()),
    schedulerVersion: z.optional(z.string()),
    controller: z.enum(['up', 'down', 'unknown']),
    accounting: z.enum(['up', 'down', 'unknown']),
    latencyMs: z.number(),
    error: z.optional(z.string()),
  }),
  usage: z.object({ watermark: z.nullable(z.string()), lastRun: z.nullable(z.record(z.string(), z.unknown())) }),
  reconcile: z.object({ lastChangedRun: z.nullable(z.record(z.string(), z.unknown())) }),
});

export const connectorsApi = defineApi({
  siteStatus: {
    method: 'GET',
    path: '/v1/sites/{siteId}/status',
    tag: 'sites',
    summary: "A site's scheduler health, usage watermark and the reconciler's last run that changed something",
    description: 'A site-operator sees their own sites; admins and auditors see every site.',
    auth: ['site-operator', 'admin', 'auditor'],
    params: z.strictObject({ siteId: z.string().check(z.minLength(1), z.maxLength(64)) }),
    responses: { 200: { description: 'The status', schema: SiteStatusView }, ...ERROR_RESPONSES, 404: { description: 'No such site', schema: ErrorSchema } },
  },
});
