// The shipped form: the optimiser bundled by esbuild the way KairrFunction bundles handlers
// (CommonJS, node22), run from a directory with no node_modules, with HiGHS's two files (highs.js,
// highs.wasm) beside it, as lib/recommendation ships them; the bundle itself holds no HiGHS code.
import { buildSync } from 'esbuild';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const repo = path.join(__dirname, '../../..');
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kairr-award-bundle-'));
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    `import { computeAwardPlan } from ${JSON.stringify(path.join(repo, 'lambdas/domain/award-plan'))};
     import { loadHighsSolver } from ${JSON.stringify(path.join(repo, 'lambdas/recommendation/highs-loader'))};
     export const handler = async () => (await computeAwardPlan({
       capacity: { 'spc/h200': 1000 }, floors: {}, minViableFraction: 0.5,
       proposals: [
         { id: 'A', orgType: 'sme', score: 4, requested: { 'spc/h200': 600 } },
         { id: 'B', orgType: 'university', score: 3, requested: { 'spc/h200': 600 } },
       ],
     }, { highs: await loadHighsSolver() })).objective;`,
  );
  buildSync({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node22', format: 'cjs', minify: true, outfile: path.join(dir, 'out/index.js'), logLevel: 'silent' });
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the bundle holds none of HiGHS: its glue is loaded from beside the bundle on the first solve', () => {
  // the glue's exports of the HiGHS C API keep their names through minification (a bundle that
  // inlined highs.js, as this one did before, holds them)
  const marker = 'Highs_setIntOptionValue';
  expect(fs.readFileSync(path.join(repo, 'node_modules/highs/build/highs.js'), 'utf8')).toContain(marker);
  expect(fs.readFileSync(path.join(dir, 'out/index.js'), 'utf8')).not.toContain(marker);
});

test('without highs.js beside it the solve fails (and is not cached: it works once the file is there)', async () => {
  const bundle = require(path.join(dir, 'out/index.js')) as { handler: () => Promise<number> };
  await expect(bundle.handler()).rejects.toThrow(/highs/);

  fs.copyFileSync(path.join(repo, 'node_modules/highs/build/highs.js'), path.join(dir, 'out/highs.js'));
  fs.copyFileSync(path.join(repo, 'node_modules/highs/build/highs.wasm'), path.join(dir, 'out/highs.wasm'));
  // A 600 (2400) + B 400 (1200).
  await expect(bundle.handler()).resolves.toBe(3600);
});
