// kairr pipeline create | show | list | cancel | retry, against a fake API held to the pipelines
// routes' own schemas: every body the CLI sends must pass the route's strict body (or query)
// schema, and every answer the fake gives must be what the route promises (lambdas/pipelines/api.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE_STATES as DOMAIN_PIPELINE_STATES } from '../../lambdas/domain/pipelines/state';
import { pipelinesApi } from '../../lambdas/pipelines/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { PIPELINE_STATES } from '../src/pipeline-schemas';
import { fakeApi, kairr, type Recorded } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const ID = `pipe-${'0'.repeat(25)}a`;
const K6 = `alloc-${'k'.repeat(26)}`;
const SPC = `alloc-${'s'.repeat(26)}`;
const route = (name: keyof typeof pipelinesApi) => (pipelinesApi as Record<string, RouteSpec>)[name];

/** Throws (so the fake answers 500 and the test fails) unless the answer is what the route promises. */
function answer(name: keyof typeof pipelinesApi, status: number, body: unknown): [number, unknown] {
  const parsed = route(name).responses[status].schema!.safeParse(body);
  if (!parsed.success) throw new Error(`${name} ${status} answer: ${JSON.stringify(parsed.error.issues)}`);
  return [status, body];
}
const bodyOk = (name: keyof typeof pipelinesApi, r: Recorded) => {
  const parsed = route(name).body!.safeParse(r.body);
  if (!parsed.success) throw new Error(`${name} body: ${JSON.stringify(parsed.error.issues)}`);
};
const queryOk = (name: keyof typeof pipelinesApi, r: Recorded) => {
  const parsed = route(name).query!.safeParse(Object.fromEntries(new URL(r.url).searchParams));
  if (!parsed.success) throw new Error(`${name} query: ${JSON.stringify(parsed.error.issues)}`);
};

// The document as pipeline.yaml holds it (below), and as the CLI must send it.
const DOC = {
  name: 'simulate-then-train',
  description: 'Simulate at KISTI-6, train at SPC',
  stages: [
    { id: 'simulate', kind: 'job', site: 'kisti6', resource: 'gh200', allocationId: K6, script: '#!/bin/bash\n./simulate --out out/fields/\n', gpus: 4, timeLimit: 60, outputs: [{ name: 'fields', path: 'out/fields/' }] },
    { id: 'register-data', kind: 'registration', artifact: 'ds-sim', outputs: [{ stage: 'simulate', output: 'fields' }] },
    { id: 'move', kind: 'transfer', from: 'kisti6', to: 'spc', items: [{ stage: 'register-data' }] },
    {
      id: 'train',
      kind: 'job',
      site: 'spc',
      resource: 'b200',
      allocationId: SPC,
      script: '#!/bin/bash\n./train\n',
      gpus: 4,
      timeLimit: 120,
      inputs: [{ from: { stage: 'register-data' }, as: 'data' }],
      outputs: [{ name: 'model', path: 'model.pt' }],
    },
    { id: 'register-model', kind: 'registration', artifact: 'model-weather', outputs: [{ stage: 'train', output: 'model' }] },
  ],
};
const YAML = `name: simulate-then-train
description: Simulate at KISTI-6, train at SPC
stages:
  - id: simulate
    kind: job
    site: kisti6
    resource: gh200
    allocationId: ${K6}
    script: |
      #!/bin/bash
      ./simulate --out out/fields/
    gpus: 4
    timeLimit: 60
    outputs: [{ name: fields, path: out/fields/ }]
  - { id: register-data, kind: registration, artifact: ds-sim, outputs: [{ stage: simulate, output: fields }] }
  - { id: move, kind: transfer, from: kisti6, to: spc, items: [{ stage: register-data }] }
  - id: train
    kind: job
    site: spc
    resource: b200
    allocationId: ${SPC}
    script: "#!/bin/bash\\n./train\\n"
    gpus: 4
    timeLimit: 120
    inputs: [{ from: { stage: register-data }, as: data }]
    outputs: [{ name: model, path: model.pt }]
  - { id: register-model, kind: registration, artifact: model-weather, outputs: [{ stage: train, output: model }] }
`;
const dir = mkdtempSync(join(tmpdir(), 'kairr-pipeline-test-'));
const FILE = join(dir, 'pipeline.yaml');
writeFileSync(FILE, YAML);

