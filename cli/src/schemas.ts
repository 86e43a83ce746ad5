// What the CLI reads from the API, as zod schemas naming only the fields it prints or acts on
// (loose objects: other fields pass through to --json untouched). The API's own, complete schemas
// are in lambdas/*/api.ts; the CLI's tests check its --json output against those.
import * as z from 'zod/mini';

export const MeSchema = z.looseObject({
  sub: z.string(),
  roles: z.array(z.string()),
  siteIds: z.array(z.string()),
  username: z.optional(z.string()),
  email: z.optional(z.string()),
  name: z.optional(z.string()),
  issuer: z.optional(z.string()),
});

const CreditRate = z.looseObject({ creditsPerGpuHour: z.number(), effectiveFrom: z.string() });
export const ResourceSchema = z.looseObject({
  id: z.string(),
  key: z.string(),
  name: z.string(),
  gpuModel: z.string(),
  gpusPerNode: z.number(),
  nodes: z.number(),
  totalGpus: z.number(),
  partition: z.string(),
  maxTimeLimitMinutes: z.number(),
  creditRate: z.nullable(CreditRate),
});
export const SiteSchema = z.looseObject({ id: z.string(), name: z.string(), resources: z.array(ResourceSchema) });
export type Site = z.infer<typeof SiteSchema>;

export const page = <T extends z.ZodMiniType>(item: T) => z.looseObject({ items: z.array(item), nextToken: z.optional(z.string()) });

export const RecommendationSchema = z.looseObject({
  workload: z.string(),
  recommended: z.nullable(z.string()),
  ranked: z.array(
    z.looseObject({
      rank: z.number(),
      resourceKey: z.string(),
      gpuModel: z.string(),
      feasible: z.boolean(),
      blockers: z.array(z.string()),
      score: z.number(),
      estimate: z.nullable(z.record(z.string(), z.unknown())),
    }),
  ),
});

export const ProposalSchema = z.looseObject({
  id: z.string(),
  callId: z.string(),
  state: z.string(),
  title: z.string(),
  tier: z.optional(z.string()),
  credits: z.record(z.string(), z.number()),
  totalCredits: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  submittedAt: z.optional(z.string()),
  checkProblems: z.optional(z.array(z.object({ path: z.string(), problem: z.string() }))),
});
export type Proposal = z.infer<typeof ProposalSchema>;

const Balance = z.looseObject({ resource: z.string(), awarded: z.number(), balance: z.number(), used: z.number(), creditsPerGpuHour: z.nullable(z.number()), gpuHoursLeft: z.nullable(z.number()) });
export const AllocationSchema = z.looseObject({
  id: z.string(),
  state: z.string(),
  title: z.string(),
  piSub: z.string(),
  startDate: z.string(),
  endDate: z.string(),
  members: z.array(z.looseObject({ sub: z.string(), role: z.string() })),
  balances: z.array(Balance),
  schedulerAccounts: z.record(z.string(), z.string()),
});
export type Allocation = z.infer<typeof AllocationSchema>;

export const UsageSchema = z.looseObject({
  allocationId: z.string(),
  resources: z.array(
    z.looseObject({
      resource: z.string(),
      balance: z.number(),
      days: z.array(z.object({ date: z.string(), used: z.number(), balance: z.number() })),
      burnPerDay: z.number(),
      projectedExhaustion: z.nullable(z.string()),
    }),
  ),
});
export type Usage = z.infer<typeof UsageSchema>;

export const JOB_END_STATES = ['finished', 'rejected', 'not-submitted', 'cancelled'] as const;
export const JobSchema = z.looseObject({
  jobId: z.string(),
  allocationId: z.string(),
  site: z.string(),
  resource: z.string(),
  user: z.string(),
  gpus: z.number(),
  nodes: z.number(),
  timeLimit: z.number(),
  state: z.string(),
  name: z.optional(z.string()),
  schedulerJobId: z.optional(z.string()),
  schedulerState: z.optional(z.string()),
  reason: z.optional(z.string()),
  exitCode: z.optional(z.number()),
  estimatedCredits: z.number(),
  createdAt: z.string(),
  start: z.optional(z.string()),
  end: z.optional(z.string()),
  error: z.optional(z.string()),
});
export type Job = z.infer<typeof JobSchema>;

