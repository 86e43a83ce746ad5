// The lineage store on DynamoDB Local: the events of both directions of the cycle, stored and
// asked across sites ("which KISTI-6 simulation outputs trained this SPC model, and which analyses
// on KISTI-6 used it"); duplicates change nothing; failed runs' outputs are not lineage; a hub
// whose neighbours overflow its item is still answered; every level costs bounded round trips.
import { ValidationError } from '../../../lambdas/domain/errors';
import { jobNodeId, versionNodeId } from '../../../lambdas/domain/lineage/graph';
import { stageEvent } from '../../../lambdas/domain/lineage/stage-events';
import { bulkLoad, eventsOfRun, INLINE_NEIGHBOURS, queryLineage, recordEvent } from '../../../lambdas/lineage/store';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { cycleEvents } from './support';

let tables: TestTables;
beforeAll(async () => {
  tables = await createTestTables();
  for (const e of cycleEvents()) await recordEvent(e);
});
afterAll(async () => tables?.drop());

const MODEL = versionNodeId('model-weather', '1');
const SIM = versionNodeId('ds-sim', '1');
const CLIMATE = versionNodeId('ds-climate', '3');
const ids = (a: { nodes: { id: string }[] }) => a.nodes.map((n) => n.id).sort();

describe('lineage across sites', () => {
  test('ancestors of the SPC model: the KISTI-6 simulation and the dataset it read', async () => {
    const a = await queryLineage(MODEL, 'up', 10);

    const jobs = a.nodes.filter((n) => n.kind === 'job');
    expect(jobs.map((j) => `${j.namespace} ${j.name}`).sort()).toEqual([
      'kairr://catalogue pipe-ks.register-data',
      'kairr://catalogue pipe-ks.register-model',
      'slurm://kisti6 pipe-ks.simulate',
      // the transfer that brought the model to kisti6 wrote a copy of it: a copy's writer is a writer
      'slurm://kisti6 pipe-sk.move',
      'slurm://spc pipe-ks.move',
      'slurm://spc pipe-ks.train',
    ]);
    // "which KISTI-6 simulation outputs trained this SPC model"
    expect(a.nodes.filter((n) => n.kind === 'dataset' && n.site === 'kisti6').map((n) => n.name)).toEqual(['/srv/kairr/storage/pipelines/pipe-ks/simulate/out']);
    expect(
      a.nodes
        .filter((n) => n.version)
        .map((n) => `${n.version!.artifact}@${n.version!.version}`)
        .sort(),
    ).toEqual(['ds-climate@3', 'ds-sim@1', 'model-weather@1']);
    expect(a.edges).toContainEqual({ from: SIM, to: jobNodeId('slurm://spc', 'pipe-ks.train') });
    expect(a.nodes.find((n) => n.id === CLIMATE)!.level).toBe(8);
  });

  test('descendants of the KISTI-6 data: the SPC training, the model, and the analysis back on KISTI-6', async () => {
    const d = await queryLineage(SIM, 'down', 10);

    expect(
      d.nodes
        .filter((n) => n.kind === 'job')
        .map((n) => `${n.site ?? '-'} ${n.name}`)
        .sort(),
    ).toEqual(['- pipe-ks.register-model', '- pipe-sk.register-report', 'kisti6 pipe-sk.analyse', 'kisti6 pipe-sk.move', 'spc pipe-ks.move', 'spc pipe-ks.train']);
    expect(d.nodes.map((n) => n.id)).toContain(versionNodeId('ds-report', '1'));
  });

  test('depth counts edges: two levels up from the model are its writers and the copy the trainer wrote', async () => {
    const a = await queryLineage(MODEL, 'up', 2);

    expect(ids(a)).toEqual([MODEL, jobNodeId('kairr://catalogue', 'pipe-ks.register-model'), jobNodeId('slurm://kisti6', 'pipe-sk.move'), 'ds:file://spc//scratch/kairr/pipelines/pipe-ks/train/model.pt'].sort());
    expect(a.levels).toEqual([
      { level: 1, frontier: 1 },
      { level: 2, frontier: 2 },
    ]);
  });

  test("a job's lineage: what the analysis at kisti6 read, back to the KISTI-6 data", async () => {
    const a = await queryLineage(jobNodeId('slurm://kisti6', 'pipe-sk.analyse'), 'up', 6);

    expect(a.nodes.map((n) => n.id)).toEqual(expect.arrayContaining([MODEL, CLIMATE, SIM]));
  });
});