// The pipeline as the API shows it, stage by stage (what lambdas/pipelines/views.ts builds).
const job = (attempt: number, site: string, c: string, scheduler: string) => ({ attempt, site, jobId: `job-${c.repeat(26)}`, schedulerJobId: scheduler });
const STAGES = {
  simulate: { id: 'simulate', kind: 'job', site: 'kisti6', dependsOn: [], allocationId: K6, resource: 'gh200' },
  'register-data': { id: 'register-data', kind: 'registration', site: 'kisti6', dependsOn: ['simulate'], allocationId: K6, resource: 'gh200' },
  move: { id: 'move', kind: 'transfer', site: 'spc', dependsOn: ['register-data'], allocationId: SPC, resource: 'b200' },
  train: { id: 'train', kind: 'job', site: 'spc', dependsOn: ['move'], allocationId: SPC, resource: 'b200' },
  'register-model': { id: 'register-model', kind: 'registration', site: 'spc', dependsOn: ['train'], allocationId: SPC, resource: 'b200' },
} as const;
type StageName = keyof typeof STAGES;
const pending = { state: 'pending', attempt: 1, jobs: [] };
const done = (c: string, scheduler: string, site: string, from: string, to: string, more: object = {}) => ({ state: 'succeeded', attempt: 1, startedAt: from, endedAt: to, jobs: [job(1, site, c, scheduler)], ...more });
const SIMULATED = done('1', '4241', 'kisti6', '2026-12-03T10:00:05.123Z', '2026-12-03T10:15:00.000Z');
const REGISTERED = done('2', '4242', 'kisti6', '2026-12-03T10:15:10.000Z', '2026-12-03T10:20:00.000Z', { registered: { artifact: 'ds-sim', version: '1.1.0' } });
const MOVED = done('3', '9001', 'spc', '2026-12-03T10:20:10.000Z', '2026-12-03T10:25:00.000Z', { bytesMoved: 123456789 });
const TRAIN_ERROR = { code: 'job_failed', message: 'the job ended FAILED with exit code 1' };

function pipeline(state: string, runs: Partial<Record<StageName, object>>, more: object = {}) {
  return {
    pipelineId: ID,
    name: DOC.name,
    description: DOC.description,
    owner: 'sub-alice',
    state,
    cancelRequested: false,
    run: 1,
    executionId: `${ID}-r1`,
    createdAt: '2026-12-03T10:00:00.000Z',
    updatedAt: '2026-12-03T10:00:00.000Z',
    stages: (Object.keys(STAGES) as StageName[]).map((s) => ({ ...STAGES[s], ...pending, ...runs[s] })),
    ...more,
  };
}
const CREATED = pipeline('pending', {});
const RUNNING = pipeline('running', { simulate: { state: 'running', attempt: 1, startedAt: '2026-12-03T10:00:05.123Z', jobs: [job(1, 'kisti6', '1', '4241')] } });
const RUNNING_2 = pipeline('running', { simulate: SIMULATED, 'register-data': { state: 'running', attempt: 1, startedAt: '2026-12-03T10:15:10.000Z', jobs: [job(1, 'kisti6', '2', '4242')] } });
const SUCCEEDED = pipeline(
  'succeeded',
  {
    simulate: SIMULATED,
    'register-data': REGISTERED,
    move: MOVED,
    train: done('4', '9002', 'spc', '2026-12-03T10:25:10.000Z', '2026-12-03T11:25:00.000Z'),
    'register-model': done('5', '9003', 'spc', '2026-12-03T11:25:10.000Z', '2026-12-03T11:30:00.000Z', { registered: { artifact: 'model-weather', version: '1.0.0' } }),
  },
  { endedAt: '2026-12-03T11:30:00.000Z' },
);
const FAILED = pipeline(
  'failed',
  {
    simulate: SIMULATED,
    'register-data': REGISTERED,
    move: MOVED,
    train: { state: 'failed', attempt: 1, startedAt: '2026-12-03T10:25:10.000Z', endedAt: '2026-12-03T10:40:00.000Z', jobs: [job(1, 'spc', '4', '9002')], error: TRAIN_ERROR },
    'register-model': { state: 'skipped', attempt: 1, endedAt: '2026-12-03T10:40:00.000Z', jobs: [], error: { code: 'skipped', message: 'not started: stage "train" failed' } },
  },
  { stoppedAt: { stage: 'train', state: 'failed', error: TRAIN_ERROR }, endedAt: '2026-12-03T10:40:00.000Z' },
);
const OTHER = { ...CREATED, pipelineId: `pipe-${'0'.repeat(25)}b`, name: 'analyse-only' };
const CANCEL = {
  pipeline: { ...RUNNING_2, state: 'cancelling', cancelRequested: true, stages: RUNNING_2.stages.map((s) => (s.state === 'pending' ? { ...s, state: 'cancelled', error: { code: 'cancelled', message: 'cancelled before it started' } } : s)) },
  cancelledAtSites: [{ stage: 'register-data', jobId: `job-${'2'.repeat(26)}`, result: 'cancelled' }],
};
const RETRIED = pipeline(
  'running',
  { simulate: SIMULATED, 'register-data': REGISTERED, move: MOVED, train: { state: 'running', attempt: 2, startedAt: '2026-12-03T12:00:00.000Z', jobs: [job(1, 'spc', '4', '9002'), job(2, 'spc', '6', '9010')] } },
  { run: 2, executionId: `${ID}-r2` },
);

