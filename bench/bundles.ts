// npm run bench:bundles — each shipped handler bundle's size and cold module-initialisation time,
// against a baseline built in the same run: a bundle holding exactly the AWS SDK exports that handler
// imports, built the same way (the floor no handler can go under). Uses the bundles `cdk synth` ships.
// Last line: one JSON object with every figure.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { ensureBuilt, REPO_ROOT } from '../local/build';
import { Template, functionsOf } from '../local/template';

const RUNS = Number(process.env.BENCH_RUNS ?? 9);

const signed = (x: number) => `${x >= 0 ? '+' : ''}${(Math.round(x * 10) / 10).toFixed(1)}`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Time to require() a bundle in a fresh node process (module init only, no invocation). */
function coldInitOnce(file: string, env: Record<string, string>): number {
  const script = `const t=process.hrtime.bigint();require(${JSON.stringify(file)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6));`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { PATH: process.env.PATH, AWS_REGION: 'ap-northeast-2', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`loading ${file} failed: ${r.stderr}`);
  return Number(r.stdout);
}

/**
 * Medians of the handler's and its baseline's init times, measured alternately (handler, baseline,
 * handler, ...) so that load from other work on the machine affects both alike.
 */
function pairedInitMs(handler: string, handlerEnv: Record<string, string>, baseline: string | undefined): { handler: number; baseline: number } {
  const h: number[] = [];
  const b: number[] = [];
  // The baseline runs under the same Node options as the function (--enable-source-maps: the house
  // default, whose cost is parsing the bundle's source map at load).
  const baseEnv: Record<string, string> = handlerEnv.NODE_OPTIONS ? { NODE_OPTIONS: handlerEnv.NODE_OPTIONS } : {};
  for (let i = 0; i < RUNS; i++) {
    h.push(coldInitOnce(handler, handlerEnv));
    if (baseline) b.push(coldInitOnce(baseline, baseEnv));
  }
  return { handler: median(h), baseline: baseline ? median(b) : 0 };
}

