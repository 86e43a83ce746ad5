// `npm run localstack:oidc`: the dev OIDC issuer on a fixed port (default 4599), for a KAIRR
// deployed to LocalStack (config/localstack.json points its authorizer at
// http://host.docker.internal:4599/jwks.json). Writes dev tokens for every role and the mint URL
// to KAIRR_STATE_DIR/localstack-tokens.json, the token source for `npm run test:e2e` with
// KAIRR_API_URL set. Keeps its key in KAIRR_STATE_DIR so tokens survive restarts.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalOidcIssuer } from './index';
import { DEV_IDENTITIES } from './dev-identities';
import { loadStageConfig } from '../lib/config/load';
import { issuersOf } from '../lib/config/identity';
import { REPO_ROOT } from './build';

async function main(): Promise<void> {
  const stage = process.env.KAIRR_STAGE ?? 'localstack';
  const cfg = loadStageConfig(stage);
  const stateDir = resolve(process.env.KAIRR_STATE_DIR ?? join(REPO_ROOT, '.kairr'));
  mkdirSync(stateDir, { recursive: true });
  // The stage's own (unprefixed) issuer, else its first: the one dev tokens come from.
  const trusted = issuersOf(cfg.identity);
  const own = trusted.find((i) => i.subjectPrefix === '') ?? trusted[0];
  const issuer = new LocalOidcIssuer(own.issuerUrl, own.audience[0], stateDir);
  issuer.device.identities = DEV_IDENTITIES;
  const port = Number(process.env.OIDC_PORT ?? 4599);
  const url = await issuer.listen(port, process.env.OIDC_HOST ?? '0.0.0.0');
  const file = join(stateDir, 'localstack-tokens.json');
  writeFileSync(file, JSON.stringify({ issuer: own.issuerUrl, tokens: issuer.devTokens(DEV_IDENTITIES), tokenMintUrl: `http://127.0.0.1:${port}/token` }, null, 2));
  console.log(`Dev OIDC issuer for stage "${stage}" on ${url} (JWKS ${url}/jwks.json); tokens in ${file}. Ctrl-C stops it.`);
  const stop = async () => {
    await issuer.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
