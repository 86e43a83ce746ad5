// Submits an example pipeline to a running KAIRR (npm start) and follows it to its end.
//   npx tsx examples/pipelines/submit.ts spc-to-kisti6.json SPC_ALLOCATION=alloc-… KISTI6_ALLOCATION=alloc-… MODEL_ARTIFACT=… ANALYSIS_ARTIFACT=…
// The API address and a researcher's token come from .kairr/local.json (written by npm start), or
// from KAIRR_API_URL and KAIRR_TOKEN.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExample } from './body';

async function main() {
  const [name, ...pairs] = process.argv.slice(2);
  if (!name) throw new Error('usage: submit.ts <example.json> VAR=value ...');
  const vars = Object.fromEntries(pairs.map((p) => p.split(/=(.*)/s).slice(0, 2) as [string, string]));
  const state = join(process.cwd(), '.kairr', 'local.json');
  const local = existsSync(state) ? (JSON.parse(readFileSync(state, 'utf8')) as { apiUrl?: string; tokens?: Record<string, string> }) : {};
  const api = process.env.KAIRR_API_URL ?? local.apiUrl;
  const token = process.env.KAIRR_TOKEN ?? local.tokens?.researcher;
  if (!api || !token) throw new Error('no API address or token: start KAIRR with npm start, or set KAIRR_API_URL and KAIRR_TOKEN');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const created = await fetch(`${api}/v1/pipelines`, { method: 'POST', headers: { ...headers, 'idempotency-key': randomUUID() }, body: JSON.stringify(loadExample(name, vars)) });
  const body = (await created.json()) as { pipelineId?: string; error?: unknown };
  if (!created.ok) throw new Error(`${created.status}: ${JSON.stringify(body)}`);
  console.log(`pipeline ${body.pipelineId}`);
  for (let last = ''; ; ) {
    const p = (await (await fetch(`${api}/v1/pipelines/${body.pipelineId}`, { headers })).json()) as { state: string; stoppedAt?: unknown; stages: { id: string; state: string }[] };
    const line = `${p.state}: ${p.stages.map((s) => `${s.id}=${s.state}`).join(' ')}`;
    if (line !== last) console.log((last = line));
    if (['succeeded', 'failed', 'cancelled'].includes(p.state)) {
      if (p.stoppedAt) console.log(JSON.stringify(p.stoppedAt, null, 2));
      return;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
