// KAIRR's connector side in-process, against the real clusters: DynamoDB Local tables, the ledger
// (its service and its handler), the real provisioning ASL in the local Step Functions service,
// the local EventBridge with the same rule the stack deploys (allocation events → the flow), the
// step, collector, reconciler and jobs handlers, and scheduler credentials served by the local
// Secrets Manager FAKE from local/slurm-secrets.ts (no Secrets Manager can run here; everything
// else is the real part).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/events';
import { startLocalSfn, type ExecutionSnapshot, type LocalSfn, type StateTimeOverrides } from '../../../local/sfn';
import { startLambdaAndSecrets, type LocalServiceEndpoints } from '../../../local/aws-services';
import { slurmSecrets } from '../../../local/slurm-secrets';
import type { LambdaHost } from '../../../local/lambda-host';
import type { RuntimeConfig } from '../../../lib/config/schema';
import { PROVISIONING_EVENT_PATTERN } from '../../../lambdas/connectors/provisioning/events';
import { handler as provisioningStep } from '../../../lambdas/connectors/provisioning/handler';
import { handler as jobsHandler } from '../../../lambdas/jobs/handler';
import { handler as ledgerHandler } from '../../../lambdas/ledger/handler';
import { useLedgerIngest, type LedgerIngestResponse } from '../../../lambdas/connectors/usage/ledger-client';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import { clearSecretsCache } from '../../../lambdas/connectors/slurm-rest/secrets';
import { createAllocation } from '../../../lambdas/ledger/service';
import { getAllocation } from '../../../lambdas/ledger/store';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import { toMc } from '../../../lambdas/domain/ledger/money';
import { newId } from '../../../lambdas/domain/ids';
import { callerToContext, type Caller } from '../../../lambdas/shared/http/caller';
import type { AuditContext } from '../../../lambdas/shared/store/write-path';
import { CLUSTERS_JSON, loadClusters, REPO_ROOT, slurmCli, waitFor, type LocalCluster } from './clusters';

export const REGION = 'ap-northeast-2';
export const ACCOUNT = '000000000000';
export const BUS = 'kairr-test-bus';
export const PROVISIONING_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:kairr-provisioning`;
export const STEP_FN_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:kairr-provisioning-step`;

export const ALICE: Caller = { sub: 'sub-alice', roles: ['researcher'], siteIds: [], username: 'alice' };
export const BOB: Caller = { sub: 'sub-bob', roles: ['researcher'], siteIds: [], username: 'bob' };
export const MALLORY: Caller = { sub: 'sub-mallory', roles: ['researcher'], siteIds: [], username: 'mallory' };
export const ADMIN: Caller = { sub: 'sub-admin', roles: ['admin'], siteIds: [], username: 'admin' };
export const KISTI6_OPERATOR: Caller = { sub: 'sub-op-kisti6', roles: ['site-operator'], siteIds: ['kisti6'] };
export const SPC_OPERATOR: Caller = { sub: 'sub-op-spc', roles: ['site-operator'], siteIds: ['spc'] };
/** The operator of a local site (for confirming site accounts). */
export const operatorOf = (siteId: string): Caller => ({ sub: `sub-op-${siteId}`, roles: ['site-operator'], siteIds: [siteId] });
export const ADMIN_CTX: AuditContext = { actor: { sub: 'sub-admin', role: 'admin' }, requestId: 'test' };

/** The deployable ASL with the step function's ARN substituted, as CloudFormation does. */
export function provisioningDefinition(): Record<string, unknown> {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL definitionSubstitutions placeholder, not a template literal
  const text = readFileSync(join(REPO_ROOT, 'statemachines', 'provisioning.asl.json'), 'utf8').replaceAll('${ProvisioningStepFunctionArn}', STEP_FN_ARN);
  return JSON.parse(text) as Record<string, unknown>;
}