/** The value (not type-only) imports of @aws-sdk/* packages in the given source files, per package. */
function sdkImportsOf(files: string[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const f of files) {
    const src = readFileSync(join(REPO_ROOT, f), 'utf8');
    for (const m of src.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+['"](@aws-sdk\/[^'"]+)['"]/g)) {
      if (m[1]) continue;
      const names = m[2]
        .split(',')
        .map((x) => x.trim())
        .filter((x) => x && !x.startsWith('type '))
        .map((x) => x.split(/\s+as\s+/)[0].trim());
      if (!names.length) continue;
      const set = out.get(m[3]) ?? new Set<string>();
      names.forEach((n) => set.add(n));
      out.set(m[3], set);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { outDir } = ensureBuilt({ quiet: true });
  const template = Template.load(outDir);
  const work = mkdtempSync(join(tmpdir(), 'kairr-bench-bundles-'));
  const figures: Record<string, number> = {};
  const rows: string[] = [];
  for (const fn of functionsOf(template)) {
    const entry = template.resources[fn.logicalId].Metadata?.['kairr:entry'] as string | undefined;
    if (!entry) continue;
    const name = entry
      .replace(/^lambdas\//, '')
      .replace(/\/handler\.ts$/, '')
      .replace(/\.ts$/, '')
      .replace(/[^a-z0-9]+/gi, '_');
    // Which AWS SDK exports does the shipped handler use? Ask esbuild which of our modules the
    // entry pulls in, and read their value imports from @aws-sdk/* packages.
    const meta = await build({
      entryPoints: [join(REPO_ROOT, entry)],
      bundle: true,
      platform: 'node',
      target: 'node22',
      write: false,
      metafile: true,
      minify: true,
      logLevel: 'silent',
      mainFields: ['module', 'main'],
      define: { 'process.env.KAIRR_CONFIG': '"{}"' },
    });
    const sdkImports = sdkImportsOf(Object.keys(meta.metafile!.inputs).filter((f) => !f.includes('node_modules')));
    const clients = [...sdkImports.keys()].sort();
    const sizeKb = statSync(fn.handlerFile).size / 1024;
    // Files shipped beside the bundle (KairrFunction assetFiles), loaded on demand, not at init:
    // reported, never hidden from the figures.
    const beside = readdirSync(dirname(fn.handlerFile))
      .filter((f) => !/^index\.js(\.map)?$/.test(f))
      .map((f) => ({ f, kb: statSync(join(dirname(fn.handlerFile), f)).size / 1024 }));
    const env = { ...fn.environment, KAIRR_CONFIG: '{}' };
    let baseKb = 0;
    let baseOut: string | undefined;
    if (clients.length) {
      // The floor: a bundle of exactly those SDK exports, built as the functions are (KairrFunction:
      // ES module builds preferred, tree-shaken, minified, with a source map without sources), whose
      // init constructs each service client as the handlers do at module load.
      const baseEntry = join(work, `${name}-baseline.mjs`);
      const lines: string[] = [];
      for (const [pkg, names] of sdkImports) {
        const list = [...names].sort();
        lines.push(`import { ${list.join(', ')} } from ${JSON.stringify(pkg)};`, `export { ${list.join(', ')} };`);
        for (const n of list) if (/^[A-Z]\w*Client$/.test(n) && pkg.startsWith('@aws-sdk/client-')) lines.push(`export const make${n} = new ${n}({});`);
      }
      writeFileSync(baseEntry, lines.join('\n'));
      baseOut = join(work, `${name}-baseline.bundle.js`);
      await build({
        entryPoints: [baseEntry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node22',
        minify: true,
        sourcemap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        outfile: baseOut,
        nodePaths: [join(REPO_ROOT, 'node_modules')],
        logLevel: 'silent',
      });
      baseKb = statSync(baseOut).size / 1024;
    }
    const paired = pairedInitMs(fn.handlerFile, env, baseOut);
    const initMs = paired.handler;
    const baseMs = paired.baseline;
    const r = (x: number) => Math.round(x * 10) / 10;
    figures[`${name}_kb`] = r(sizeKb);
    figures[`${name}_init_ms`] = r(initMs);
    figures[`${name}_baseline_kb`] = r(baseKb);
    figures[`${name}_baseline_init_ms`] = r(baseMs);
    figures[`${name}_over_baseline_kb`] = r(sizeKb - baseKb);
    figures[`${name}_over_baseline_ms`] = r(initMs - baseMs);
    figures[`${name}_init_ratio`] = baseMs ? Math.round((initMs / baseMs) * 100) / 100 : 0;
    if (beside.length) figures[`${name}_beside_kb`] = r(beside.reduce((a, b) => a + b.kb, 0));
    rows.push(
      `${relative(REPO_ROOT, join(REPO_ROOT, entry)).padEnd(34)} ${r(sizeKb).toFixed(1).padStart(8)} KB ${r(initMs).toFixed(1).padStart(7)} ms   baseline [${clients.join(', ') || 'no SDK client'}] ${r(baseKb).toFixed(1)} KB ${r(baseMs).toFixed(1)} ms   over: ${signed(sizeKb - baseKb)} KB ${signed(initMs - baseMs)} ms` +
        (beside.length ? `\n${''.padEnd(34)}   + beside the bundle, loaded on demand: ${beside.map((b) => `${b.f} ${r(b.kb).toFixed(1)} KB`).join(', ')}` : ''),
    );
  }
  const os = await import('node:os');
  console.log(
    `Cold module init: median of ${RUNS} fresh node ${process.version} processes per bundle, handler and baseline alternating; load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores.\n`,
  );
  console.log(`${'handler'.padEnd(34)} ${'size'.padStart(11)} ${'init'.padStart(10)}`);
  for (const row of rows) console.log(row);
  console.log("\nBoth sides load with the functions' NODE_OPTIONS (--enable-source-maps) and a source map, as deployed.");
  console.log('A figure under the floor (negative): the floor holds every SDK export imported by a module the handler pulls in, even where esbuild drops the function that uses it.');
  console.log('Targets: each handler at most +100 KB and +20 ms over its own baseline; one with no SDK client at most 100 KB and 30 ms in all.');
  console.log(JSON.stringify({ runs: RUNS, node: process.version, ...figures }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
