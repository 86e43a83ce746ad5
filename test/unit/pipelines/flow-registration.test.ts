// Registration stages on the deployed flow (statemachines/pipeline.asl.json through the local Step
// Functions service), with the sites' work done for real on this machine: each site's storage root
// is a folder of its own, every dispatched script (the examples' toy jobs, the registration job,
// the transfer job with rsync through the source's read-only daemon) runs with bash when the fake
// scheduler "runs" it, and its exit code is the job's. The registered versions' manifests must be
// the files' own SHA-256 and sizes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { loadExample } from '../../../examples/pipelines/body';
import { readManifest, readVersionWithLocations, registerSiteVersion, versionLabels } from '../../../lambdas/datahub/index';
import { runIdFor } from '../../../lambdas/domain/lineage/events';
import { eventsOfRun } from '../../../lambdas/lineage/store';
import { startRsyncDaemon, type RsyncDaemon } from '../../support/rsyncd';
import { openTree } from '../../support/transfer-fixtures';
import { api, OWNER } from './api-support';
import { arnOf, create, read, runningJob, useFlowWorld } from './flow-support';

const base = mkdtempSync(join(tmpdir(), 'kairr-flow-reg-'));
const roots = { spc: join(base, 'spc'), kisti6: join(base, 'kisti6') };
const daemons: RsyncDaemon[] = [];
const endpoints: Record<string, string> = {};
beforeAll(async () => {
  for (const [site, root] of Object.entries(roots)) {
    mkdirSync(root, { recursive: true });
    openTree(base);
    const d = await startRsyncDaemon(root, site);
    daemons.push(d);
    endpoints[site] = d.url;
  }
});
const w = useFlowWorld(() => ({
  pollSeconds: 10,
  storage: Object.fromEntries(Object.entries(roots).map(([site, root]) => [site, { root, endpoint: endpoints[site], reportMount: root, mover: { kind: 'rsync', timeLimitMinutes: 5 } }])),
}));
afterAll(async () => {
  for (const d of daemons) await d.stop();
  rmSync(base, { recursive: true, force: true });
});

const VARS = { SPC_ALLOCATION: 'alloc-spc', KISTI6_ALLOCATION: 'alloc-k6', MODEL_ARTIFACT: 'model-weather', ANALYSIS_ARTIFACT: 'ds-analysis', DATASET_ARTIFACT: 'ds-analysis' };

