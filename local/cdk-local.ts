// A CDK app on localhost, with no AWS account and no Docker, built from its synthesized cloud
// assembly (cdk.out): API Gateway (REST) in front of the app's Lambda bundles, DynamoDB Local
// tables, the deployed state machines and event rules, fauxqs for S3/SNS/SQS, a Secrets Manager
// fake and a dev OIDC issuer. Nothing is declared twice: what the template does not hold does not
// exist here. An app's binding (KAIRR's: local/runtime.ts) adds its own secrets and identities.
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template, apisOf, functionsOf, tablesOf, type FunctionDef } from './template';
import { checkFlowTimeOptions, startLocalFlows, type LocalFlows, type LocalRuntimeEvents, type SettleOptions } from './flows';
import type { LocalSfn, StateTimeOverrides } from './sfn';
import { startDynamoLocal, createTables, localClient, type DynamoLocal } from './dynamo';
import { LambdaHost } from './lambda-host';
import { LocalApiGateway } from './api-gateway';
import { LocalOidcIssuer, type TokenClaims } from './oidc';
import { startFauxqs, startLambdaAndSecrets, type LocalServiceEndpoints } from './aws-services';

export interface CdkLocalOidcOptions {
  /** The issuer (iss) the tokens carry: the one the app's authorizer trusts. */
  issuer: string;
  /** The audience (aud) the tokens carry. */
  audience: string;
  /** Identities to mint a dev token for at start (info.tokens), by name (e.g. one per role). */
  identities?: Record<string, TokenClaims>;
}

/** What functionEnv gets to compute a function's extra environment from. */
export interface FunctionEnvContext {
  /** The dev OIDC issuer's JWKS address, when the runtime runs one. */
  jwksUri?: string;
  /** The API's authorizer functions, by logical id. */
  authorizerFunctionIds: ReadonlySet<string>;
}

export interface CdkLocalOptions {
  /** A cloud assembly (cdk synth's output) holding one stack. */
  outDir: string;
  /** The template, if the caller loaded it already (else it is loaded from outDir). */
  template?: Template;
  /** Where local.json, logs and persisted data go. */
  stateDir: string;
  /** API port (0, the default, picks a free one). */
  port?: number;
  /** Keep DynamoDB data in stateDir across restarts. */
  persist?: boolean;
  /** Echo function logs to this process's stdout. */
  echoLogs?: boolean;
  /** Environment added to every function (after the local endpoints, before the template's own). */
  env?: Record<string, string>;
  /** Secrets the Secrets Manager fake serves, by name; called on every request. Default: none. */
  secrets?: () => Record<string, string>;
  /** Run a dev OIDC issuer (omit to run none). */
  oidc?: CdkLocalOidcOptions;
  /**
   * Extra environment for one function, on top of the template's and the local endpoints: how an
   * app points, say, its authorizer's JWKS address at the dev issuer (as DNS would).
   */
  functionEnv?: (fn: FunctionDef, ctx: FunctionEnvContext) => Record<string, string> | undefined;
  /**
   * 'auto' (default): scheduled rules fire on their schedules while the runtime runs.
   * 'manual': they fire only on demand (events.runScheduleNow, POST {localAdminUrl}/schedules/{rule}/run).
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

export interface CdkLocalInfo {
  apiUrl: string;
  /** Dev tokens for the identities named in options.oidc, by the same names. */
  tokens: Record<string, string>;
  /** Dev-only token mint: POST {sub, groups, ...} → {token} (when an issuer runs). */
  tokenMintUrl?: string;
  issuer?: string;
  dynamodbEndpoint: string;
  s3Endpoint: string;
  lambdaEndpoint: string;
  secretsEndpoint: string;
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
}

export interface CdkLocal {
  info: CdkLocalInfo;
  template: Template;
  lambdas: LambdaHost;
  services: LocalServiceEndpoints;
  /** The dev OIDC issuer, when options.oidc asked for one: mint more tokens with oidc.mint(claims). */
  oidc?: LocalOidcIssuer;
  /** The template's state machines in the local Step Functions service (executions, pending tasks). */
  sfn: LocalSfn;
  /** The local EventBridge: the bus, the template's rules, runScheduleNow. */
  events: LocalRuntimeEvents;
  /**
   * Resolves once event deliveries, async Lambda invocations and Step Functions work have settled
   * (executions waiting for a callback or a Wait count as settled). Rejects after timeoutMs (30 s).
   */
  settle(options?: SettleOptions): Promise<void>;
  /** Stops everything it started; idempotent. */
  stop(): Promise<void>;
}

/** How long stop() lets async Lambda invocations (and their retries) finish before stopping the functions. */
const STOP_ASYNC_GRACE_MS = 5_000;

/** Starts the app of opts.outDir locally. On any failure, stops what it had started, then throws. */
export async function startCdkLocal(opts: CdkLocalOptions): Promise<CdkLocal> {
  mkdirSync(opts.stateDir, { recursive: true });
  const template = opts.template ?? Template.load(opts.outDir);
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
    const authorizerFunctionIds = new Set(Object.values(api.authorizers).map((a) => a.functionLogicalId));

    let oidc: LocalOidcIssuer | undefined;
    let oidcUrl: string | undefined;
    if (opts.oidc) {
      const issuer = new LocalOidcIssuer(opts.oidc.issuer, opts.oidc.audience, opts.stateDir);
      oidcUrl = await issuer.listen();
      stops.push(() => issuer.close());
      oidc = issuer;
    }

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
      ...opts.env,
    };
    const envContext: FunctionEnvContext = { jwksUri: oidcUrl ? `${oidcUrl}/jwks.json` : undefined, authorizerFunctionIds };
    const overrides: Record<string, Record<string, string>> = {};
    for (const fn of functions) {
      const extra = opts.functionEnv?.(fn, envContext);
      if (extra) overrides[fn.logicalId] = extra;
    }
    // The Lambda and Secrets Manager endpoints must exist before the functions' environment is fixed.
    let host: LambdaHost | undefined;
    const services = await startLambdaAndSecrets({ resolve: (r: string) => host?.resolve(r), invoke: (r: string, e: unknown) => host!.invoke(r, e) } as unknown as LambdaHost, opts.secrets ?? (() => ({})));
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

    const info: CdkLocalInfo = {
      apiUrl,
      tokens: oidc && opts.oidc?.identities ? oidc.devTokens(opts.oidc.identities) : {},
      ...(oidc ? { tokenMintUrl: `${oidcUrl}/token`, issuer: oidc.issuer } : {}),
      dynamodbEndpoint: dynamo.endpoint,
      s3Endpoint: fauxqs.endpoint,
      lambdaEndpoint: services.lambdaEndpoint,
      secretsEndpoint: services.secretsEndpoint,
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
    writeLocalJson(opts.stateDir, info);
    let stopping: Promise<void> | undefined;
    return { info, template, lambdas, services, oidc, sfn: flows.sfn, events: flows.events, settle: flows.settle, stop: () => (stopping ??= stopAll()) };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** stateDir/local.json: the endpoints and tokens, for tools and test suites in other processes. */
export function writeLocalJson(stateDir: string, info: object): string {
  const file = join(stateDir, 'local.json');
  writeFileSync(file, JSON.stringify(info, null, 2));
  return file;
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
