// The import rules (.dependency-cruiser.cjs, run by `npm run lint:deps`) fail on imports that break
// them, and pass the imports the layout allows. Run with the repository's own config over a small
// tree in a temp folder laid out like the repository (lambdas/<cap>/, lambdas/domain/, ...), so a
// rule whose pattern stops matching real paths fails here instead of passing everything.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../..');
const PKG = join(ROOT, 'node_modules/dependency-cruiser');
const CLI = join(PKG, (JSON.parse(readFileSync(join(PKG, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin.depcruise);

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

/** Files of the fixture tree: path → source. */
const FILES: Record<string, string> = {
  // Targets the fixtures import.
  'lambdas/ledger/store.ts': 'export const allocationOf = 1;\n',
  'lambdas/ledger/index.ts': "export { allocationOf } from './store';\n",
  'lambdas/ledger/api.ts': 'export const ledgerApi = {};\n',
  'lambdas/ledger/handler.ts': 'export const handler = 1;\n',
  'lambdas/shared/store/client.ts': 'export const ddb = 1;\n',
  'lambdas/domain/rules.ts': 'export const rule = 1;\n',
  'lib/config/schema.ts': 'export type RuntimeConfig = { stage: string };\n',
  'local/runtime.ts': 'export const runtime = 1;\n',
  'bench/ledger.ts': 'export const bench = 1;\n',

  // Broken rules, one file each (the file name says which).
  'lambdas/domain/imports-aws.ts': "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const c = DynamoDBClient;\n",
  'lambdas/domain/imports-fs.ts': "import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n",
  'lambdas/domain/imports-fs-promises.ts': "import { readFile } from 'fs/promises';\nexport const r = readFile;\n",
  'lambdas/domain/imports-handler.ts': "import { handler } from '../ledger/handler';\nexport const h = handler;\n",
  'lambdas/domain/imports-shared.ts': "import { ddb } from '../shared/store/client';\nexport const d = ddb;\n",
  'lambdas/shared/imports-capability.ts': "import { allocationOf } from '../ledger';\nexport const a = allocationOf;\n",
  'lambdas/audit/imports-internals.ts': "import { allocationOf } from '../ledger/store';\nexport const a = allocationOf;\n",
  'lambdas/api-catalog.ts': "import { allocationOf } from './ledger/store';\nimport { ledgerApi } from './ledger/api';\nexport const x = [allocationOf, ledgerApi];\n",
  'lambdas/audit/imports-lib.ts': "import type { RuntimeConfig } from '../../lib/config/schema';\nexport type R = RuntimeConfig;\n",
  'lib/imports-local.ts': "import { runtime } from '../local/runtime';\nexport const r = runtime;\n",
  'lambdas/audit/imports-bench.ts': "import { bench } from '../../bench/ledger';\nexport const b = bench;\n",
  'lambdas/jobs/cycle-a.ts': "import { b } from './cycle-b';\nexport const a = () => b;\n",
  'lambdas/jobs/cycle-b.ts': "import type { a } from './cycle-a';\nexport const b = 1;\nexport type A = typeof a;\n",

  // Allowed: a face, the layers, another file of the same capability, route specs in lib/.
  'lambdas/approval/allowed.ts':
    "import { allocationOf } from '../ledger';\nimport { ddb } from '../shared/store/client';\nimport { rule } from '../domain/rules';\nimport { other } from './other';\nexport const ok = [allocationOf, ddb, rule, other];\n",
  'lambdas/approval/other.ts': 'export const other = 1;\n',
  'lambdas/shared/allowed.ts': "import { rule } from '../domain/rules';\nimport { ddb } from './store/client';\nexport const ok = [rule, ddb];\n",
  'lambdas/domain/allowed.ts': "import { rule } from './rules';\nimport { createHash } from 'node:crypto';\nexport const ok = [rule, createHash];\n",
  'lib/allowed.ts': "import { ledgerApi } from '../lambdas/ledger/api';\nimport { rule } from '../lambdas/domain/rules';\nexport const ok = [ledgerApi, rule];\n",
  'local/allowed.ts': "import { allocationOf } from '../lambdas/ledger/store';\nexport const ok = allocationOf;\n",
};

let work: string;
let violations: Violation[];

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'kairr-dep-rules-'));
  for (const [path, src] of Object.entries(FILES)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), src);
  }
  writeFileSync(join(work, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true } }));
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  const run = (outputType: string) =>
    spawnSync(process.execPath, [CLI, 'lambdas', 'lib', 'local', 'bench', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', outputType], { cwd: work, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const json = run('json');
  expect(json.stderr).toBe('');
  violations = (JSON.parse(json.stdout) as { summary: { violations: Violation[] } }).summary.violations;
  // As `npm run lint:deps` runs it: a broken rule fails the command (its exit status counts the errors).
  const err = run('err');
  expect(err.status).toBe(violations.length);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const rulesOf = (from: string) =>
  violations
    .filter((v) => v.from === from)
    .map((v) => v.rule.name)
    .sort();

describe('the dependency rules', () => {
  it.each([
    ['lambdas/domain/imports-aws.ts', 'domain-no-aws'],
    ['lambdas/domain/imports-fs.ts', 'domain-no-fs'],
    ['lambdas/domain/imports-fs-promises.ts', 'domain-no-fs'],
    ['lambdas/domain/imports-handler.ts', 'domain-only-domain'],
    ['lambdas/domain/imports-shared.ts', 'domain-only-domain'],
    ['lambdas/shared/imports-capability.ts', 'shared-no-capability'],
    ['lambdas/audit/imports-internals.ts', 'capability-face-only'],
    ['lambdas/api-catalog.ts', 'catalog-route-specs-only'],
    ['lambdas/audit/imports-lib.ts', 'runtime-not-infra'],
    ['lib/imports-local.ts', 'product-not-local-or-bench'],
    ['lambdas/audit/imports-bench.ts', 'product-not-local-or-bench'],
    ['lambdas/jobs/cycle-a.ts', 'no-circular'],
  ])('%s breaks %s', (from, rule) => {
    expect(rulesOf(from)).toContain(rule);
  });

  it('flags exactly the import that breaks a rule', () => {
    const api = violations.filter((v) => v.from === 'lambdas/api-catalog.ts');
    expect(api.map((v) => v.to)).toEqual(['lambdas/ledger/store.ts']);
    expect(violations.find((v) => v.from === 'lambdas/audit/imports-internals.ts')?.to).toBe('lambdas/ledger/store.ts');
  });

  it.each(['lambdas/approval/allowed.ts', 'lambdas/approval/other.ts', 'lambdas/shared/allowed.ts', 'lambdas/domain/allowed.ts', 'lib/allowed.ts', 'local/allowed.ts', 'lambdas/ledger/index.ts'])(
    'passes %s (imports the layout allows)',
    (from) => {
      expect(rulesOf(from)).toEqual([]);
    },
  );
});
