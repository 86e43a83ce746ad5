// The pipelines' API in-process on DynamoDB Local, with the local Step Functions service: create
// (validated, idempotent, its run started once), read, list, cancel, retry; each role both ways.
import { moveStage } from '../../../lambdas/domain/pipelines/state';
import { mutatePipeline } from '../../../lambdas/pipelines/store';
import { auditEvents } from '../../support/invoke';
import { ADMIN, api, kistiToSpcBody, newKey, OTHER, OWNER, pipelinesFixture, twoJobsBody, type PipelinesFixture } from './api-support';

let fx: PipelinesFixture;
beforeAll(async () => {
  fx = await pipelinesFixture();
});
afterAll(async () => fx?.stop());

const executionsNamed = (name: string) => fx.sfn.executions.list({ stateMachineArn: fx.machineArn }).filter((e) => e.name === name);
const create = (body: unknown = kistiToSpcBody(), key = newKey()) => api(OWNER, 'POST', '/v1/pipelines', body, { 'idempotency-key': key });

describe('create', () => {
  test('a valid pipeline is created with every stage pending, and its first run is started', async () => {
    const res = await create();

    expect(res.body.error).toBeUndefined();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'simulate-then-train', owner: OWNER.sub, state: 'pending', run: 1, cancelRequested: false });
    expect(res.body.pipelineId).toMatch(/^pipe-[0-9a-z]{26}$/);
    expect(res.body.executionId).toBe(`${res.body.pipelineId}-r1`);
    expect(res.body.stages.map((s: { id: string; state: string }) => [s.id, s.state])).toEqual([
      ['simulate', 'pending'],
      ['register-data', 'pending'],
      ['move', 'pending'],
      ['train', 'pending'],
      ['register-model', 'pending'],
    ]);
    expect(res.body.stages.find((s: { id: string }) => s.id === 'train')).toMatchObject({ site: 'spc', allocationId: 'alloc-spc', dependsOn: ['register-data', 'move'] });
    expect(executionsNamed(res.body.executionId)).toHaveLength(1);
    const events = (await auditEvents('pipeline.create')).filter((e) => e.stream === `pipeline/${res.body.pipelineId}`);
    expect(events).toHaveLength(1);
    // the stage items are recorded by the create's event (their digests), scripts and all
    expect(events[0].details.created).toHaveLength(5);
  });

  test('a retry with the same Idempotency-Key answers as the first did: one pipeline, one run', async () => {
    const key = newKey();
    const first = await create(twoJobsBody(), key);
    const again = await create(twoJobsBody(), key);

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.pipelineId).toBe(first.body.pipelineId);
    const mine = (await api(OWNER, 'GET', '/v1/pipelines?limit=200')).body.items.filter((p: { name: string }) => p.name === 'two-jobs');
    expect(mine.filter((p: { pipelineId: string }) => p.pipelineId === first.body.pipelineId)).toHaveLength(1);
    expect(executionsNamed(first.body.executionId)).toHaveLength(1);
  });

  test('two concurrent creates with one key make one pipeline', async () => {
    const key = newKey();
    const [a, b] = await Promise.all([create(twoJobsBody(), key), create(twoJobsBody(), key)]);

    expect([a.status, b.status].sort()).toEqual([200, 201]);
    expect(a.body.pipelineId).toBe(b.body.pipelineId);
  });

  test('the same key with another body is refused (409 idempotency_key_reused)', async () => {
    const key = newKey();
    await create(twoJobsBody(), key);
    const other = await create({ ...twoJobsBody(), name: 'renamed' }, key);

    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: 'idempotency_key_reused', details: [{ path: 'headers.Idempotency-Key' }] });
  });

  test('without an Idempotency-Key: 400 naming the header, and nothing is created', async () => {
    const before = (await api(OWNER, 'GET', '/v1/pipelines?limit=200')).body.items.length;
    const res = await api(OWNER, 'POST', '/v1/pipelines', twoJobsBody());

    expect(res.status).toBe(400);
    expect(res.body.error.details).toEqual([{ path: 'headers.Idempotency-Key', problem: expect.stringMatching(/required/) }]);
    expect((await api(OWNER, 'GET', '/v1/pipelines?limit=200')).body.items.length).toBe(before);
  });

  test('a malformed body: 400 naming each field (never a 500)', async () => {
    const body = kistiToSpcBody() as { stages: Record<string, unknown>[] };
    body.stages[0] = { ...body.stages[0], gpus: 'four', colour: 'red' };
    const res = await create(body);
    const notJson = await api(OWNER, 'POST', '/v1/pipelines', undefined, { 'idempotency-key': newKey() });

    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['stages[0].gpus']));
    expect(JSON.stringify(res.body.error.details)).toMatch(/colour/);
    expect(notJson.status).toBe(400);
    expect(notJson.body.error.details[0].path).toBe('body');
  });

  test("the world's problems are all named at once: an unknown stage, a resource not in the allocation, someone else's allocation", async () => {
    const body = kistiToSpcBody() as { stages: Record<string, unknown>[] };
    body.stages[3] = { ...body.stages[3], resource: 'h100', inputs: [{ from: { stage: 'trian', output: 'model' }, as: 'data' }] };
    body.stages[0] = { ...body.stages[0], allocationId: 'alloc-bob' };
    const res = await create(body);

    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    const byPath = Object.fromEntries(res.body.error.details.map((d: { path: string; problem: string }) => [d.path, d.problem]));
    expect(byPath['stages[3].inputs[0].from.stage']).toMatch(/"trian", which is not in this pipeline/);
    expect(byPath['stages[0].allocationId']).toMatch(/alloc-bob/);
    expect(Object.keys(byPath).some((p) => p.startsWith('stages[3].resource'))).toBe(true);
  });

  test('an input version the caller cannot see, or that does not exist, is named', async () => {
    const body = kistiToSpcBody() as { stages: Record<string, unknown>[] };
    body.stages[0] = { ...body.stages[0], inputs: [{ from: { artifact: 'ds-climate', version: '9.9.9' }, as: 'climate' }] };
    const res = await create(body);

    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: { path: string }) => d.path)).toContain('stages[0].inputs[0].from');
  });

  test('only researchers create (an admin gets 403)', async () => {
    const res = await api(ADMIN, 'POST', '/v1/pipelines', twoJobsBody(), { 'idempotency-key': newKey() });
    expect(res.status).toBe(403);
  });
});

