// `npm start`: runs KAIRR locally. Synthesizes if the sources changed, then starts DynamoDB Local,
// the local OIDC issuer, the functions and the API from cdk.out. Ctrl-C stops everything.
//   PORT             API port (default 4000; 0 picks a free one)
//   KAIRR_STATE_DIR  where local.json, logs and persisted data go (default .kairr)
//   KAIRR_PERSIST=1  keep DynamoDB data across restarts (in KAIRR_STATE_DIR/dynamodb)
//   KAIRR_LOG=console  echo function logs to the console (they always go to KAIRR_STATE_DIR/logs)
//   KAIRR_SCHEDULES=manual  scheduled rules fire only on demand (POST <local admin>/schedules/{rule}/run)
import { dirname, join, resolve } from 'node:path';
import { ensureBuilt, REPO_ROOT } from './build';
import { startLocalRuntime } from './runtime';
import { startSiteAgent } from './site-agent';

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
    schedules: process.env.KAIRR_SCHEDULES === 'manual' ? 'manual' : 'auto',
  });
  const { info } = runtime;
  console.log(`\nKAIRR is running locally (started in ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  const row = (label: string, value: string) => console.log(`  ${label.padEnd(15)} ${value}`);
  const machines = Object.keys(info.stateMachines).length;
  const rules = runtime.events.rules;
  const scheduled = rules.filter((r) => r.scheduleExpression).length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  row('API', `${info.apiUrl}/v1   (try: curl ${info.apiUrl}/v1/health)`);
  row('OpenAPI', `${info.apiUrl}/v1/openapi.json`);
  row('DynamoDB', `${info.dynamodbEndpoint}   (DynamoDB Local${process.env.KAIRR_PERSIST ? ', persisted' : ', in memory'})`);
  row('Step Functions', `${info.sfnEndpoint}   (${plural(machines, 'state machine')})`);
  row('EventBridge', `${info.eventsEndpoint}   (${plural(rules.length, 'rule')}, ${scheduled} scheduled; schedules ${process.env.KAIRR_SCHEDULES === 'manual' ? 'fire on demand only' : 'fire on time'})`);
  if (info.slurm) {
    const sl = info.slurm;
    row('Slurm', sl.connected.length ? `connected to the local cluster${sl.connected.length > 1 ? 's' : ''} of ${sl.connected.join(', ')}` : 'no local cluster is running');
    for (const n of sl.notConnected) row('', `${n.siteId}: not connected (${n.reason}); start with: npm run slurm:start`);
  }
  // ---- site accounts: the local clusters' site side ----
  let agent: { stop(): void } | undefined;
  const clusterOf: Record<string, string> = { spc: 'spc', kisti6: 'kisti6' };
  const agentSites = Object.fromEntries((info.slurm?.connected ?? []).filter((id) => clusterOf[id]).map((id) => [id, clusterOf[id]]));
  if (Object.keys(agentSites).length && process.env.KAIRR_SITE_AGENT !== 'off' && info.tokens['site-operator']) {
    agent = startSiteAgent({ apiUrl: info.apiUrl, operatorToken: info.tokens['site-operator'], sites: agentSites });
    row('Site accounts', `the local site agent creates and confirms logins for pending requests at ${Object.keys(agentSites).join(', ')} (KAIRR_SITE_AGENT=off to do it by hand)`);
  }
  // ---- end site accounts ----
  row('Local admin', `${info.localAdminUrl}   (POST /schedules/{rule}/run, GET /idle)`);
  row('Logs', `${info.logFile} (functions)`);
  row('', `${join(dirname(info.logFile), 'sfn-events.log')} (Step Functions, EventBridge)`);
  row('State', `${join(stateDir, 'local.json')} (endpoints and tokens)\n`);
  console.log('  Dev tokens (valid 12 h), e.g. curl -H "Authorization: Bearer $TOKEN" ...');
  for (const [role, token] of Object.entries(info.tokens)) console.log(`    ${role.padEnd(14)} ${token}`);
  console.log('\nPress Ctrl-C to stop.');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    agent?.stop();
    console.log(`\n${signal}: stopping...`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP')); // the terminal went away
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