/** The site runs the stage's job: its script with bash, in its working directory; the exit code ends the job. */
async function runAtSite(pipelineId: string, stage: string) {
  const j = await runningJob(w, pipelineId, stage);
  const file = join(base, `${j.schedulerJobId}.sh`);
  writeFileSync(file, j.job.req.script);
  openTree(base);
  const cwd = j.job.req.workingDirectory;
  if (cwd) mkdirSync(cwd, { recursive: true });
  const r = spawnSync('bash', [file], { encoding: 'utf8', cwd: cwd ?? base, env: { PATH: process.env.PATH, HOME: base } });
  const exit = r.status ?? 1;
  w.sites.end(j.site, j.schedulerJobId, exit === 0 ? 'COMPLETED' : 'FAILED', exit);
  return { ...j, exit, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under a folder with its SHA-256 and size, as the manifest should list them. */
function filesOf(dir: string): { path: string; bytes: number; sha256: string }[] {
  const out: { path: string; bytes: number; sha256: string }[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push({ path: relative(dir, p), bytes: statSync(p).size, sha256: createHash('sha256').update(readFileSync(p)).digest('hex') });
    }
  };
  walk(dir);
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

describe('registration stages on the flow', () => {
  test('KISTI-6 → SPC, the shipped example, to its end: simulate, register, move, train, register; each version is the files at its site', async () => {
    const p = await create(loadExample('kisti6-to-spc.json', VARS));
    expect(p.pipelineId).toMatch(/^pipe-/);

    const simulate = await runAtSite(p.pipelineId, 'simulate');
    const register = await runAtSite(p.pipelineId, 'register-data');
    const move = await runAtSite(p.pipelineId, 'move');
    const train = await runAtSite(p.pipelineId, 'train');
    const registerModel = await runAtSite(p.pipelineId, 'register-model');
    const done = await w.fx.sfn.executions.waitFor(arnOf(w, p.executionId), { timeoutMs: 15_000 });

    expect([simulate.exit, register.exit, move.exit, train.exit, registerModel.exit]).toEqual([0, 0, 0, 0, 0]);
    expect(done.status).toBe('SUCCEEDED');
    const after = await read(p.pipelineId);
    expect(Object.values(after.runs).map((r) => r.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const data = after.registered!['register-data'];
    const model = after.registered!['register-model'];
    // the registration job runs where the outputs are, under the producer's allocation, as the owner
    expect(register.site).toBe('kisti6');
    expect(register.job.req).toMatchObject({ user: 'alice', account: 'kairr_alloc_k6' });
    // the dataset: the simulation's ten fields, hashed at kisti6, its copy there verified
    const dataAtK6 = join(roots.kisti6, 'catalogue/ds-analysis', data.version);
    expect(filesOf(dataAtK6).map((f) => f.path)).toHaveLength(10);
    expect(await readManifest('ds-analysis', data.version)).toEqual(filesOf(dataAtK6));
    const hub = (await readVersionWithLocations('ds-analysis', data.version))!;
    expect(hub.version).toMatchObject({ state: 'draft', createdBy: OWNER.sub, registeredBy: `pipeline.${p.pipelineId}.register-data`, files: 10, derivedFrom: [] });
    // the transfer's copy at spc is verified too, and the stage shows the bytes it moved
    expect(hub.locations.map((l) => [l.siteId, l.state, l.path]).sort()).toEqual([
      ['kisti6', 'verified', `catalogue/ds-analysis/${data.version}`],
      ['spc', 'verified', `catalogue/ds-analysis/${data.version}`],
    ]);
    expect(after.runs.move.bytesMoved).toBe(hub.version.bytes);
    expect(filesOf(join(roots.spc, 'catalogue/ds-analysis', data.version))).toEqual(filesOf(dataAtK6));
    // the training read the moved copy at spc; the model is derived from the dataset
    expect(train.job.req.script).toContain(`export KAIRR_INPUT_DATA='${roots.spc}/catalogue/ds-analysis/${data.version}'`);
    expect(readFileSync(join(roots.spc, 'catalogue/model-weather', model.version, 'model.pt'), 'utf8')).toContain('trained on: 10 files');
    const modelHub = (await readVersionWithLocations('model-weather', model.version))!;
    expect(modelHub.version.derivedFrom).toEqual([{ artifactId: 'ds-analysis', version: data.version }]);
    expect(await readManifest('model-weather', model.version)).toEqual(filesOf(join(roots.spc, 'catalogue/model-weather', model.version)));
    // lineage: the registration's COMPLETE names the version's copy at kisti6
    const events = await eventsOfRun(runIdFor(`${p.executionId}/register-data/1`));
    expect(events.find((e) => e.eventType === 'COMPLETE')).toMatchObject({
      job: { namespace: 'kairr://catalogue' },
      outputs: [{ namespace: 'file://kisti6', name: dataAtK6, facets: { symlinks: { identifiers: [{ name: `ds-analysis@${data.version}` }] } } }],
    });
  });

  test('a registration whose output is missing fails naming it; the retry registers the same version, once', async () => {
    const p = await create({
      name: 'register-twice',
      stages: [
        {
          id: 'make',
          kind: 'job',
          site: 'spc',
          resource: 'h200',
          allocationId: 'alloc-spc',
          script: '#!/bin/bash\n[ -f "$KAIRR_WORKDIR/go" ] && echo result > "$KAIRR_WORKDIR/result.txt"; exit 0\n',
          gpus: 1,
          timeLimit: 10,
          outputs: [{ name: 'result', path: 'result.txt' }],
        },
        { id: 'register', kind: 'registration', artifact: 'ds-analysis', outputs: [{ stage: 'make', output: 'result' }] },
      ],
    });
    await runAtSite(p.pipelineId, 'make');
    const first = await runAtSite(p.pipelineId, 'register');
    const failed = await w.fx.sfn.executions.waitFor(arnOf(w, p.executionId), { timeoutMs: 15_000 });
    const label = (await read(p.pipelineId)).registered!.register.version;

    expect(first.exit).toBe(66);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Pipeline.StageFailed' });
    expect((await read(p.pipelineId)).stoppedAt).toMatchObject({ stage: 'register', error: { code: 'output_missing' } });
    expect(await readVersionWithLocations('ds-analysis', label)).toBeNull();

    // the output appears; the pipeline is retried from the failed stage
    writeFileSync(join(roots.spc, 'pipelines', p.pipelineId, 'make/result.txt'), 'result\n');
    const retried = await api(OWNER, 'POST', `/v1/pipelines/${p.pipelineId}/retry`);
    const second = await runAtSite(p.pipelineId, 'register');
    const done = await w.fx.sfn.executions.waitFor(arnOf(w, retried.body.executionId), { timeoutMs: 15_000 });

    expect(second.exit).toBe(0);
    expect(done.status).toBe('SUCCEEDED');
    const after = await read(p.pipelineId);
    expect(after.registered!.register.version).toBe(label);
    expect(after.runs.register).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect(second.job.req.script).toContain(`catalogue/ds-analysis/${label}`);
    expect((await readVersionWithLocations('ds-analysis', label))!.version).toMatchObject({ registeredBy: `pipeline.${p.pipelineId}.register`, files: 1 });
  });

  test('the data hub registers a stage once: the same stage again answers its version; another stage taking the label is refused', async () => {
    const ctx = { actor: { sub: OWNER.sub, role: 'researcher' as const }, requestId: 'jest' };
    const input = {
      artifactId: 'model-weather',
      version: '9.0.0',
      registeredBy: 'pipeline.pipe-x.register',
      changelog: 'jest',
      derivedFrom: [],
      files: [{ path: 'model.pt', bytes: 3, sha256: 'b'.repeat(64), mediaType: 'application/octet-stream' }],
      siteId: 'spc',
      path: 'catalogue/model-weather/9.0.0',
    };

    const first = await registerSiteVersion(input, ctx);
    const again = await registerSiteVersion(input, ctx);
    const other = registerSiteVersion({ ...input, registeredBy: 'pipeline.pipe-y.register' }, ctx);

    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.version).toEqual(first.version);
    await expect(other).rejects.toMatchObject({ status: 409, code: 'version_exists' });
    expect((await versionLabels('model-weather')).filter((v) => v === '9.0.0')).toHaveLength(1);
    expect((await readVersionWithLocations('model-weather', '9.0.0'))!.locations).toHaveLength(1);
  });
});
