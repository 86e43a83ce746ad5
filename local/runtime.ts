// The local runtime: the whole app on localhost with no AWS account and no Docker, built from the
// synthesized template (cdk.out). Used by `npm start` (local/start.ts) and by the e2e suite.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template, apisOf, functionsOf, tablesOf } from './template';
import { checkFlowTimeOptions, startLocalFlows, type LocalFlows, type LocalRuntimeEvents, type SettleOptions } from './flows';
import type { LocalSfn, StateTimeOverrides } from './sfn';
import { startDynamoLocal, createTables, localClient, type DynamoLocal } from './dynamo';
import { LambdaHost } from './lambda-host';
import { LocalApiGateway } from './api-gateway';
import { startLocalIssuers, type IssuerEntry } from './oidc';
import { slurmSecretsReport } from './slurm-secrets';
import { loadStageConfig } from '../lib/config/load';
import { startFauxqs, startLambdaAndSecrets, type LocalServiceEndpoints } from './aws-services';
import type { Role } from '../lambdas/shared/http/spec';

export interface LocalRuntimeOptions {
  outDir: string;
  stateDir: string;
  port?: number;
  /** Keep DynamoDB data in stateDir across restarts. */
  persist?: boolean;
  echoLogs?: boolean;
  /**
   * Secrets the Secrets Manager fake serves, by name. Default: each configured site's scheduler
   * credentials from the local Slurm clusters (local/slurm-secrets.ts), read on every request so
   * clusters started after the runtime are picked up.
   */
  secrets?: () => Record<string, string>;
  /**
   * 'auto' (default): scheduled rules fire on their schedules while the runtime runs.
   * 'manual': they fire only on demand (runtime.events.runScheduleNow, POST {localAdminUrl}/schedules/{rule}/run).
   */
  schedules?: 'auto' | 'manual';
  /**
   * For tests only: multiplies every Step Functions duration (Wait, Retry intervals, task and
   * execution timeouts). Default 1: state machines run in real time, as deployed.
   */
  sfnTimeScale?: number;
  /** For tests only: exact per-state times (ms), by state machine logical id or name. */
  sfnTimeOverrides?: Record<string, StateTimeOverrides>;
}

export interface LocalRuntimeInfo {
  apiUrl: string;
  tokens: Record<Role, string>;
  /** Dev-only token mint: POST {sub, groups, ...} → {token}. */
  tokenMintUrl: string;
  issuer: string;
  // ---- identity ----
  /** Every trusted issuer of the stage, each a local issuer with its own key and mint (federation tests). */
  issuers: { id: string; issuer: string; subjectPrefix: string; tokenMintUrl: string }[];
  // ---- end identity ----
  dynamodbEndpoint: string;
  s3Endpoint: string;
  lambdaEndpoint: string;
  region: string;
  buckets: Record<string, string>;
  tables: Record<string, string>;
  logFile: string;
  /** Step Functions endpoint (functions get it as AWS_ENDPOINT_URL_SFN). */
  sfnEndpoint: string;
  /** EventBridge endpoint (functions get it as AWS_ENDPOINT_URL_EVENTBRIDGE). */
  eventsEndpoint: string;
  /** Local-only admin endpoint, ending in /_local: POST /schedules/{rule}/run, GET /idle, GET /schedules. */
  localAdminUrl: string;
  /** State machine ARNs, by logical id. */
  stateMachines: Record<string, string>;
  /** Custom event bus names, by logical id. */
  eventBuses: Record<string, string>;
  /** Event rule names, by logical id. */
  rules: Record<string, string>;
  /** Which sites' local Slurm clusters the connectors can reach (default secrets only). */
  slurm?: { connected: string[]; notConnected: { siteId: string; reason: string }[] };
}

export interface LocalRuntime {
  info: LocalRuntimeInfo;
  template: Template;
  lambdas: LambdaHost;
  services: LocalServiceEndpoints;
  /** The template's state machines in the local Step Functions service (executions, pending tasks). */
  sfn: LocalSfn;
  /** The local EventBridge: the bus, the template's rules, runScheduleNow. */
  events: LocalRuntimeEvents;
  /**
   * Resolves once event deliveries, async Lambda invocations and Step Functions work have settled
   * (executions waiting for a callback or a Wait count as settled). Rejects after timeoutMs (30 s).
   */
  settle(options?: SettleOptions): Promise<void>;
  stop(): Promise<void>;
}

