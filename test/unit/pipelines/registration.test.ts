// Registration stages' domain: where outputs land in the version, the next label, the report's
// checks, and the registration job's script run for real with bash over a folder standing for a
// site's storage root: its manifest must match what sha256sum and stat say of the copied files.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mediaTypeOf, nextVersionLabel, parseRegistrationReport, REGISTRATION_EXIT, registrationScript, registrationSources } from '../../../lambdas/domain/pipelines/registration';
import type { RegistrationStage, Stage } from '../../../lambdas/domain/pipelines/spec';

const job = (id: string, outputs: { name: string; path: string }[]): Stage => ({ id, kind: 'job', site: 'spc', resource: 'h200', allocationId: 'a', script: '#!/bin/bash\n', gpus: 1, nodes: 1, timeLimit: 5, inputs: [], outputs });
const reg = (outputs: { stage: string; output: string }[]): RegistrationStage => ({ id: 'register', kind: 'registration', artifact: 'ds-x', outputs });

describe('where outputs land in the version', () => {
  test("one producer: each output keeps its path under the producer's working area", () => {
    const declared = new Map([
      [
        'train',
        job('train', [
          { name: 'model', path: 'model.pt' },
          { name: 'logs', path: 'out/logs/' },
        ]),
      ],
    ]);

    expect(
      registrationSources(
        reg([
          { stage: 'train', output: 'model' },
          { stage: 'train', output: 'logs' },
        ]),
        declared,
      ),
    ).toEqual([
      { producer: 'train', outputPath: 'model.pt', as: 'model.pt' },
      { producer: 'train', outputPath: 'out/logs/', as: 'out/logs' },
    ]);
  });

  test("two producers: each one's outputs are kept apart under its stage id", () => {
    const declared = new Map([
      ['a', job('a', [{ name: 'o', path: 'out.txt' }])],
      ['b', job('b', [{ name: 'o', path: 'out.txt' }])],
    ]);

    expect(
      registrationSources(
        reg([
          { stage: 'a', output: 'o' },
          { stage: 'b', output: 'o' },
        ]),
        declared,
      ).map((s) => s.as),
    ).toEqual(['a/out.txt', 'b/out.txt']);
  });
});

describe('the next version label', () => {
  test.each([
    [[], '1.0.0'],
    [['1.0.0'], '1.1.0'],
    [['1.9.0', '1.10.0', '0.3.1'], '1.11.0'],
    [['2.0.3', 'not-a-label'], '2.1.0'],
  ])('after %j comes %s', (existing, next) => {
    expect(nextVersionLabel(existing)).toBe(next);
  });
});

describe("the registration job's report", () => {
  const sha = 'a'.repeat(64);

  test('a good report becomes files with media types from their extensions', () => {
    const r = parseRegistrationReport(`${sha}\t12\tmodel.pt\n${sha}\t0\tout/fields/a.csv\n`);

    expect(r).toEqual({
      problems: [],
      files: [
        { path: 'model.pt', bytes: 12, sha256: sha, mediaType: 'application/octet-stream' },
        { path: 'out/fields/a.csv', bytes: 0, sha256: sha, mediaType: 'text/csv' },
      ],
    });
  });

  test('every bad line is named by its number and field', () => {
    const r = parseRegistrationReport(`${sha}\t12\t../escape\nnot-a-sha\t-1\tok.txt\njust one field\n`);

    expect(r.problems).toEqual([
      { path: 'report[1].path', problem: expect.stringContaining('"..') },
      { path: 'report[2].sha256', problem: 'is not a SHA-256 digest' },
      { path: 'report[2].bytes', problem: 'is not a number of bytes' },
      { path: 'report[3]', problem: 'is not sha256<TAB>bytes<TAB>path' },
    ]);
  });

  test('an empty report is refused', () => {
    expect(parseRegistrationReport('').problems).toEqual([{ path: 'report', problem: 'lists no file' }]);
  });

  test.each([
    ['fields.nc', 'application/x-netcdf'],
    ['README.MD', 'text/markdown'],
    ['weights', 'application/octet-stream'],
  ])('%s is %s', (path, type) => {
    expect(mediaTypeOf(path)).toBe(type);
  });
});