export interface Harness {
  tables: TestTables;
  config: RuntimeConfig;
  clusters: Record<string, LocalCluster>;
  sfn: LocalSfn;
  events: LocalEventBridge;
  secrets: LocalServiceEndpoints;
  /** Calls the jobs API handler as API Gateway would, as `caller`. */
  api(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, caller: Caller, opts?: { body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Record<string, string> }>;
  /**
   * Creates an allocation the way an award does; its AllocationAwarded event starts the flow. ALICE
   * (the PI) and BOB have site accounts at both sites first, with the clusters' existing test logins
   * alice and bob, confirmed by each site's operator (logins: false leaves that to the test).
   */
  award(credits: Record<string, number>, opts?: { id?: string; members?: Caller[]; endDate?: string; logins?: boolean }): Promise<Allocation>;
  /** The site's side: makes the Unix login on the cluster (scripts/slurm/site-account.sh) and confirms it through the API as the site's operator. */
  grantLogin(who: Caller, siteId: string, username: string, opts?: { createUnixUser?: boolean }): Promise<{ status: number; body: any }>;
  /** Executions of the provisioning flow that were started for this allocation. */
  executionsOf(allocationId: string): ExecutionSnapshot[];
  /** Waits until every execution for the allocation has ended (and none is starting), then returns the allocation. */
  settled(allocationId: string, timeoutMs?: number): Promise<Allocation>;
  stop(): Promise<void>;
}

export async function startHarness(opts: { patchConfig?: (c: RuntimeConfig) => RuntimeConfig; sfnTimeOverrides?: StateTimeOverrides } = {}): Promise<Harness> {
  Object.assign(process.env, { AWS_REGION: REGION, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', EVENT_BUS_NAME: BUS });
  process.env.LOG_LEVEL ??= 'warn';
  const config = useStageConfig('local', opts.patchConfig);
  const tables = await createTestTables();
  const clusters = Object.fromEntries(loadClusters().map((c) => [c.siteId, c]));

  // Scheduler credentials through the real secrets.ts and the runtime's Secrets Manager fake.
  const secrets = await startLambdaAndSecrets({ resolve: () => undefined, invoke: async () => undefined } as unknown as LambdaHost, () => slurmSecrets(config.sites, CLUSTERS_JSON));
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.secretsEndpoint;
  clearSecretsCache();
  useDriverFactory(undefined);
  // The ledger is the one writing charges: its handler, in this process.
  useLedgerIngest((event) => ledgerHandler(event) as Promise<LedgerIngestResponse>);

  let sfn: LocalSfn | undefined;
  const events = await startLocalEventBridge({
    region: REGION,
    accountId: ACCOUNT,
    scheduler: false,
    eventBuses: [BUS],
    rules: [{ name: 'kairr-provisioning-events', eventBusName: BUS, eventPattern: PROVISIONING_EVENT_PATTERN, targets: [{ id: 'provisioning', arn: PROVISIONING_ARN }] }],
    deliver: async (_target, payload) => {
      sfn!.executions.start(PROVISIONING_ARN, payload);
    },
  });
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = events.url;
  sfn = await startLocalSfn({
    region: REGION,
    accountId: ACCOUNT,
    stateMachines: [{ arn: PROVISIONING_ARN, name: 'kairr-provisioning', definition: provisioningDefinition() as never, ...(opts.sfnTimeOverrides ? { timeOverrides: opts.sfnTimeOverrides } : {}) }],
    taskHandlers: {
      invokeLambda: async (fn, payload) => {
        if (fn !== STEP_FN_ARN) throw new Error(`the flow invoked ${fn}, which is not its step function`);
        return provisioningStep(payload as never);
      },
    },
  });
  const localSfn = sfn;

  const executionsOf = (allocationId: string) =>
    localSfn.executions.list({ stateMachineArn: PROVISIONING_ARN }).filter((e) => {
      try {
        return (JSON.parse(e.input ?? '{}') as { detail?: { allocationId?: string } }).detail?.allocationId === allocationId;
      } catch {
        return false;
      }
    });

  const h: Harness = {
    tables,
    config,
    clusters,
    sfn: localSfn,
    events,
    secrets,
    executionsOf,
    async api(method, path, caller, o = {}) {
      const route = jobsRoute(method, path);
      const res = await jobsHandler(
        {
          httpMethod: method,
          resource: route.resource,
          path,
          pathParameters: route.params,
          queryStringParameters: route.query,
          headers: { 'content-type': 'application/json', ...(o.headers ?? {}) },
          body: o.body === undefined ? null : JSON.stringify(o.body),
          isBase64Encoded: false,
          requestContext: { requestId: newId('req'), authorizer: callerToContext(caller) },
        } as unknown as APIGatewayProxyEvent,
        undefined,
      );
      const http = res as { statusCode: number; body?: string; headers: Record<string, string> };
      return { status: http.statusCode, body: http.body ? JSON.parse(http.body) : undefined, headers: http.headers };
    },
    async grantLogin(who, siteId, username, g = {}) {
      if (g.createUnixUser) siteAccountScript('create', h.clusters[siteId], username);
      return h.api('PUT', `/v1/sites/${siteId}/accounts/${encodeURIComponent(who.sub)}`, operatorOf(siteId), { body: { username } });
    },
    async award(credits, o = {}) {
      const members = o.members ?? [BOB];
      const today = new Date().toISOString().slice(0, 10);
      if (o.logins !== false) {
        for (const siteId of ['spc', 'kisti6']) {
          for (const [who, login] of [
            [ALICE, 'alice'],
            [BOB, 'bob'],
          ] as const) {
            const r = await h.grantLogin(who, siteId, login);
            if (r.status !== 200) throw new Error(`confirming ${login} at ${siteId} failed: ${r.status} ${JSON.stringify(r.body)}`);
          }
        }
      }
      return createAllocation(
        {
          id: o.id ?? newId('alloc'),
          title: 'Connector test allocation',
          piSub: ALICE.sub,
          institution: 'KISTI',
          orgType: 'research-institute',
          field: 'computer science',
          proposalId: null,
          callId: null,
          tier: null,
          startDate: today,
          endDate: o.endDate ?? '2099-12-31',
          members: members.map((m) => ({ sub: m.sub, role: 'member' as const })),
          awardsMc: Object.fromEntries(Object.entries(credits).map(([k, v]) => [k, toMc(v)])),
        },
        ADMIN_CTX,
      );
    },
    async settled(allocationId, timeoutMs = 240_000) {
      await events.bus.idle({ timeoutMs });
      await waitFor(
        `the provisioning flow of ${allocationId} to finish`,
        async () => executionsOf(allocationId),
        (xs) => xs.length > 0 && xs.every((x) => x.status !== 'RUNNING'),
        { timeoutMs, intervalMs: 200 },
      );
      return (await getAllocation(allocationId)).allocation;
    },
    async stop() {
      useLedgerIngest(undefined);
      useDriverFactory(undefined);
      await events.stop();
      await localSfn.stop();
      await secrets.stop();
      await tables.drop();
    },
  };
  return h;
}

function jobsRoute(method: string, path: string): { resource: string; params: Record<string, string>; query: Record<string, string> | null } {
  const [p, q] = path.split('?');
  const query = q ? Object.fromEntries(new URLSearchParams(q)) : null;
  let m = /^\/v1\/allocations\/([^/]+)\/jobs\/([^/]+)$/.exec(p);
  if (m) return { resource: '/v1/allocations/{id}/jobs/{jobId}', params: { id: decodeURIComponent(m[1]), jobId: decodeURIComponent(m[2]) }, query };
  m = /^\/v1\/allocations\/([^/]+)\/jobs$/.exec(p);
  if (m) return { resource: '/v1/allocations/{id}/jobs', params: { id: decodeURIComponent(m[1]) }, query };
  m = /^\/v1\/sites\/([^/]+)\/accounts\/([^/]+)\/disable$/.exec(p);
  if (m) return { resource: '/v1/sites/{siteId}/accounts/{sub}/disable', params: { siteId: decodeURIComponent(m[1]), sub: decodeURIComponent(m[2]) }, query };
  m = /^\/v1\/sites\/([^/]+)\/accounts\/migrations$/.exec(p);
  if (m) return { resource: '/v1/sites/{siteId}/accounts/migrations', params: { siteId: decodeURIComponent(m[1]) }, query };
  m = /^\/v1\/sites\/([^/]+)\/accounts\/([^/]+)$/.exec(p);
  if (m) return { resource: '/v1/sites/{siteId}/accounts/{sub}', params: { siteId: decodeURIComponent(m[1]), sub: decodeURIComponent(m[2]) }, query };
  m = /^\/v1\/sites\/([^/]+)\/accounts$/.exec(p);
  if (m) return { resource: '/v1/sites/{siteId}/accounts', params: { siteId: decodeURIComponent(m[1]) }, query };
  m = /^\/v1\/sites\/([^/]+)\/status$/.exec(p);
  if (m) return { resource: '/v1/sites/{siteId}/status', params: { siteId: decodeURIComponent(m[1]) }, query };
  throw new Error(`${method} ${path} is not a jobs route`);
}

/** scripts/slurm/site-account.sh: the local site side of a login (create, exists, delete). */
export function siteAccountScript(action: 'create' | 'exists' | 'delete', c: LocalCluster, username: string): boolean {
  const r = spawnSync('bash', [join(REPO_ROOT, 'scripts/slurm/site-account.sh'), action, c.cluster, username], { encoding: 'utf8', timeout: 60_000 });
  if (action === 'exists') return r.status === 0;
  if (r.status !== 0) throw new Error(`site-account.sh ${action} ${c.cluster} ${username} failed: ${r.stderr}`);
  return true;
}

/** Names of the states an execution entered, in order (Map iterations included). */
export function statesEntered(sfn: LocalSfn, executionArn: string): string[] {
  return sfn.executions
    .history(executionArn)
    .filter((e) => e.type?.endsWith('StateEntered'))
    .map((e) => e.stateEnteredEventDetails!.name!);
}

/** Errors of failed task attempts in an execution (each retried attempt appears once). */
export function taskErrors(sfn: LocalSfn, executionArn: string): string[] {
  return sfn.executions
    .history(executionArn)
    .filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed')
    .map((e) => e.taskFailedEventDetails?.error ?? e.lambdaFunctionFailedEventDetails?.error ?? '');
}

/**
 * Another project's account with the name KAIRR would use for (allocationId, resource): created by
 * hand under the parent "otherproj" (not root: that is where an interrupted 22.05 limit change leaves
 * KAIRR's own accounts, which KAIRR takes back).
 */
export function foreignAccount(cluster: LocalCluster, account: string): void {
  try {
    slurmCli(cluster, 'sacctmgr', '-i', 'add', 'account', 'otherproj', 'parent=root', 'description=other', 'organization=other');
  } catch (e) {
    if (!/already exist/i.test((e as Error).message)) throw e;
  }
  slurmCli(cluster, 'sacctmgr', '-i', 'add', 'account', account, 'parent=otherproj', 'description=not-kairr', 'organization=other');
}
