// KAIRR binding of the local runtime (@kairr/cdk-local, local/index.ts): the whole app on
// localhost from the synthesized template (cdk.out), with what only KAIRR knows: the stage's
// sites and their scheduler credentials from the local Slurm clusters, the dev identities (one per
// role), and one dev issuer per trusted issuer of the stage, with the authorizer told where each
// one's keys are. Used by `npm start`
// (local/start.ts) and by the e2e suite.
import { loadStageConfig } from '../lib/config/load';
import type { Role } from '../lambdas/shared/http/spec';
import { apisOf, functionsOf, startCdkLocal, startLocalIssuers, Template, type IssuerEntry, type LocalIssuers, writeLocalJson, type CdkLocal, type CdkLocalInfo, type CdkLocalOptions, type StateTimeOverrides } from './index';
import { DEV_IDENTITIES } from './dev-identities';
import { slurmSecretsReport } from './slurm-secrets';
import { startLocalPipelinesStorage, withLocalStorage, type LocalSiteStorage } from './pipelines-storage';

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
  /** 'auto' (default): a storage root and rsync daemon per local cluster for pipelines (local/pipelines-storage.ts); 'off': none. */
  pipelinesStorage?: 'auto' | 'off';
}

export interface LocalRuntimeInfo extends CdkLocalInfo {
  tokens: Record<Role, string>;
  /** Dev-only token mint: POST {sub, groups, ...} → {token}. */
  tokenMintUrl: string;
  issuer: string;
  // ---- identity ----
  /** Every trusted issuer of the stage, each a local issuer with its own key and mint (federation tests). */
  issuers: { id: string; issuer: string; subjectPrefix: string; tokenMintUrl: string }[];
  // ---- end identity ----
  /** Which sites' local Slurm clusters the connectors can reach (default secrets only). */
  slurm?: { connected: string[]; notConnected: { siteId: string; reason: string }[] };
  /** The pipelines' storage per site (PIPELINES_CONFIG.storage) and each root as this host sees it. */
  pipelinesStorage?: { storage: Record<string, LocalSiteStorage>; hostRoots: Record<string, string> };
}

export interface LocalRuntime extends CdkLocal {
  info: LocalRuntimeInfo;
}

/**
 * The platform function's SIGN_IN (what GET /v1/auth/config answers) with each issuer's discovery
 * document at its local dev issuer (which serves discovery, the device grant, refresh and
 * revocation), as OIDC_ISSUERS has each one's keys there; the issuer identifiers stay the stage's.
 */
export function withLocalDiscovery(signIn: string, local: Pick<LocalIssuers, 'issuers'>): string {
  const cfg = JSON.parse(signIn) as { issuers: { id: string; discoveryUrl: string }[] };
  for (const i of cfg.issuers) {
    const dev = local.issuers.find((l) => l.entry.id === i.id);
    if (dev) i.discoveryUrl = `${dev.oidc.url}/.well-known/openid-configuration`;
  }
  return JSON.stringify(cfg);
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
  // The authorizer's issuers and audiences come from the template; only where it fetches each
  // issuer's keys from is pointed at a local issuer of its own (as DNS would).
  const authorizerIds = new Set(apisOf(template).flatMap((api) => Object.values(api.authorizers).map((a) => a.functionLogicalId)));
  const env = functionsOf(template).find((f) => authorizerIds.has(f.logicalId))?.environment ?? {};
  const issuerEntries: IssuerEntry[] = env.OIDC_ISSUERS ? (JSON.parse(env.OIDC_ISSUERS) as IssuerEntry[]) : [{ id: 'default', issuerUrl: 'https://oidc.kairr.local', audience: ['kairr-api'], subjectPrefix: '' }];
  const localIssuers = await startLocalIssuers(issuerEntries, opts.stateDir);
  const pipelines =
    opts.pipelinesStorage === 'off'
      ? null
      : await startLocalPipelinesStorage().catch(async (e) => {
          await localIssuers.close();
          throw e;
        });
  const options: CdkLocalOptions = {
    ...opts,
    template,
    env: { KAIRR_LOCAL: 'true' },
    secrets: opts.secrets ?? (() => slurmSecretsReport(stageSites).secrets),
    functionEnv: (fn, ctx): Record<string, string> | undefined => {
      if (ctx.authorizerFunctionIds.has(fn.logicalId)) return { OIDC_ISSUERS: JSON.stringify(localIssuers.rewritten) };
      // GET /v1/auth/config sends clients to each issuer's dev issuer for its discovery document
      if (fn.environment.SIGN_IN !== undefined) return { SIGN_IN: withLocalDiscovery(fn.environment.SIGN_IN, localIssuers) };
      // the pipelines' functions get the local clusters' storage roots and daemons
      if (pipelines && fn.environment.PIPELINES_CONFIG !== undefined) return { PIPELINES_CONFIG: withLocalStorage(fn.environment.PIPELINES_CONFIG, pipelines.storage) };
      return undefined;
    },
  };
  let local: CdkLocal;
  try {
    local = await startCdkLocal(options);
  } catch (e) {
    await localIssuers.close();
    await pipelines?.stop();
    throw e;
  }
  const stop = async () => {
    await local.stop();
    await localIssuers.close();
    await pipelines?.stop();
  };
  try {
    const slurm = opts.secrets ? undefined : slurmSecretsReport(stageSites);
    const oidc = localIssuers.primary;
    // The dev identities are whom the device grant's verification page offers to log in as.
    oidc.device.identities = DEV_IDENTITIES;
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
      ...(pipelines ? { pipelinesStorage: { storage: pipelines.storage, hostRoots: pipelines.hostRoots } } : {}),
      tokens: oidc.devTokens(DEV_IDENTITIES) as Record<Role, string>,
      tokenMintUrl: `${oidc.url}/token`,
      issuer: oidc.issuer,
      // ---- identity ----
      issuers: localIssuers.issuers.map(({ entry, oidc: o }) => ({ id: entry.id, issuer: entry.issuerUrl, subjectPrefix: entry.subjectPrefix, tokenMintUrl: `${o.url}/token` })),
      // ---- end identity ----
    };
    writeLocalJson(opts.stateDir, info);
    return { ...local, info, oidc, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