describe('the registration job, run with bash', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kairr-register-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const work = (stage: string) => join(root, 'pipelines/pipe-x', stage);
  const run = (sources: { from: string; as: string }[]) => {
    const script = registrationScript({ registrationId: 'pipeline.pipe-x.register', label: 'ds-x@1.0.0', sources, destination: join(root, 'catalogue/ds-x/1.0.0'), reportFile: join(work('register'), '.kairr/registration.tsv') });
    const file = join(root, 'register.sh');
    writeFileSync(file, script);
    return spawnSync('bash', [file], { encoding: 'utf8' });
  };
  const sha256 = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

  test("copies a file and a folder into the version's folder; the manifest matches every copied file", () => {
    mkdirSync(join(work('sim'), 'out/fields/deep'), { recursive: true });
    writeFileSync(join(work('sim'), 'model.pt'), 'weights\n');
    writeFileSync(join(work('sim'), 'out/fields/a.csv'), 'x,y\n1,2\n');
    writeFileSync(join(work('sim'), 'out/fields/deep/결과 1.txt'), "it's\n");
    writeFileSync(join(work('sim'), 'not-an-output.tmp'), 'left alone\n');

    const r = run([
      { from: join(work('sim'), 'model.pt'), as: 'model.pt' },
      { from: join(work('sim'), 'out/fields'), as: 'out/fields' },
    ]);

    expect(r.status).toBe(0);
    expect(r.stdout).toContain('KAIRR-REGISTRATION-RESULT files=3');
    const report = parseRegistrationReport(readFileSync(join(work('register'), '.kairr/registration.tsv'), 'utf8'));
    expect(report.problems).toEqual([]);
    expect(report.files.map((f) => f.path)).toEqual(['model.pt', 'out/fields/a.csv', 'out/fields/deep/결과 1.txt']);
    for (const f of report.files) {
      const copy = join(root, 'catalogue/ds-x/1.0.0', f.path);
      expect({ path: f.path, sha256: f.sha256, bytes: f.bytes }).toEqual({ path: f.path, sha256: sha256(copy), bytes: readFileSync(copy).length });
    }
    expect(existsSync(join(root, 'catalogue/ds-x/1.0.0/not-an-output.tmp'))).toBe(false);
  });

  test('a missing output exits 66 and writes no report', () => {
    mkdirSync(work('sim'), { recursive: true });

    const r = run([{ from: join(work('sim'), 'model.pt'), as: 'model.pt' }]);

    expect(r.status).toBe(REGISTRATION_EXIT.missing);
    expect(r.stderr).toContain('model.pt is missing');
    expect(existsSync(join(work('register'), '.kairr/registration.tsv'))).toBe(false);
  });

  test('an output folder with no file exits 65', () => {
    mkdirSync(join(work('sim'), 'out'), { recursive: true });

    expect(run([{ from: join(work('sim'), 'out'), as: 'out' }]).status).toBe(REGISTRATION_EXIT.empty);
  });

  test('a rerun replaces what an earlier attempt left in the folder', () => {
    mkdirSync(work('sim'), { recursive: true });
    mkdirSync(join(root, 'catalogue/ds-x/1.0.0'), { recursive: true });
    writeFileSync(join(root, 'catalogue/ds-x/1.0.0/stale.bin'), 'from attempt 1\n');
    writeFileSync(join(work('sim'), 'model.pt'), 'weights 2\n');

    expect(run([{ from: join(work('sim'), 'model.pt'), as: 'model.pt' }]).status).toBe(0);
    expect(parseRegistrationReport(readFileSync(join(work('register'), '.kairr/registration.tsv'), 'utf8')).files.map((f) => f.path)).toEqual(['model.pt']);
  });
});
