// e2e globalSetup: targets the KAIRR named by KAIRR_API_URL (any deployment: LocalStack, a dev
// stage) with a token source, or by default starts the local runtime itself from a fresh synth,
// with the local Slurm clusters it provisions on (started if they do not answer).
//   KAIRR_API_URL          base URL (paths start with /v1)
//   KAIRR_TOKENS_FILE      JSON {"tokens": {role: jwt}, "tokenMintUrl"?: url} (default .kairr/local.json shape)
//   KAIRR_TOKEN_MINT_URL   a dev issuer's mint endpoint (POST {sub, groups} → {token})
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuilt } from '../../../local/build';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { ensureClusters } from '../../slurm/support/ensure-clusters';

export interface E2eTarget {
  apiUrl: string;
  tokens: Record<string, string>;
  tokenMintUrl?: string;
  /** Set when the suite started the local runtime itself: tests may read its DynamoDB. */
  dynamodbEndpoint?: string;
  tables?: Record<string, string>;
  /** Set for the local runtime: its Step Functions and EventBridge endpoints (SFNClient / EventBridgeClient { endpoint }). */
  sfnEndpoint?: string;
  eventsEndpoint?: string;
  /** Local-only admin endpoint, ending in /_local: POST /schedules/{rule}/run, GET /idle (see client.ts runSchedule/settle). */
  localAdminUrl?: string;
  /** By logical id: state machine ARNs, custom bus names, rule names. */
  stateMachines?: Record<string, string>;
  eventBuses?: Record<string, string>;
  rules?: Record<string, string>;
  /** Set for the local runtime: each site's pipelines storage root as this host sees it. */
  pipelinesHostRoots?: Record<string, string>;
  local: boolean;
}

let stopOnFailure: (() => Promise<void>) | undefined;

export default async function setup(): Promise<void> {
  try {
    await prepare();
  } catch (e) {
    await stopOnFailure?.().catch(() => undefined);
    throw e;
  }
}

async function prepare(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-e2e-'));
  let target: E2eTarget;
  if (process.env.KAIRR_API_URL) {
    const file = process.env.KAIRR_TOKENS_FILE;
    const src = file ? (JSON.parse(readFileSync(file, 'utf8')) as { tokens?: Record<string, string>; tokenMintUrl?: string }) : {};
    target = { apiUrl: process.env.KAIRR_API_URL.replace(/\/$/, ''), tokens: src.tokens ?? {}, tokenMintUrl: process.env.KAIRR_TOKEN_MINT_URL ?? src.tokenMintUrl, local: false };
  } else {
    // the local runtime's sites are the local Slurm clusters: provisioning flows, dispatch and usage go there.
    // KAIRR_E2E_CLUSTERS=off runs without them (neither checked nor started), for suites that need
    // none, e.g. `KAIRR_E2E_CLUSTERS=off npx jest test/e2e/cli-datahub.test.ts --selectProjects e2e`;
    // a suite that does need them then fails, as it would against a runtime without sites.
    if (process.env.KAIRR_E2E_CLUSTERS !== 'off') await ensureClusters('e2e suite');
    const { outDir } = ensureBuilt({ quiet: true });
    // Schedules fire only when a test runs them (runSchedule), so none fires in the middle of another test.
    const runtime: LocalRuntime = await startLocalRuntime({ outDir, stateDir: join(dir, 'state'), port: 0, schedules: 'manual' });
    (globalThis as Record<string, unknown>).__KAIRR_RUNTIME__ = runtime;
    // A setup that fails runs no teardown: whatever fails from here on stops the runtime first.
    stopOnFailure = () => runtime.stop();
    const i = runtime.info;
    target = {
      apiUrl: i.apiUrl,
      tokens: i.tokens,
      tokenMintUrl: i.tokenMintUrl,
      dynamodbEndpoint: i.dynamodbEndpoint,
      tables: i.tables,
      sfnEndpoint: i.sfnEndpoint,
      eventsEndpoint: i.eventsEndpoint,
      localAdminUrl: i.localAdminUrl,
      stateMachines: i.stateMachines,
      eventBuses: i.eventBuses,
      rules: i.rules,
      ...(i.pipelinesStorage ? { pipelinesHostRoots: i.pipelinesStorage.hostRoots } : {}),
      local: true,
    };
  }
  const infoFile = join(dir, 'target.json');
  writeFileSync(infoFile, JSON.stringify(target));
  process.env.KAIRR_E2E_TARGET = infoFile;
}
