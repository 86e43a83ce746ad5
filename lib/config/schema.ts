// Stage configuration: one JSON file per stage in config/, chosen with `-c stage=NAME`.
// Validated strictly; a bad file stops synth with the path of each bad field (see load.ts).
import * as z from 'zod/mini';
import { SiteSchema } from '../../lambdas/domain/catalogue';
// ---- identity ----
import { IdentitySchema, checkIdentity } from './identity';
// ---- end identity ----

// ---- edge ----
/** Stages that reach their schedulers over loopback or the Docker host, where http: is allowed. */
export const LOCAL_STAGES: ReadonlySet<string> = new Set(['local', 'localstack']);
// ---- end edge ----
// ---- datahub ----
import { DatahubConfigSchema, DATAHUB_DEFAULTS } from '../../lambdas/datahub/config';
// ---- end datahub ----
import { StagePolicySchema } from '../../lambdas/domain/stage-policy';
import type { RuntimeConfig } from '../../lambdas/shared/config';
import { PipelinesConfigSchema } from '../../lambdas/pipelines/config'; // pipelines

const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export const StageConfigSchema = z
  .strictObject({
    $schema: z.optional(z.string()),
    stage: z.string().check(z.regex(/^[a-z][a-z0-9-]{1,20}$/)),
    /** AWS account and region; omitted for env-agnostic synth (local, LocalStack). */
    env: z.optional(z.strictObject({ account: z.optional(z.string().check(z.regex(/^\d{12}$/))), region: z.string().check(z.minLength(1)) })),
    sites: z.array(SiteSchema).check(z.minLength(1)),
    // ---- identity: trusted issuers (lib/config/identity.ts) ----
    identity: IdentitySchema,
    // ---- end identity ----
    retention: z.strictObject({
      logRetentionDays: z.union(LOG_RETENTION_DAYS.map((d) => z.literal(d)) as unknown as [z.ZodMiniLiteral<1>, z.ZodMiniLiteral<3>]),
      /** Keep data stores when the stack is deleted. */
      retainData: z.boolean(),
      deletionProtection: z.boolean(),
      /** Years the audit anchors stay locked (S3 Object Lock, compliance mode). */
      auditAnchorRetentionDays: z._default(z.int().check(z.positive()), 2557),
    }),
    alarmEmail: z.email(),
    api: z._default(
      z.strictObject({
        corsAllowOrigins: z._default(z.array(z.string().check(z.minLength(1))), []),
        throttleRateLimit: z._default(z.number().check(z.positive()), 100),
        throttleBurstLimit: z._default(z.int().check(z.positive()), 200),
        /** Attach a WAFv2 web ACL (AWS managed common + known-bad-inputs rules, rate limit) to the API stage. */
        webAcl: z._default(z.boolean(), true),
      }),
      { corsAllowOrigins: [], throttleRateLimit: 100, throttleBurstLimit: 200, webAcl: true },
    ),
    /** Run the connector Lambdas in a VPC with private subnets, to reach on-premises schedulers. */
    connectorsVpc: z.optional(
      z.strictObject({
        vpcId: z.optional(z.string().check(z.regex(/^vpc-[0-9a-f]+$/))),
        /** CIDRs of the schedulers' networks, reached over VPN or Direct Connect. */
        schedulerCidrs: z.array(z.string().check(z.regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/))).check(z.minLength(1)),
        // ---- connectors ----
        /** The CIDR of the VPC KAIRR creates (when vpcId is not given); must not overlap the schedulers' networks. */
        cidr: z._default(z.string().check(z.regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/)), '10.250.0.0/22'),
        /**
         * The region's AWS-managed prefix list of DynamoDB (com.amazonaws.<region>.dynamodb), the only
         * destination of the gateway endpoint's traffic: `aws ec2 describe-managed-prefix-lists
         * --filters Name=prefix-list-name,Values=com.amazonaws.<region>.dynamodb`. Required with
         * connectorsVpc (synth says so): a security group can name no gateway endpoint otherwise.
         */
        dynamoDbPrefixListId: z.optional(z.string().check(z.regex(/^pl-[0-9a-f]+$/))),
        // ---- end connectors ----
      }),
    ),
    policy: StagePolicySchema,
    // ---- approval: e-mail addresses subscribed to the approval notifications topic ----
    notifications: z._default(z.strictObject({ emails: z._default(z.array(z.email()).check(z.maxLength(50)), []) }), { emails: [] }),
    // ---- end approval ----
    // ---- audit: anchoring schedule, export retention and download links ----
    audit: z._default(
      z.strictObject({
        /** How often the chain heads that moved are anchored in the Object Lock bucket. */
        anchorIntervalMinutes: z._default(z.int().check(z.minimum(5), z.maximum(1440)), 60),
        /** Days an export's files stay in the export bucket. */
        exportRetentionDays: z._default(z.int().check(z.minimum(1), z.maximum(3650)), 30),
        /** Lifetime of presigned download URLs (exports, anchors), seconds. */
        exportUrlTtlSeconds: z._default(z.int().check(z.minimum(60), z.maximum(43200)), 900),
      }),
      { anchorIntervalMinutes: 60, exportRetentionDays: 30, exportUrlTtlSeconds: 900 },
    ),
    // ---- end audit ----
    // ---- datahub: publisher, DOI prefix, the sites' storage roots, upload limits (docs/datahub.md) ----
    datahub: z._default(DatahubConfigSchema, DATAHUB_DEFAULTS),
    // ---- end datahub ----
    // ---- pipelines: each site's storage and mover, the doorbell's timeout (docs/pipelines.md, section 6) ----
    pipelines: z._default(PipelinesConfigSchema, { storage: {}, pollSeconds: 10, watcher: { enabled: true, intervalSeconds: 5, backstopSeconds: 300 } }),
    // ---- end pipelines ----
  })
  .check(
    // ---- datahub: storage roots only for sites that exist ----
    z.superRefine((cfg, ctx) => {
      for (const siteId of Object.keys(cfg.datahub.siteStorage))
        if (!cfg.sites.some((s) => s.id === siteId)) ctx.addIssue({ code: 'custom', path: ['datahub', 'siteStorage', siteId], message: `names site "${siteId}", which is not in sites` });
      // "hub" is the hub's own storage in permits and locations (a gated model's permit): no site may take the name
      cfg.sites.forEach((s, i) => {
        if (s.id === 'hub') ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: 'must not be "hub": it names the data hub\'s own storage in permits and locations' });
      });
    }),
    // ---- end datahub ----
    // ---- pipelines: storage only for sites that exist ----
    z.superRefine((cfg, ctx) => {
      for (const siteId of Object.keys(cfg.pipelines.storage)) if (!cfg.sites.some((s) => s.id === siteId)) ctx.addIssue({ code: 'custom', path: ['pipelines', 'storage', siteId], message: `names site "${siteId}", which is not in sites` });
    }),
    // ---- end pipelines ----

    z.superRefine((cfg, ctx) => {
      const seen = new Set<string>();
      cfg.sites.forEach((site, i) => {
        if (seen.has(site.id)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'id'], message: `duplicates site id "${site.id}"` });
        seen.add(site.id);
        const rs = new Set<string>();
        site.resources.forEach((r, j) => {
          if (rs.has(r.id)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'resources', j, 'id'], message: `duplicates resource id "${r.id}" in site "${site.id}"` });
          rs.add(r.id);
          const dates = new Set<string>();
          r.creditRates.forEach((rate, k) => {
            if (dates.has(rate.effectiveFrom)) ctx.addIssue({ code: 'custom', path: ['sites', i, 'resources', j, 'creditRates', k, 'effectiveFrom'], message: `has two rates effective on ${rate.effectiveFrom}` });
            dates.add(rate.effectiveFrom);
          });
        });
        // ---- site accounts ----
        try {
          new RegExp(site.accounts.usernamePattern);
        } catch (e) {
          ctx.addIssue({ code: 'custom', path: ['sites', i, 'accounts', 'usernamePattern'], message: `is not a valid regular expression (${(e as Error).message})` });
        }
        // ---- end site accounts ----
      });
      // ---- identity ----
      checkIdentity(cfg.identity, new Set(cfg.sites.map((site) => site.id)), ctx);
      // ---- end identity ----
      // ---- edge: scheduler endpoints ----
      // Plain http would carry the site's scheduler JWT in clear: only the local stages reach their
      // schedulers on loopback or the Docker host.
      if (!LOCAL_STAGES.has(cfg.stage)) {
        cfg.sites.forEach((site, i) => {
          if (!site.scheduler.endpoint.startsWith('https:'))
            ctx.addIssue({ code: 'custom', path: ['sites', i, 'scheduler', 'endpoint'], message: `must use https: outside the local stages (${[...LOCAL_STAGES].join(', ')}); the scheduler's JWT must not travel in clear` });
        });
      }
      // ---- end edge ----
    }),
  );

export type StageConfig = z.infer<typeof StageConfigSchema>;

// What the Lambdas need of the stage config at run time (public, no secrets; compiled into each
// bundle) is declared beside the code that reads it, which must not import lib/.
export type { RuntimeConfig };

export function runtimeConfigOf(cfg: StageConfig): RuntimeConfig {
  return { stage: cfg.stage, sites: cfg.sites, groupsClaim: cfg.identity.groupsClaim, policy: cfg.policy };
}