describe('read and list', () => {
  let id: string;
  beforeAll(async () => {
    id = (await create()).body.pipelineId;
  });

  test('the owner reads it, with each stage as submitted', async () => {
    const res = await api(OWNER, 'GET', `/v1/pipelines/${id}`);

    expect(res.status).toBe(200);
    expect(res.body.stages[0]).toMatchObject({ id: 'simulate', state: 'pending', attempt: 1, jobs: [], spec: { kind: 'job', script: expect.stringMatching(/^#!/) } });
  });

  test('another researcher gets 404 (the id is not confirmed); an admin reads it', async () => {
    expect((await api(OTHER, 'GET', `/v1/pipelines/${id}`)).status).toBe(404);
    expect((await api(ADMIN, 'GET', `/v1/pipelines/${id}`)).status).toBe(200);
  });

  test('a malformed id is a 400 naming it; an unknown one a 404', async () => {
    const bad = await api(OWNER, 'GET', '/v1/pipelines/not-an-id');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toMatch(/id/);
    expect((await api(OWNER, 'GET', '/v1/pipelines/pipe-00000000000000000000000000')).status).toBe(404);
  });

  test("a researcher lists only their own; an admin lists everyone's; pages carry nextToken", async () => {
    await api(
      OTHER,
      'POST',
      '/v1/pipelines',
      { name: 'bobs', stages: [{ id: 'only', kind: 'job', site: 'spc', resource: 'h200', allocationId: 'alloc-bob', script: '#!/bin/bash\n', gpus: 1, timeLimit: 10 }] },
      { 'idempotency-key': newKey() },
    );
    const mine = (await api(OWNER, 'GET', '/v1/pipelines?limit=200')).body.items;
    const bobs = (await api(OTHER, 'GET', '/v1/pipelines?limit=200')).body.items;
    const all = (await api(ADMIN, 'GET', '/v1/pipelines?limit=200')).body.items;

    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((p: { owner: string }) => p.owner === OWNER.sub)).toBe(true);
    expect(bobs.map((p: { name: string }) => p.name)).toEqual(['bobs']);
    expect(all.length).toBe(mine.length + bobs.length);
    expect(mine[0].stages[0].spec).toBeUndefined();

    const page1 = await api(OWNER, 'GET', '/v1/pipelines?limit=1');
    const page2 = await api(OWNER, 'GET', `/v1/pipelines?limit=1&nextToken=${page1.body.nextToken}`);
    expect(page2.body.items[0].pipelineId).not.toBe(page1.body.items[0].pipelineId);
    // a token from another caller's list is refused
    expect((await api(OTHER, 'GET', `/v1/pipelines?nextToken=${page1.body.nextToken}`)).status).toBe(400);
  });
});

describe('cancel and retry', () => {
  test('cancel before any stage ran: every stage is cancelled and the pipeline too; a second cancel changes nothing', async () => {
    const id = (await create()).body.pipelineId;
    const res = await api(OWNER, 'POST', `/v1/pipelines/${id}/cancel`);
    const again = await api(OWNER, 'POST', `/v1/pipelines/${id}/cancel`);

    expect(res.status).toBe(200);
    expect(res.body.pipeline).toMatchObject({ state: 'cancelled', cancelRequested: true });
    expect(res.body.pipeline.stages.every((s: { state: string }) => s.state === 'cancelled')).toBe(true);
    expect(res.body.cancelledAtSites).toEqual([]);
    expect(again.status).toBe(200);
    expect(again.body.pipeline.updatedAt).toBe(res.body.pipeline.updatedAt);
  });

  test('another researcher cannot cancel or retry (404); an admin can', async () => {
    const id = (await create()).body.pipelineId;

    expect((await api(OTHER, 'POST', `/v1/pipelines/${id}/cancel`)).status).toBe(404);
    expect((await api(ADMIN, 'POST', `/v1/pipelines/${id}/cancel`)).body.pipeline.state).toBe('cancelled');
    expect((await api(OTHER, 'POST', `/v1/pipelines/${id}/retry`)).status).toBe(404);
    const retried = await api(ADMIN, 'POST', `/v1/pipelines/${id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ run: 2, executionId: `${id}-r2`, state: 'pending', cancelRequested: false });
  });

  test('retry of a pipeline that has not stopped is a 409; cancelling a finished one is a 409', async () => {
    const id = (await create()).body.pipelineId;
    const notStopped = await api(OWNER, 'POST', `/v1/pipelines/${id}/retry`);
    expect(notStopped.status).toBe(409);
    expect(notStopped.body.error.code).toBe('pipeline_not_retryable');

    await mutatePipeline(id, { actor: { sub: 'system:test', role: 'system' }, requestId: 't' }, (p) => {
      let runs = p.runs;
      for (const s of p.plan.order) runs = { ...runs, [s]: moveStage(moveStage(runs[s], 'running', 'T'), 'succeeded', 'T') };
      return { patch: { runs, state: 'succeeded' }, action: 'pipeline.test' };
    });
    const finished = await api(OWNER, 'POST', `/v1/pipelines/${id}/cancel`);
    expect(finished.status).toBe(409);
    expect(finished.body.error.code).toBe('pipeline_finished');
  });

  test('retry resumes from the failed stage: the succeeded stage is not redone, the failed one gets attempt 2, and run 2 starts', async () => {
    const id = (await create(twoJobsBody())).body.pipelineId;
    await mutatePipeline(id, { actor: { sub: 'system:test', role: 'system' }, requestId: 't' }, (p) => {
      const first = moveStage(moveStage(p.runs.first, 'running', '2026-06-01T00:00:00Z'), 'succeeded', '2026-06-01T01:00:00Z');
      const second = moveStage(moveStage(p.runs.second, 'running', '2026-06-01T01:00:01Z'), 'failed', '2026-06-01T01:05:00Z', { error: { code: 'job_failed', message: 'exit code 3' } });
      return { patch: { runs: { first, second }, state: 'failed', stoppedAt: { stage: 'second', state: 'failed', error: second.error } }, action: 'pipeline.test' };
    });
    expect((await api(OWNER, 'GET', `/v1/pipelines/${id}`)).body.stoppedAt).toMatchObject({ stage: 'second', error: { code: 'job_failed' } });

    const res = await api(OWNER, 'POST', `/v1/pipelines/${id}/retry`);

    expect(res.status).toBe(200);
    expect(res.body.stoppedAt).toBeUndefined();
    expect(res.body.stages.map((s: { id: string; state: string; attempt: number }) => [s.id, s.state, s.attempt])).toEqual([
      ['first', 'succeeded', 1],
      ['second', 'pending', 2],
    ]);
    expect(res.body.stages[0].endedAt).toBe('2026-06-01T01:00:00Z');
    expect(executionsNamed(`${id}-r2`)).toHaveLength(1);
  });
});
