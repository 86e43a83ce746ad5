// The run events KAIRR emits: valid OpenLineage 2-0-2 (ajv over the shipped schemas, core and the
// facets used), with job namespaces per site, the pipeline run as parent, and physical copies that
// name their catalogue version. KAIRR's run-time check agrees with ajv on good and broken events.
import { checkRunEvent } from '../../../lambdas/domain/lineage/check';
import { copyDataset, jobNamespace, runIdFor, type RunEvent } from '../../../lambdas/domain/lineage/events';
import { plainJobEvent, stageEvent } from '../../../lambdas/domain/lineage/stage-events';
import { ajvErrors, cycleEvents, KS } from './support';

const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the events of both directions of the cycle', () => {
  const events = cycleEvents();

  test("every one is valid OpenLineage 2-0-2 for ajv and for KAIRR's own check", () => {
    expect(events).toHaveLength(20);
    for (const e of events) {
      expect(ajvErrors(e)).toEqual([]);
      expect(checkRunEvent(e)).toEqual([]);
    }
  });

  test("stage runs are in their site's namespace, children of the pipeline's run", () => {
    const train = events.find((e) => e.job.name === 'pipe-ks.train' && e.eventType === 'COMPLETE')!;
    const pipelineStart = events.find((e) => e.job.name === 'pipe-ks' && e.eventType === 'START')!;

    expect(train.job.namespace).toBe('slurm://spc');
    expect(events.find((e) => e.job.name === 'pipe-ks.simulate')!.job.namespace).toBe('slurm://kisti6');
    expect(events.find((e) => e.job.name === 'pipe-ks.register-data')!.job.namespace).toBe('kairr://catalogue');
    expect(pipelineStart.job.namespace).toBe('kairr://pipelines');
    expect(train.run.facets!.parent).toMatchObject({ run: { runId: pipelineStart.run.runId }, job: { namespace: 'kairr://pipelines', name: 'pipe-ks' } });
    expect(train.job.facets!.jobType).toMatchObject({ processingType: 'BATCH', integration: 'KAIRR', jobType: 'JOB' });
  });

  test('a physical copy is a dataset at its site whose Symlinks facet names the catalogue version', () => {
    const move = events.find((e) => e.job.name === 'pipe-ks.move' && e.eventType === 'COMPLETE')!;

    expect(move.inputs[0]).toMatchObject({
      namespace: 'file://kisti6',
      name: '/srv/kairr/storage/pipelines/pipe-ks/simulate/out',
      facets: { symlinks: { identifiers: [{ namespace: 'kairr://catalogue', name: 'ds-sim@1', type: 'CATALOGUE_VERSION' }] } },
    });
    expect(move.outputs[0]).toMatchObject({ namespace: 'file://spc', name: '/scratch/kairr/catalogue/ds-sim/1', facets: { symlinks: { identifiers: [{ name: 'ds-sim@1' }] } } });
    expect(copyDataset({ site: 'spc', path: '/x' })).toEqual({ namespace: 'file://spc', name: '/x' });
  });

  test("run ids are name-based UUIDs of KAIRR's ids: the same run gives the same id, another run another", () => {
    const start = events.find((e) => e.job.name === 'pipe-ks.train' && e.eventType === 'START')!;
    const complete = events.find((e) => e.job.name === 'pipe-ks.train' && e.eventType === 'COMPLETE')!;

    expect(start.run.runId).toMatch(UUID_V5);
    expect(complete.run.runId).toBe(start.run.runId);
    expect(stageEvent({ pipeline: KS, stageId: 'train', kind: 'job', site: 'spc', attempt: 2 }, 'START', new Date()).run.runId).not.toBe(start.run.runId);
    expect(runIdFor('job-01abc')).toBe(runIdFor('job-01abc'));
  });

  test('FAIL and ABORT carry the cause in an ErrorMessage facet; a plain job has no parent', () => {
    const fail = stageEvent({ pipeline: KS, stageId: 'move', kind: 'transfer', site: 'spc', attempt: 1 }, 'FAIL', new Date('2026-06-01T10:00:00Z'), { error: 'checksum mismatch: model/config.json' });
    const abort = plainJobEvent({ jobId: 'job-01jd3x8e0c7k9m2n4p6q8r0s2t', site: 'kisti6' }, 'ABORT', new Date('2026-06-01T10:00:00Z'), { error: 'cancelled by the member' });

    for (const e of [fail, abort]) {
      expect(ajvErrors(e)).toEqual([]);
      expect(checkRunEvent(e)).toEqual([]);
    }
    expect(fail.run.facets!.errorMessage).toMatchObject({ message: 'checksum mismatch: model/config.json', programmingLanguage: 'shell' });
    expect(abort.run.facets!.parent).toBeUndefined();
    expect(abort.job).toMatchObject({ namespace: jobNamespace('kisti6'), name: 'job-01jd3x8e0c7k9m2n4p6q8r0s2t' });
  });
});

