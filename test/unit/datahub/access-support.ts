// The world an access application lives in, in-process: the data hub's handler on DynamoDB Local
// (fauxqs as S3, for downloads of the hub's copy), the real statemachines/datahub-access.asl.json
// on the local Step Functions service with the access flow Lambda called in-process (the API and
// the flow reach the service over HTTP, as deployed), active allocations whose members may apply,
// and a restricted dataset with a verified copy at kisti6 and at the hub.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { startLocalSfn, type LocalSfn } from '../../../local/sfn';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import { allocationItem, memberIndexWrites } from '../../../lambdas/ledger/store';
import { ddb, mainTable } from '../../../lambdas/shared/store/client';
import { locationItem } from '../../../lambdas/datahub/store';
import { datahubFixture, publishedDataset, ROLE_CALLERS, type Fixture } from './support';

export const REGION = 'ap-northeast-2';
export const ACCOUNT = '000000000000';
export const FLOW_FN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:datahub-access-flow`;
export const ACCESS_ASL = join(__dirname, '..', '..', '..', 'statemachines', 'datahub-access.asl.json');
const T0 = '2026-01-01T00:00:00Z';

/** The ASL file with its substitutions applied, as CloudFormation (and the local runtime) does. */
export function accessDefinition(): any {
  return JSON.parse(readFileSync(ACCESS_ASL, 'utf8').replace(/\$\{([^}]+)\}/g, (m, k: string) => (k === 'FlowFunctionArn' ? FLOW_FN : m)));
}

export interface AccessWorld {
  fx: Fixture;
  sfn: LocalSfn;
  machineArn: string;
  /** Flow steps the state machine invoked, in order. */
  steps: { step: string; applicationId: string }[];
  /** Make a step fail with this error (to walk the Catch paths). */
  failStep: Map<string, () => Error>;
}

export function allocation(id: string, members: string[], state: Allocation['state'] = 'active'): Allocation {
  return {
    id,
    state,
    title: id,
    piSub: members[0],
    institution: 'KISTI',
    orgType: 'public',
    field: '1.2',
    proposalId: null,
    callId: null,
    tier: null,
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    members: members.map((sub, i) => ({ sub, role: i === 0 ? 'pi' : 'member', addedAt: T0 })),
    resources: { 'kisti6/gh200': { awardedMc: 1_000_000_000, balanceMc: 1_000_000_000, usedMc: 0, overLimitMc: 0, exhausted: false } } as never,
    schedulerAccounts: { 'kisti6/gh200': `kairr_${id.replace(/-/g, '_')}` },
    createdAt: T0,
    updatedAt: T0,
    entryCount: 0,
  };
}

const put = (Item: Record<string, unknown>) => ddb().send(new PutCommand({ TableName: mainTable(), Item }));

export async function seedAllocation(a: Allocation): Promise<void> {
  await put(allocationItem(a));
  for (const m of memberIndexWrites(a, null)) if ('put' in m) await put(m.put);
}

/** A verified copy of the version: the hub's, or one under kisti6's root (as a completed upload or a verification leaves it). */
export async function verifiedCopy(id: string, version: string, where: 'hub' | 'kisti6' | 'spc'): Promise<void> {
  const at = new Date().toISOString();
  const site =
    where === 'hub'
      ? { locationId: 'hub', kind: 'hub' as const, path: '' }
      : { locationId: `${where}.${where === 'spc' ? 'data' : 'scratch'}`, kind: 'site' as const, siteId: where, root: where === 'spc' ? 'data' : 'scratch', path: 'corpus' };
  await put(locationItem({ artifactId: id, version, ...site, state: 'verified', lastVerifiedAt: at, createdAt: at, createdBy: 'steward-1', updatedAt: at } as never));
}

/** A published restricted dataset (steward-1 its steward) with verified copies at the hub and at kisti6. */
export async function restrictedDataset(over: Record<string, unknown> = {}): Promise<string> {
  const { id } = await publishedDataset({ accessLevel: 'restricted', ...over });
  await verifiedCopy(id, '1.0.0', 'hub');
  await verifiedCopy(id, '1.0.0', 'kisti6');
  return id;
}

/** Call at a test file's top level: it registers beforeAll/afterAll. `reminderSeconds` is what the API starts flows with. */
export function useAccessWorld(opts: { reminderSeconds?: number; maxReminders?: number } = {}): AccessWorld {
  const w = { steps: [], failStep: new Map() } as unknown as AccessWorld;
  beforeAll(async () => {
    Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' });
    w.fx = await datahubFixture({ s3: true, config: { access: { maxPeriodDays: 366, reminderSeconds: opts.reminderSeconds ?? 3600, maxReminders: opts.maxReminders ?? 2, ttlGraceDays: 30 } } });
    // Loaded after the environment is set: the modules create their SDK clients lazily, once.
    const flow = require('../../../lambdas/datahub/access-flow') as typeof import('../../../lambdas/datahub/access-flow');
    w.machineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:datahub-access-${process.pid}`;
    w.sfn = await startLocalSfn({
      region: REGION,
      accountId: ACCOUNT,
      taskHandlers: {
        invokeLambda: async (fn, payload) => {
          if (fn !== FLOW_FN) throw new Error(`unexpected function ${fn}`);
          const p = payload as { step: string; applicationId: string };
          w.steps.push({ step: p.step, applicationId: p.applicationId });
          const fail = w.failStep.get(p.step);
          if (fail) throw fail();
          return flow.handler(p);
        },
      },
      stateMachines: [{ arn: w.machineArn, name: w.machineArn.split(':').pop()!, definition: accessDefinition() }],
    });
    process.env.AWS_ENDPOINT_URL_SFN = w.sfn.url;
    process.env.DATAHUB_ACCESS_STATE_MACHINE_ARN = w.machineArn;
  });
  afterAll(async () => {
    await w.sfn?.stop();
    await w.fx?.stop();
  });
  return w;
}

export const executionArnOf = (w: AccessWorld, applicationId: string) => `${w.machineArn.replace(':stateMachine:', ':execution:')}:${applicationId}`;

export function enteredStates(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name!);
}

/** The audit events of a subject, oldest first. */
export async function auditOf(fx: Fixture, subject: string): Promise<{ action: string; actor: string; details: Record<string, any> }[]> {
  const out = await fx.tables.doc.send(new QueryCommand({ TableName: fx.tables.names.audit, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': subject } }));
  return (out.Items ?? []).map((i) => ({ action: i.action as string, actor: (i.actor as { sub?: string } | undefined)?.sub ?? String(i.actor), details: (i.details ?? {}) as Record<string, any> }));
}

const DAY = 86_400_000;
/** A valid application body: a 30-day period processed at kisti6 under `allocationId`. */
export const applicationBody = (allocationId: string, over: Record<string, unknown> = {}) => ({
  purpose: 'Train a Korean language model on the corpus',
  allocationId,
  siteId: 'kisti6',
  end: new Date(Date.now() + 30 * DAY).toISOString(),
  acceptTerms: true,
  ...over,
});

export const { steward, researcher, admin, auditor, curator } = ROLE_CALLERS;
