// The local runtime: the whole app on localhost with no AWS account and no Docker, built from the
// synthesized template (cdk.out). Used by `npm start` (local/start.ts) and by the e2e suite.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template, apisOf, functionsOf, tablesOf } from './template';
import { startDynamoLocal, createTables, localClient, type DynamoLocal } from './dynamo';
import { LambdaHost } from './lambda-host';
import { LocalApiGateway } from './api-gateway';
import { LocalOidcIssuer } from './oidc';
import type { Role } from '../lambdas/shared/http/spec';

export interface LocalRuntimeOptions {
  outDir: string;
  stateDir: string;
  port?: number;
  /** Keep DynamoDB data in stateDir across restarts. */
  persist?: boolean;
  echoLogs?: boolean;
}

export interface LocalRuntimeInfo {
  apiUrl: string;
  tokens: Record<Role, string>;
  /** Dev-only token mint: POST {sub, groups, ...} → {token}. */
  tokenMintUrl: string;
  issuer: string;
  dynamodbEndpoint: string;
  region: string;
  tables: Record<string, string>;
  logFile: string;
}

export interface LocalRuntime {
  info: LocalRuntimeInfo;
  template: Template;
  lambdas: LambdaHost;
  stop(): Promise<void>;
}

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  mkdirSync(opts.stateDir, { recursive: true });
  const template = Template.load(opts.outDir);
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

    // The authorizer's issuer and audience come from the template; only where it fetches the keys
    // from is pointed at the local issuer (as DNS would).
    const authorizerIds = new Set(Object.values(api.authorizers).map((a) => a.functionLogicalId));
    const authorizerEnv = functions.find((f) => authorizerIds.has(f.logicalId))?.environment ?? {};
    const oidc = new LocalOidcIssuer(authorizerEnv.OIDC_ISSUER ?? 'https://oidc.kairr.local', authorizerEnv.OIDC_AUDIENCE ?? 'kairr-api', opts.stateDir);
    const oidcUrl = await oidc.listen();
    stops.push(() => oidc.close());

    const logFile = join(opts.stateDir, 'logs', 'lambda.log');
    const baseEnv: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      KAIRR_LOCAL: 'true',
    };
    const overrides: Record<string, Record<string, string>> = {};
    for (const id of authorizerIds) overrides[id] = { OIDC_JWKS_URI: `${oidcUrl}/jwks.json` };
    const lambdas = new LambdaHost(functions, { baseEnv, overrides, logFile, echoLogs: opts.echoLogs });
    stops.push(() => lambdas.stop());

    const gateway = new LocalApiGateway({ api, lambdas, region, port: opts.port });
    const apiUrl = await gateway.listen();
    stops.push(() => gateway.close());

    const info: LocalRuntimeInfo = {
      apiUrl,
      tokens: oidc.devTokens(),
      tokenMintUrl: `${oidcUrl}/token`,
      issuer: oidc.issuer,
      dynamodbEndpoint: dynamo.endpoint,
      region,
      tables: Object.fromEntries(tables.map((t) => [t.logicalId, String(t.createInput.TableName)])),
      logFile,
    };
    writeFileSync(join(opts.stateDir, 'local.json'), JSON.stringify(info, null, 2));
    return { info, template, lambdas, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
