// A failed global setup must leave nothing running. Jest runs the globalSetups before any test
// and, when one throws, exits without running a teardown. Here, in a jest of its own, a setup
// runs the unit project's real one (test/support/dynamo-global-setup.ts, which starts DynamoDB
// Local) and then fails, as the e2e setup does when the clusters or the synth fail after
// something has started. Afterwards the DynamoDB Local it started must be gone.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');

function alive(pid: number): boolean {
  // A zombie is as good as gone; a reused pid would not run java.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) Z /.test(stat) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('DynamoDBLocal');
  } catch {
    return false;
  }
}

test('when a later setup fails after the unit setup started DynamoDB Local, no DynamoDB Local is left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-setup-fail-'));
  const record = join(dir, 'started.txt');
  const unitSetup = join(ROOT, 'test/support/dynamo-global-setup.ts');
  writeFileSync(join(dir, 'setup.ts'), `import unitSetup from ${JSON.stringify(unitSetup.replace(/\.ts$/, ''))};\nexport default async () => { await unitSetup(); throw new Error('this setup fails on purpose'); };\n`);
  const config = {
    rootDir: ROOT,
    testEnvironment: 'node',
    transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
    testMatch: ['<rootDir>/test/unit/platform/config.test.ts'],
    globalSetup: join(dir, 'setup.ts'),
  };
  writeFileSync(join(dir, 'jest.config.js'), `module.exports = ${JSON.stringify(config)};\n`);
  const env: Record<string, string | undefined> = { ...process.env, KAIRR_TEST_SETUP_RECORD: record };
  delete env.KAIRR_TEST_DYNAMO_ENDPOINT; // the outer run's; the inner one must start its own
  delete env.JEST_WORKER_ID;

  const run = spawnSync('npx', ['jest', '-c', join(dir, 'jest.config.js')], { cwd: ROOT, env, encoding: 'utf8', timeout: 170_000 });

  const started = existsSync(record)
    ? readFileSync(record, 'utf8')
        .trim()
        .split('\n')
        .map((l) => Number(l.split(' ')[1]))
    : [];
  rmSync(dir, { recursive: true, force: true });
  expect(run.status).not.toBe(0);
  expect(`${run.stdout}${run.stderr}`).toContain('this setup fails on purpose');
  expect(started).toHaveLength(1);
  expect(started.filter(alive)).toEqual([]);
}, 180_000);