/** A GET /v1/pipelines/{id} that answers these in turn (the last one again and again). */
const inTurn = (...views: object[]) => {
  let i = 0;
  return () => answer('getPipeline', 200, views[Math.min(i++, views.length - 1)]);
};

it('the fake answers and the document are what the routes promise; the CLI knows the domain states', () => {
  expect(route('createPipeline').body!.safeParse(DOC).success).toBe(true);
  for (const [name, status, body] of [
    ['createPipeline', 201, CREATED],
    ['getPipeline', 200, RUNNING],
    ['getPipeline', 200, RUNNING_2],
    ['getPipeline', 200, SUCCEEDED],
    ['getPipeline', 200, FAILED],
    ['listPipelines', 200, { items: [FAILED, OTHER], nextToken: 'tok-2' }],
    ['cancelPipeline', 200, CANCEL],
    ['retryPipeline', 200, RETRIED],
  ] as const)
    expect(() => answer(name, status, body)).not.toThrow();
  expect(PIPELINE_STATES).toEqual(DOMAIN_PIPELINE_STATES);
});

it('create -f pipeline.yaml sends the parsed document with an Idempotency-Key (a new one per invocation) and prints the id and state', async () => {
  const api = fakeApi({ 'POST /v1/pipelines': (rec) => (bodyOk('createPipeline', rec), answer('createPipeline', 201, CREATED)) });
  const r = await kairr(['pipeline', 'create', '-f', FILE], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(api.calls).toHaveLength(1);
  expect(api.calls[0].body).toEqual(DOC);
  expect(api.calls[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  expect(r.out).toMatch(new RegExp(`^pipeline:\\s+${ID}$`, 'm'));
  expect(r.out).toMatch(/^state:\s+pending$/m);
  expect(r.out).toMatch(/^STAGE\s+KIND\s+SITE\s+STATE\s+TRY\s+JOB\s+SCHEDULER\s+STARTED\s+ENDED\s+BYTES$/m);
  const again = await kairr(['pipeline', 'create', '-f', '-'], { env, fetch: api.fetch, stdin: YAML });
  expect(again.code).toBe(0);
  expect(api.calls[1].body).toEqual(DOC);
  expect(api.calls[1].headers['idempotency-key']).not.toBe(api.calls[0].headers['idempotency-key']);
});

it('create --wait follows the pipeline to succeeded, exit 0, progress on stderr only on a terminal', async () => {
  for (const tty of [true, false]) {
    const api = fakeApi({ 'POST /v1/pipelines': answer('createPipeline', 201, CREATED), [`GET /v1/pipelines/${ID}`]: inTurn(RUNNING, RUNNING_2, SUCCEEDED) });
    const r = await kairr(['pipeline', 'create', '-f', FILE, '--wait', '--poll', '1'], { env, fetch: api.fetch, tty });
    expect(r.code).toBe(0);
    expect(api.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`)).toEqual(['POST /v1/pipelines', ...Array(3).fill(`GET /v1/pipelines/${ID}`)]);
    expect(r.out).toMatch(/^state:\s+succeeded$/m);
    expect(r.out).toContain('register-model: registers model-weather@1.0.0');
    if (tty) {
      expect(r.err).toContain(`${ID}: pending\n`);
      expect(r.err).toContain(`${ID}: stage simulate running (kisti6 job-${'1'.repeat(26)})\n`);
      expect(r.err).toContain(`${ID}: stage simulate succeeded`);
      expect(r.err.trim().split('\n').at(-1)).toBe(`${ID}: succeeded`);
    } else expect(r.err).toBe('');
  }
});

it('create --wait to failed: exit 1, the stage that stopped it and the cause printed', async () => {
  const api = fakeApi({ 'POST /v1/pipelines': answer('createPipeline', 201, CREATED), [`GET /v1/pipelines/${ID}`]: inTurn(RUNNING, FAILED) });
  const r = await kairr(['pipeline', 'create', '-f', FILE, '--wait'], { env, fetch: api.fetch });
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/^state:\s+failed$/m);
  expect(r.out).toMatch(/^stopped at:\s+stage train \(failed\)$/m);
  expect(r.out).toMatch(/^cause:\s+job_failed: the job ended FAILED with exit code 1$/m);
  expect(r.out).toContain('register-model: skipped: not started: stage "train" failed');
  expect(r.err).toBe('');
});

it("show: one pipeline and a table of its stages' state, site, job, times and bytes; a failed one is read with exit 0 unless --wait", async () => {
  const api = fakeApi({ [`GET /v1/pipelines/${ID}`]: answer('getPipeline', 200, FAILED) });
  const r = await kairr(['pipeline', 'show', ID], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  const lines = r.out.split('\n');
  const header = lines.findIndex((l) => l.startsWith('STAGE'));
  expect(lines[header]).toMatch(/^STAGE\s+KIND\s+SITE\s+STATE\s+TRY\s+JOB\s+SCHEDULER\s+STARTED\s+ENDED\s+BYTES$/);
  const row = (stage: string) => lines[header + 1 + Object.keys(STAGES).indexOf(stage)].split(/\s{2,}/);
  expect(row('simulate')).toEqual(['simulate', 'job', 'kisti6/gh200', 'succeeded', '1', `job-${'1'.repeat(26)}`, '4241', '2026-12-03T10:00:05Z', '2026-12-03T10:15:00Z', '-']);
  expect(row('move')).toEqual(['move', 'transfer', 'spc/b200', 'succeeded', '1', `job-${'3'.repeat(26)}`, '9001', '2026-12-03T10:20:10Z', '2026-12-03T10:25:00Z', '123456789']);
  expect(row('train')).toEqual(['train', 'job', 'spc/b200', 'failed', '1', `job-${'4'.repeat(26)}`, '9002', '2026-12-03T10:25:10Z', '2026-12-03T10:40:00Z', '-']);
  expect(row('register-model')).toEqual(['register-model', 'registration', 'spc/b200', 'skipped', '1', '-', '-', '-', '2026-12-03T10:40:00Z', '-']);
  expect(r.out).toContain('register-data: registers ds-sim@1.1.0');
  expect(r.out).toContain('train: job_failed: the job ended FAILED with exit code 1');
  // --wait on a pipeline that has ended asks once and exits as it ended
  const w = await kairr(['pipeline', 'show', ID, '--wait'], { env, fetch: api.fetch });
  expect(w.code).toBe(1);
  expect(api.calls).toHaveLength(2);
});

it("show: a retried stage shows its current attempt's job, not the failed one's", async () => {
  const api = fakeApi({ [`GET /v1/pipelines/${ID}`]: answer('getPipeline', 200, RETRIED) });
  const r = await kairr(['pipeline', 'show', ID], { env, fetch: api.fetch });
  expect(r.out).toMatch(new RegExp(`^train\\s+job\\s+spc/b200\\s+running\\s+2\\s+job-${'6'.repeat(26)}\\s+9010\\s`, 'm'));
  expect(r.out).not.toContain(`job-${'4'.repeat(26)}`);
});

it('list: one page with the next token, limit and token sent as the route takes them; --state filters the page and is not sent', async () => {
  const api = fakeApi({ 'GET /v1/pipelines': (rec) => (queryOk('listPipelines', rec), answer('listPipelines', 200, { items: [FAILED, OTHER], nextToken: 'tok-2' })) });
  const r = await kairr(['pipeline', 'list', '--limit', '2', '--next-token', 'tok-1'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  const q = new URL(api.calls[0].url).searchParams;
  expect([q.get('limit'), q.get('nextToken')]).toEqual(['2', 'tok-1']);
  const lines = r.out.trim().split('\n');
  expect(lines[0]).toMatch(/^PIPELINE\s+STATE\s+NAME\s+RUN\s+DONE\s+STOPPED AT\s+CREATED$/);
  expect(lines[1].split(/\s{2,}/)).toEqual([ID, 'failed', 'simulate-then-train', '1', '3/5', 'train', '2026-12-03T10:00:00Z']);
  expect(lines[2]).toMatch(/^pipe-0+b\s+pending\s+analyse-only\s+1\s+0\/5\s+-\s/);
  expect(lines.at(-1)).toBe('(more: --next-token tok-2)');
  const f = await kairr(['pipeline', 'list', '--state', 'pending', '--json'], { env, fetch: api.fetch });
  expect(f.code).toBe(0);
  expect([...new URL(api.calls[1].url).searchParams.keys()]).toEqual([]);
  expect(JSON.parse(f.out)).toEqual({ items: [OTHER], nextToken: 'tok-2' });
});

it('cancel: POST .../cancel with no body; the pipeline and what each site said', async () => {
  const api = fakeApi({ [`POST /v1/pipelines/${ID}/cancel`]: answer('cancelPipeline', 200, CANCEL) });
  const r = await kairr(['pipeline', 'cancel', ID], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(api.calls[0].body).toBeUndefined();
  expect(r.out).toMatch(/^state:\s+cancelling$/m);
  expect(r.out).toMatch(/^train\s+job\s+spc\/b200\s+cancelled\s/m);
  expect(r.out).toMatch(new RegExp(`At the sites:\\nSTAGE\\s+JOB\\s+RESULT\\nregister-data\\s+job-${'2'.repeat(26)}\\s+cancelled\\n`));
  const json = await kairr(['pipeline', 'cancel', ID, '--json'], { env, fetch: api.fetch });
  expect(JSON.parse(json.out)).toEqual(CANCEL);
});

it("retry: POST .../retry; the next run shown; a pipeline that cannot be retried is the API's 409, exit 1", async () => {
  const api = fakeApi({ [`POST /v1/pipelines/${ID}/retry`]: answer('retryPipeline', 200, RETRIED) });
  const r = await kairr(['pipeline', 'retry', ID], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  expect(api.calls[0].method).toBe('POST');
  expect(r.out).toMatch(/^run:\s+2$/m);
  expect(r.out).toMatch(/^state:\s+running$/m);
  const refused = fakeApi({ [`POST /v1/pipelines/${ID}/retry`]: answer('retryPipeline', 409, { error: { code: 'pipeline_not_retryable', message: 'Only a failed or cancelled pipeline can be retried', details: [] } }) });
  const no = await kairr(['pipeline', 'retry', ID], { env, fetch: refused.fetch });
  expect(no.code).toBe(1);
  expect(no.err).toContain('Only a failed or cancelled pipeline can be retried (pipeline_not_retryable, HTTP 409)');
});

it("create: the API's 400 prints every named field, exit 1", async () => {
  const invalid = {
    error: {
      code: 'validation_failed',
      message: 'The pipeline is invalid: 2 problems (see details)',
      details: [
        { path: 'stages[3].inputs[0].from.stage', problem: 'names stage "trian", which is not in this pipeline' },
        { path: 'stages[3].resource', problem: `is not in allocation ${SPC} (it holds: spc/h200)` },
      ],
    },
  };
  const api = fakeApi({ 'POST /v1/pipelines': answer('createPipeline', 400, invalid) });
  const r = await kairr(['pipeline', 'create', '-f', FILE, '--wait'], { env, fetch: api.fetch });
  expect(r.code).toBe(1);
  expect(r.err).toContain('error: The pipeline is invalid: 2 problems (see details) (validation_failed, HTTP 400)');
  expect(r.err).toContain('  stages[3].inputs[0].from.stage: names stage "trian", which is not in this pipeline');
  expect(r.err).toContain(`  stages[3].resource: is not in allocation ${SPC}`);
  expect(r.out).toBe('');
  expect(api.calls).toHaveLength(1);
});

it('usage errors exit 2 naming the flag, before any request', async () => {
  const api = fakeApi({});
  const notYaml = join(dir, 'list.yaml');
  writeFileSync(notYaml, '- a\n- b\n');
  const noStages = join(dir, 'nostages.yaml');
  writeFileSync(noStages, 'name: x\n');
  for (const [args, named] of [
    [['create', '-f', FILE, '--wiat'], '--wiat'],
    [['create'], '--file'],
    [['create', '-f', FILE, '--wait', '--poll', '0'], '--poll'],
    [['list', '--state', 'done'], '--state'],
    [['list', '--limit', 'ten'], '--limit'],
    [['show'], 'id'],
    [['create', '-f', join(dir, 'missing.yaml')], 'missing.yaml'],
    [['create', '-f', notYaml], 'mapping'],
    [['create', '-f', noStages], 'name and stages'],
  ] as const) {
    const r = await kairr(['pipeline', ...args], { env, fetch: api.fetch });
    expect({ args, code: r.code, named: r.err.includes(named) }).toEqual({ args, code: 2, named: true });
  }
  expect(api.calls).toHaveLength(0);
});

it("--json: the API's answer as it came, which parses against the route's schema", async () => {
  const api = fakeApi({ [`GET /v1/pipelines/${ID}`]: answer('getPipeline', 200, SUCCEEDED), 'GET /v1/pipelines': answer('listPipelines', 200, { items: [SUCCEEDED] }) });
  const show = await kairr(['pipeline', 'show', ID, '--json'], { env, fetch: api.fetch });
  expect(show.code).toBe(0);
  expect(route('getPipeline').responses[200].schema!.safeParse(JSON.parse(show.out)).success).toBe(true);
  expect(JSON.parse(show.out)).toEqual(SUCCEEDED);
  const list = await kairr(['pipeline', 'list', '--json'], { env, fetch: api.fetch });
  expect(route('listPipelines').responses[200].schema!.safeParse(JSON.parse(list.out)).success).toBe(true);
  expect(JSON.parse(list.out)).toEqual({ items: [SUCCEEDED] });
  const wait = fakeApi({ 'POST /v1/pipelines': answer('createPipeline', 201, CREATED), [`GET /v1/pipelines/${ID}`]: inTurn(RUNNING, SUCCEEDED) });
  const created = await kairr(['pipeline', 'create', '-f', FILE, '--wait', '--json'], { env, fetch: wait.fetch });
  expect(created.code).toBe(0);
  expect(JSON.parse(created.out)).toEqual(SUCCEEDED);
  const id = await kairr(['pipeline', 'create', '-f', FILE, '--query', 'pipelineId'], { env, fetch: wait.fetch });
  expect(id.out).toBe(`${ID}\n`);
});
