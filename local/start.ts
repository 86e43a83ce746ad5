// `npm start`: runs KAIRR locally. Synthesizes if the sources changed, then starts DynamoDB Local,
// the local OIDC issuer, the functions and the API from cdk.out. Ctrl-C stops everything.
//   PORT             API port (default 4000; 0 picks a free one)
//   KAIRR_STATE_DIR  where local.json, logs and persisted data go (default .kairr)
//   KAIRR_PERSIST=1  keep DynamoDB data across restarts (in KAIRR_STATE_DIR/dynamodb)
//   KAIRR_LOG=console  echo function logs to the console (they always go to KAIRR_STATE_DIR/logs)
import { join, resolve } from 'node:path';
import { ensureBuilt, REPO_ROOT } from './build';
import { startLocalRuntime } from './runtime';

async function main(): Promise<void> {
  const t0 = Date.now();
  const stateDir = resolve(process.env.KAIRR_STATE_DIR ?? join(REPO_ROOT, '.kairr'));
  const { outDir } = ensureBuilt({ outDir: join(REPO_ROOT, 'cdk.out') });
  const runtime = await startLocalRuntime({
    outDir,
    stateDir,
    port: process.env.PORT !== undefined ? Number(process.env.PORT) : 4000,
    persist: /^(1|true|yes)$/i.test(process.env.KAIRR_PERSIST ?? ''),
    echoLogs: process.env.KAIRR_LOG === 'console',
  });
  const { info } = runtime;
  console.log(`\nKAIRR is running locally (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  console.log(`  API         ${info.apiUrl}/v1   (try: curl ${info.apiUrl}/v1/health)`);
  console.log(`  OpenAPI     ${info.apiUrl}/v1/openapi.json`);
  console.log(`  DynamoDB    ${info.dynamodbEndpoint}   (DynamoDB Local${process.env.KAIRR_PERSIST ? ', persisted' : ', in memory'})`);
  console.log(`  Logs        ${info.logFile}`);
  console.log(`  State       ${join(stateDir, 'local.json')} (API URL and tokens)\n`);
  console.log('  Dev tokens (valid 12 h), e.g. curl -H "Authorization: Bearer $TOKEN" ...');
  for (const [role, token] of Object.entries(info.tokens)) console.log(`    ${role.padEnd(14)} ${token}`);
  console.log('\nPress Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