/** How long stop() lets async Lambda invocations (and their retries) finish before stopping the functions. */
const STOP_ASYNC_GRACE_MS = 5_000;

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  mkdirSync(opts.stateDir, { recursive: true });
  const template = Template.load(opts.outDir);
  // The stage's sites (for the scheduler credentials): the stack is named Kairr-<stage>.
  const stageSites = (() => {
    try {
      return loadStageConfig(template.stackName.replace(/^Kairr-/, '')).sites;
    } catch {
      return [];
    }
  })();
  checkFlowTimeOptions(template, opts);
  const region = template.region;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dynamo: DynamoLocal = await startDynamoLocal({ dataDir: opts.persist ? join(opts.stateDir, 'dynamodb') : undefined });
    stops.push(() => dynamo.stop());
    const tables = tablesOf(template);
    const ddb = localClient(dynamo.endpoint, region);
    await createTables(ddb, tables);
    ddb.destroy();

    const functions = functionsOf(template);
    const apis = apisOf(template);
    if (apis.length !== 1) throw new Error(`Expected one REST API in the template, found ${apis.length}`);
    const api = apis[0];

    // The authorizer's issuers and audiences come from the template; only where it fetches each
    // issuer's keys from is pointed at a local issuer of its own (as DNS would).
    const authorizerIds = new Set(Object.values(api.authorizers).map((a) => a.functionLogicalId));
    const authorizerEnv = functions.find((f) => authorizerIds.has(f.logicalId))?.environment ?? {};
    const issuerEntries: IssuerEntry[] = authorizerEnv.OIDC_ISSUERS
      ? (JSON.parse(authorizerEnv.OIDC_ISSUERS) as IssuerEntry[])
      : [{ id: 'default', issuerUrl: 'https://oidc.kairr.local', audience: ['kairr-api'], subjectPrefix: '' }];
    const localIssuers = await startLocalIssuers(issuerEntries, opts.stateDir);
    stops.push(() => localIssuers.close());
    const oidc = localIssuers.primary;
    const oidcUrl = oidc.url;

    const byType = (type: string) => template.ofType(type).map(([id]) => id);
    const buckets = Object.fromEntries(byType('AWS::S3::Bucket').map((id) => [id, template.physicalName(id)]));
    const fauxqs = await startFauxqs({
      region,
      buckets: Object.values(buckets),
      topics: byType('AWS::SNS::Topic').map((id) => template.physicalName(id)),
      queues: byType('AWS::SQS::Queue').map((id) => template.physicalName(id)),
    });
    stops.push(() => fauxqs.stop());

    const logFile = join(opts.stateDir, 'logs', 'lambda.log');
    const baseEnv: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_S3: fauxqs.endpoint,
      AWS_ENDPOINT_URL_SNS: fauxqs.endpoint,
      AWS_ENDPOINT_URL_SQS: fauxqs.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      KAIRR_LOCAL: 'true',
    };
    const overrides: Record<string, Record<string, string>> = {};
    for (const id of authorizerIds) overrides[id] = { OIDC_ISSUERS: JSON.stringify(localIssuers.rewritten) };
    // The Lambda and Secrets Manager endpoints must exist before the functions' environment is fixed.
    let host: LambdaHost | undefined;
    const services = await startLambdaAndSecrets(
      { resolve: (r: string) => host?.resolve(r), invoke: (r: string, e: unknown) => host!.invoke(r, e) } as unknown as LambdaHost,
      opts.secrets ?? (() => slurmSecretsReport(stageSites).secrets),
    );
    stops.push(() => services.stop());
    baseEnv.AWS_ENDPOINT_URL_LAMBDA = services.lambdaEndpoint;
    baseEnv.AWS_ENDPOINT_URL_SECRETS_MANAGER = services.secretsEndpoint;

    // State machines and event rules; their endpoints, like the others, go into every function's environment.
    const flowsLogFile = join(opts.stateDir, 'logs', 'sfn-events.log');
    mkdirSync(join(opts.stateDir, 'logs'), { recursive: true });
    const flowsLog = createWriteStream(flowsLogFile, { flags: 'a' });
    stops.push(() => new Promise<void>((r) => flowsLog.end(r)));
    const logFlows = (line: string) => {
      if (!flowsLog.writableEnded) flowsLog.write(`${new Date().toISOString()} ${line}\n`);
      if (opts.echoLogs) console.log(line);
    };
    const flows: LocalFlows = await startLocalFlows({
      template,
      dynamodbEndpoint: dynamo.endpoint,
      fauxqsEndpoint: fauxqs.endpoint,
      lambdaEndpoint: services.lambdaEndpoint,
      lambdas: () => {
        if (!host) throw new Error('the local functions are not running yet');
        return host;
      },
      lambdasIdle: () => services.idle(),
      schedules: opts.schedules ?? 'auto',
      sfnTimeScale: opts.sfnTimeScale,
      sfnTimeOverrides: opts.sfnTimeOverrides,
      log: logFlows,
    });
    stops.push(() => flows.stop()); // in case what follows fails; stop() is idempotent
    baseEnv.AWS_ENDPOINT_URL_SFN = flows.sfn.url;
    baseEnv.AWS_ENDPOINT_URL_EVENTBRIDGE = flows.events.url;

    const lambdas = new LambdaHost(functions, { baseEnv, overrides, logFile, echoLogs: opts.echoLogs });
    host = lambdas;
    stops.push(() => lambdas.stop());
    // Normally stopped before the functions: no new deliveries or executions, then async invocations
    // already accepted (and their retries) get a bounded grace to finish.
    stops.push(async () => {
      await flows.stop();
      await withTimeout(services.idle(), STOP_ASYNC_GRACE_MS);
    });
    flows.start();

    const gateway = new LocalApiGateway({ api, lambdas, region, port: opts.port });
    const apiUrl = await gateway.listen();
    stops.push(() => gateway.close());

    const slurm = opts.secrets ? undefined : slurmSecretsReport(stageSites);
    const info: LocalRuntimeInfo = {
      ...(slurm
        ? {
            slurm: {
              connected: stageSites.map((s) => s.id).filter((id) => !slurm.missing.some((m) => m.siteId === id) && !slurm.notRunning.some((m) => m.siteId === id)),
              notConnected: [...slurm.missing, ...slurm.notRunning],
            },
          }
        : {}),
      apiUrl,
      tokens: oidc.devTokens(),
      tokenMintUrl: `${oidcUrl}/token`,
      issuer: oidc.issuer,
      // ---- identity ----
      issuers: localIssuers.issuers.map(({ entry, oidc: o }) => ({ id: entry.id, issuer: entry.issuerUrl, subjectPrefix: entry.subjectPrefix, tokenMintUrl: `${o.url}/token` })),
      // ---- end identity ----
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: fauxqs.endpoint,
      lambdaEndpoint: services.lambdaEndpoint,
      region,
      buckets,
      tables: Object.fromEntries(tables.map((t) => [t.logicalId, String(t.createInput.TableName)])),
      logFile,
      sfnEndpoint: flows.sfn.url,
      eventsEndpoint: flows.events.url,
      localAdminUrl: flows.adminUrl,
      stateMachines: Object.fromEntries(flows.stateMachines.map((m) => [m.logicalId, m.arn])),
      eventBuses: Object.fromEntries(flows.events.buses.map((b) => [b.logicalId, b.name])),
      rules: Object.fromEntries(flows.events.rules.map((r) => [r.logicalId, r.name])),
    };
    writeFileSync(join(opts.stateDir, 'local.json'), JSON.stringify(info, null, 2));
    let stopping: Promise<void> | undefined;
    return { info, template, lambdas, services, sfn: flows.sfn, events: flows.events, settle: flows.settle, stop: () => (stopping ??= stopAll()) };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** Resolves when the promise does, or after ms, whichever is first (without keeping the process alive). */
function withTimeout(promise: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  return Promise.race([promise, elapsed]).finally(() => clearTimeout(timer));
}