export const LineageSchema = z.looseObject({
  artifactId: z.string(),
  version: z.string(),
  nodes: z.array(
    z.looseObject({
      id: z.string(),
      kind: z.string(),
      level: z.number(),
      direction: z.string(),
      namespace: z.optional(z.string()),
      name: z.optional(z.string()),
      site: z.optional(z.string()),
      version: z.optional(z.looseObject({ artifact: z.string(), version: z.string() })),
      hidden: z.optional(z.boolean()),
    }),
  ),
  edges: z.array(z.looseObject({ from: z.string(), to: z.string() })),
});

export const AssignmentSchema = z.looseObject({
  assignmentId: z.string(),
  proposalId: z.string(),
  title: z.optional(z.string()),
  round: z.number(),
  status: z.string(),
  deadline: z.string(),
});

export const DecisionSchema = z.looseObject({
  proposalId: z.string(),
  state: z.string(),
  decision: z.nullable(z.looseObject({ outcome: z.string(), credits: z.optional(z.record(z.string(), z.number())), reason: z.string() })),
  allocationId: z.nullable(z.string()),
});

export const ConflictSchema = z.looseObject({ proposalId: z.string(), declaredAt: z.string(), reassigned: z.boolean() });

export const AllocRequestSchema = z.looseObject({
  requestId: z.string(),
  allocationId: z.string(),
  type: z.string(),
  state: z.string(),
  automatic: z.boolean(),
  requestedBy: z.string(),
  requestedAt: z.string(),
  reason: z.optional(z.string()),
  resultAllocationId: z.optional(z.string()),
});
export type AllocRequest = z.infer<typeof AllocRequestSchema>;

export const AuditEventSchema = z.looseObject({
  stream: z.string(),
  seq: z.number(),
  time: z.string(),
  actor: z.looseObject({ sub: z.string(), role: z.string() }),
  action: z.string(),
  subject: z.looseObject({ type: z.string(), id: z.string() }),
});

export const AuditExportSchema = z.looseObject({
  exportId: z.string(),
  state: z.enum(['queued', 'running', 'succeeded', 'failed']),
  from: z.string(),
  to: z.string(),
  totalRecords: z.optional(z.number()),
  manifestHash: z.optional(z.string()),
  files: z.optional(z.array(z.looseObject({ name: z.string(), bytes: z.optional(z.number()), url: z.optional(z.string()) }))),
  manifest: z.optional(z.looseObject({ name: z.string(), url: z.string() })),
  error: z.optional(z.looseObject({ code: z.string(), message: z.string() })),
});
export type AuditExport = z.infer<typeof AuditExportSchema>;

const Bilingual = z.looseObject({ ko: z.optional(z.string()), en: z.optional(z.string()) });
export const CatalogueHitSchema = z.looseObject({ id: z.string(), name: Bilingual, latestVersion: z.string(), accessLevel: z.string(), sites: z.array(z.string()) });
export const ArtifactSchema = z.looseObject({ id: z.string(), name: Bilingual, licence: z.string(), accessLevel: z.string(), latestVersion: z.optional(z.string()), publishedVersions: z.array(z.string()), sites: z.array(z.string()) });
export const VersionSchema = z.looseObject({
  artifactId: z.string(),
  version: z.string(),
  state: z.string(),
  files: z.number(),
  bytes: z.number(),
  derivedFrom: z.array(z.looseObject({ artifactId: z.string(), version: z.string() })),
  publishedAt: z.optional(z.string()),
});