describe("KAIRR's check and ajv agree on broken events", () => {
  const good = (): RunEvent => structuredClone(cycleEvents().find((e) => e.job.name === 'pipe-ks.move' && e.eventType === 'COMPLETE')!);
  type Any = Record<string, any>;
  test.each<[string, (e: Any) => void, string]>([
    ['no eventTime', (e) => delete e.eventTime, 'eventTime'],
    ['an eventTime without a zone', (e) => (e.eventTime = '2026-06-01T10:00:00'), 'eventTime'],
    ['no producer', (e) => delete e.producer, 'producer'],
    ['a producer that is not a URI', (e) => (e.producer = 'kairr producer'), 'producer'],
    ['no schemaURL', (e) => delete e.schemaURL, 'schemaURL'],
    ['a runId that is not a UUID', (e) => (e.run.runId = 'exec-1'), 'run.runId'],
    ['no run', (e) => delete e.run, 'run'],
    ['no job name', (e) => delete e.job.name, 'job.name'],
    ['an unknown eventType', (e) => (e.eventType = 'DONE'), 'eventType'],
    ['inputs that are not an array', (e) => (e.inputs = {}), 'inputs'],
    ['a dataset without a name', (e) => delete e.outputs[0].name, 'outputs[0].name'],
    ['a facet without _producer', (e) => delete e.job.facets.jobType._producer, 'job.facets.jobType._producer'],
    ['a parent facet without its job', (e) => delete e.run.facets.parent.job, 'run.facets.parent.job'],
    ['a parent facet whose runId is not a UUID', (e) => (e.run.facets.parent.run.runId = 'x'), 'run.facets.parent.run.runId'],
    ['a symlink without its type', (e) => delete e.inputs[0].facets.symlinks.identifiers[0].type, 'inputs[0].facets.symlinks.identifiers[0].type'],
    ['a job type without its integration', (e) => delete e.job.facets.jobType.integration, 'job.facets.jobType.integration'],
    ['a dataset facet with a _deleted that is not a boolean', (e) => (e.outputs[0].facets.symlinks._deleted = 'yes'), 'outputs[0].facets.symlinks._deleted'],
  ])('%s', (_what, breakIt, path) => {
    const e = good() as unknown as Any;
    breakIt(e);

    expect(ajvErrors(e).length).toBeGreaterThan(0);
    expect(checkRunEvent(e).map((p) => p.path)).toContain(path);
  });

  test('an error message facet without its language', () => {
    const e = stageEvent({ pipeline: KS, stageId: 'move', kind: 'transfer', site: 'spc', attempt: 1 }, 'FAIL', new Date(), { error: 'x' }) as unknown as Record<string, { facets: Record<string, Record<string, unknown>> }>;
    delete e.run.facets.errorMessage.programmingLanguage;

    expect(ajvErrors(e).length).toBeGreaterThan(0);
    expect(checkRunEvent(e).map((p) => p.path)).toEqual(['run.facets.errorMessage.programmingLanguage']);
  });
});
