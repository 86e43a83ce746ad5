// KAIRR binding of the local runtime (@kairr/cdk-local, local/index.ts): the whole app on
// localhost from the synthesized template (cdk.out), with what only KAIRR knows: the stage's
// sites and their scheduler credentials from the local Slurm clusters, the dev identities (one per
// role), and where the authorizer finds the dev issuer's keys. Used by `npm start`
// (local/start.ts) and by the e2e suite.
import { loadStageConfig } from '../lib/config/load';
import type { Role } from '../lambdas/shared/http/spec';
import { apisOf, functionsOf, startCdkLocal, Template, writeLocalJson, type CdkLocal, type CdkLocalInfo, type CdkLocalOptions, type StateTimeOverrides } from './index';
import { DEV_IDENTITIES } from './dev-identities';
import { slurmSecretsReport } from './slurm-secrets';

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
  /** For tests only: multiplies every Step Functions duration (see CdkLocalOptions). */
  sfnTimeScale?: number;
  /** For tests only: exact per-state times (ms), by state machine logical id or name. */
  sfnTimeOverrides?: Record<string, StateTimeOverrides>;
}

export interface LocalRuntimeInfo extends CdkLocalInfo {
  tokens: Record<Role, string>;
  /** Dev-only token mint: POST {sub, groups, ...} → {token}. */
  tokenMintUrl: string;
  issuer: string;
  /** Which sites' local Slurm clusters the connectors can reach (default secrets only). */
  slurm?: { connected: string[]; notConnected: { siteId: string; reason: string }[] };
}

export interface LocalRuntime extends CdkLocal {
  info: LocalRuntimeInfo;
}

export async function startLocalRuntime(opts: LocalRuntimeOptions): Promise<LocalRuntime> {
  const template = Template.load(opts.outDir);
  // The stage's sites (for the scheduler credentials): the stack is named Kairr-<stage>.
  const stageSites = (() => {
    try {
      return loadStageConfig(template.stackName.replace(/^Kairr-/, '')).sites;
    } catch {
      return [];
    }
  })();
  // The authorizer's issuer and audience come from the template; only where it fetches the keys
  // from is pointed at the local issuer (as DNS would).
  const authorizerIds = new Set(apisOf(template).flatMap((api) => Object.values(api.authorizers).map((a) => a.functionLogicalId)));
  const env = functionsOf(template).find((f) => authorizerIds.has(f.logicalId))?.environment ?? {};
  const options: CdkLocalOptions = {
    ...opts,
    template,
    env: { KAIRR_LOCAL: 'true' },
    secrets: opts.secrets ?? (() => slurmSecretsReport(stageSites).secrets),
    oidc: { issuer: env.OIDC_ISSUER ?? 'https://oidc.kairr.local', audience: env.OIDC_AUDIENCE ?? 'kairr-api', identities: DEV_IDENTITIES },
    functionEnv: (fn, ctx) => (ctx.authorizerFunctionIds.has(fn.logicalId) && ctx.jwksUri ? { OIDC_JWKS_URI: ctx.jwksUri } : undefined),
  };
  const local = await startCdkLocal(options);
  try {
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
      ...local.info,
      tokens: local.info.tokens as Record<Role, string>,
      tokenMintUrl: local.info.tokenMintUrl!,
      issuer: local.info.issuer!,
    };
    writeLocalJson(opts.stateDir, info);
    return { ...local, info };
  } catch (e) {
    await local.stop();
    throw e;
  }
}
