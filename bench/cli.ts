// npm run bench:cli — the cold start of the compiled kairr (cli/kairr.cjs, built first), against
// `node -e 0` in the same run: `kairr --help`, and `kairr alloc list --json` against a small API in
// this process (so the figure is the CLI's, not a real API's). Fresh processes, the three
// alternating, so that load on the machine affects all alike; the overhead is each run's time less
// node's own in the same round. Issue 19's target: at most 150 ms over node's start.
// Last line: one JSON object.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { join } from 'node:path';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'cli', 'kairr.cjs');

function wallMs(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('close', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t) / 1e6) : reject(new Error(`${args.join(' ')} exited ${code}: ${err}`))));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const b = spawnSync('node', [join(ROOT, 'cli', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new Error('building cli/kairr.cjs failed');
  const api = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [] })));
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', () => r()));
  const env = { KAIRR_API: `http://127.0.0.1:${(api.address() as { port: number }).port}`, KAIRR_TOKEN: 'bench', XDG_CONFIG_HOME: '/nonexistent' };
  const node: number[] = [];
  const help: number[] = [];
  const list: number[] = [];
  for (let i = 0; i < RUNS + 1; i++) {
    const n = await wallMs(['-e', '0'], env);
    const h = await wallMs([CLI, '--help'], env);
    const l = await wallMs([CLI, 'alloc', 'list', '--json'], env);
    if (i === 0) continue; // warm-up: the file cache
    node.push(n), help.push(h), list.push(l);
  }
  api.close();
  const over = (xs: number[]) => median(xs.map((x, i) => x - node[i]));
  const result = { runs: RUNS, nodeMs: median(node), helpMs: median(help), allocListJsonMs: median(list), helpOverNodeMs: over(help), allocListOverNodeMs: over(list), targetOverNodeMs: 150 };
  console.log(
    `kairr cold start, median of ${RUNS} (wall ms): node -e 0 ${result.nodeMs.toFixed(0)}, kairr --help ${result.helpMs.toFixed(0)} (+${result.helpOverNodeMs.toFixed(0)}), kairr alloc list --json ${result.allocListJsonMs.toFixed(0)} (+${result.allocListOverNodeMs.toFixed(0)}); target +150`,
  );
  console.log(JSON.stringify(result));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
