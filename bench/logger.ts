// npm run bench:logger — what Powertools' Logger would cost a bundle (bench/logger-powertools.ts:
// the library behind the same `logger` interface) against KAIRR's logger, which writes the same
// format (lambdas/shared/log.ts), as the baseline: bundle size, and cold module init plus one log
// line, in fresh processes, the two alternating so that load on the machine affects both alike.
// Last line: one JSON object.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'kairr-bench-logger-'));

async function bundle(name: string, logModule: string): Promise<string> {
  const entry = join(dir, `${name}.ts`);
  writeFileSync(entry, `import { logger } from ${JSON.stringify(logModule)};\nlogger.info('request', { requestId: 'r-1', status: 200, ms: 3 });\n`);
  const out = join(dir, `${name}.js`);
  await build({ entryPoints: [entry], bundle: true, minify: true, platform: 'node', target: 'node20', format: 'cjs', outfile: out, logLevel: 'warning' });
  return out;
}

function initMs(file: string): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stderr.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, AWS_LAMBDA_FUNCTION_NAME: 'bench' }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return Number(r.stderr);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const powertools = await bundle('powertools', join(__dirname, 'logger-powertools'));
  const baseline = await bundle('baseline', join(__dirname, '..', 'lambdas', 'shared', 'log'));
  const p: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    p.push(initMs(powertools));
    b.push(initMs(baseline));
  }
  const kb = (f: string) => Math.round((statSync(f).size / 1024) * 10) / 10;
  const result = { runs: RUNS, node: process.version, powertools_kb: kb(powertools), baseline_kb: kb(baseline), powertools_init_ms: median(p), baseline_init_ms: median(b) };
  const over = { kb: Math.round((result.powertools_kb - result.baseline_kb) * 10) / 10, ms: Math.round((result.powertools_init_ms - result.baseline_init_ms) * 10) / 10 };
  console.log(`Powertools Logger: ${result.powertools_kb} KB, ${result.powertools_init_ms.toFixed(1)} ms to load and log once (median of ${RUNS})`);
  console.log(`KAIRR's logger, same format (baseline): ${result.baseline_kb} KB, ${result.baseline_init_ms.toFixed(1)} ms`);
  console.log(`Powertools would cost: +${over.kb} KB, ${over.ms >= 0 ? '+' : ''}${over.ms} ms per cold start`);
  console.log(JSON.stringify({ ...result, over_kb: over.kb, over_ms: over.ms }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