describe('writing', () => {
  test('the same events again change nothing: each is a duplicate, the answers are the same', async () => {
    const before = await queryLineage(SIM, 'down', 10);

    const again = await Promise.all(cycleEvents().map((e) => recordEvent(e)));

    expect(again.every((r) => !r.stored)).toBe(true);
    const after = await queryLineage(SIM, 'down', 10);
    expect(ids(after)).toEqual(ids(before));
    expect(after.edges.length).toBe(before.edges.length);
  });

  test("a failed run's inputs are lineage, its outputs are not", async () => {
    const s = { pipeline: { pipelineId: 'pipe-fail', executionId: 'exec-fail' }, stageId: 'evaluate', kind: 'job' as const, site: 'kisti6', attempt: 1 };
    const fail = stageEvent(s, 'FAIL', new Date('2026-06-02T00:00:00Z'), {
      inputs: [{ site: 'kisti6', path: '/srv/kairr/storage/catalogue/model-weather/1', version: { artifact: 'model-weather', version: '1' } }],
      outputs: [{ site: 'kisti6', path: '/srv/kairr/storage/pipelines/pipe-fail/evaluate/scores' }],
      error: 'exit 1',
    });

    await recordEvent(fail);

    const down = await queryLineage(MODEL, 'down', 2);
    expect(ids(down)).toContain(jobNodeId('slurm://kisti6', 'pipe-fail.evaluate'));
    expect(ids(down)).not.toContain('ds:file://kisti6//srv/kairr/storage/pipelines/pipe-fail/evaluate/scores');
    expect(await eventsOfRun(fail.run.runId)).toEqual([fail]);
  });

  test('an event that breaks OpenLineage 2-0-2 is refused naming the field, and nothing is stored', async () => {
    const bad = structuredClone(cycleEvents()[1]) as unknown as { run: { runId: string } };
    bad.run.runId = 'not-a-uuid';

    await expect(recordEvent(bad as never)).rejects.toThrow(ValidationError);
    await expect(recordEvent(bad as never)).rejects.toMatchObject({ status: 400, details: [{ path: 'run.runId', problem: 'must be a UUID' }] });
    expect(await eventsOfRun('not-a-uuid')).toEqual([]);
  });
});

describe('reading costs', () => {
  test('a dataset read by more jobs than its item holds overflows to edge items, and is still answered whole with one more round trip', async () => {
    const inline = 10;
    const jobs = inline + 7;
    const hub = { site: 'spc', path: '/scratch/kairr/catalogue/ds-hub/1', version: { artifact: 'ds-hub', version: '1' } };
    await Promise.all(
      Array.from({ length: jobs }, (_, k) =>
        recordEvent(stageEvent({ pipeline: { pipelineId: `pipe-h${k}`, executionId: `exec-h${k}` }, stageId: 'read', kind: 'job', site: 'spc', attempt: 1 }, 'START', new Date('2026-06-03T00:00:00Z'), { inputs: [hub] }), {
          inlineNeighbours: inline,
        }),
      ),
    );

    const d = await queryLineage(versionNodeId('ds-hub', '1'), 'down', 1);

    expect(d.nodes).toHaveLength(jobs + 1);
    expect(d.cost).toEqual([{ level: 1, frontier: 1, requests: 2, roundTrips: 2 }]);
  });

  test(`the same with the real limit (${INLINE_NEIGHBOURS} on the item), loaded in bulk`, async () => {
    const hub = versionNodeId('ds-bighub', '1');
    const readers = Array.from({ length: INLINE_NEIGHBOURS + 30 }, (_, i) => jobNodeId('slurm://spc', `big-${i}`));
    await bulkLoad(new Map([[hub, { up: new Set<string>(), down: new Set(readers) }], ...readers.map((r) => [r, { up: new Set([hub]), down: new Set<string>() }] as const)]));

    const d = await queryLineage(hub, 'down', 1);

    expect(ids(d)).toEqual([hub, ...readers].sort());
    expect(d.cost[0]).toMatchObject({ requests: 2, roundTrips: 2 });
  });

  test('a wide frontier is read in batches of 100, all in one round trip', async () => {
    const width = 250;
    const nodes = new Map<string, { up: Set<string>; down: Set<string> }>();
    const root = versionNodeId('ds-wide', '1');
    const children = Array.from({ length: width }, (_, i) => jobNodeId('slurm://kisti6', `wide-${i}`));
    nodes.set(root, { up: new Set(), down: new Set(children) });
    children.forEach((c, i) => {
      nodes.set(c, { up: new Set([root]), down: new Set([versionNodeId('ds-wide-out', String(i))]) });
      nodes.set(versionNodeId('ds-wide-out', String(i)), { up: new Set([c]), down: new Set() });
    });
    await bulkLoad(nodes);

    const d = await queryLineage(root, 'down', 3);

    expect(d.nodes).toHaveLength(1 + 2 * width);
    expect(d.cost).toEqual([
      { level: 1, frontier: 1, requests: 1, roundTrips: 1 },
      { level: 2, frontier: width, requests: 3, roundTrips: 1 },
      { level: 3, frontier: width, requests: 3, roundTrips: 1 },
    ]);
  });
});
