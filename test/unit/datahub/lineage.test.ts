// A version's lineage in the catalogue, and DataCite's relatedIdentifiers filled from it: run
// events recorded through the lineage capability (DynamoDB Local), then read back through the
// data hub's API as each role would. A simulation at kisti6 reads a public dataset and a draft
// one and writes a dataset; a training run at spc reads that and writes a model.
import { stageEvent } from '../../../lambdas/domain/lineage/stage-events';
import { recordEvent } from '../../../lambdas/lineage';
import { api, datahubFixture, DATASET, publishedDataset, publishVersion, ROLE_CALLERS, type Fixture } from './support';

const { steward, researcher } = ROLE_CALLERS;
let fx: Fixture;
let input: string; // public, published
let secret: string; // a draft only: the researcher may not read it
let output: string; // published, made at kisti6
let model: string; // published, trained at spc
beforeAll(async () => {
  fx = await datahubFixture();
  input = (await publishedDataset()).id;
  output = (await publishedDataset()).id;
  secret = (await api(steward, 'POST', '/v1/datasets', DATASET)).body.id;
  await api(steward, 'POST', `/v1/datasets/${secret}/versions`, { version: '0.1.0' });
  model = (await api(steward, 'POST', '/v1/models', { ...DATASET, licence: 'MIT' })).body.id;
  await publishVersion(model, '1.0.0', 'models', { modelCard: { language: ['ko'], pipeline_tag: 'text-generation' } });
  const pipeline = { pipelineId: 'pipe-cycle', executionId: 'exec-1' };
  const at = new Date('2026-06-01T00:00:00Z');
  const copy = (site: string, path: string, artifact: string, version: string) => ({ site, path, version: { artifact, version } });
  for (const e of [
    stageEvent({ pipeline, stageId: 'simulate', kind: 'job', site: 'kisti6', attempt: 1 }, 'COMPLETE', at, {
      inputs: [copy('kisti6', '/scratch/in', input, '1.0.0'), copy('kisti6', '/scratch/secret', secret, '0.1.0')],
      outputs: [copy('kisti6', '/scratch/out', output, '1.0.0')],
    }),
    stageEvent({ pipeline, stageId: 'train', kind: 'job', site: 'spc', attempt: 1 }, 'COMPLETE', at, {
      inputs: [copy('spc', '/data/out', output, '1.0.0')],
      outputs: [copy('spc', '/data/model', model, '1.0.0')],
    }),
  ])
    await recordEvent(e);
});
afterAll(async () => fx?.stop());

const lineage = (who: typeof steward | undefined, kind: string, id: string, q = '') => api(who, 'GET', `/v1/${kind}/${id}/versions/1.0.0/lineage${q}`);

describe("a version's lineage", () => {
  it('answers both ways across sites: the kisti6 simulation upstream, the spc training downstream', async () => {
    const r = await lineage(steward, 'datasets', output, '?depth=2');
    expect(r.status).toBe(200);
    const byName = Object.fromEntries(r.body.nodes.map((n: any) => [n.version ? `${n.version.artifact}@${n.version.version}` : `${n.namespace} ${n.name}`, [n.direction, n.level]]));
    expect(byName).toEqual({
      [`${output}@1.0.0`]: ['start', 0],
      'slurm://kisti6 pipe-cycle.simulate': ['up', 1],
      [`${input}@1.0.0`]: ['up', 2],
      [`${secret}@0.1.0`]: ['up', 2],
      'slurm://spc pipe-cycle.train': ['down', 1],
      [`${model}@1.0.0`]: ['down', 2],
    });
    expect(r.body.cost.map((c: any) => [c.direction, c.level])).toEqual([
      ['up', 1],
      ['up', 2],
      ['down', 1],
      ['down', 2],
    ]);
  });

  it("which KISTI-6 simulation outputs trained this SPC model: the model's ancestors to depth 4", async () => {
    const r = await lineage(researcher, 'models', model, '?direction=up&depth=4');
    expect(r.status).toBe(200);
    expect(r.body.nodes.filter((n: any) => n.kind === 'job').map((n: any) => `${n.namespace} ${n.name}`)).toEqual(['slurm://spc pipe-cycle.train', 'slurm://kisti6 pipe-cycle.simulate']);
    expect(r.body.nodes.every((n: any) => n.direction !== 'down')).toBe(true);
  });

  it('hides a version the caller may not read as an opaque node, keeping the edges connected', async () => {
    const r = await lineage(researcher, 'datasets', output, '?direction=up&depth=2');
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain(secret);
    const hidden = r.body.nodes.filter((n: any) => n.hidden);
    expect(hidden).toEqual([{ id: 'hidden:1', kind: 'dataset', level: 2, direction: 'up', hidden: true }]);
    const sim = r.body.nodes.find((n: any) => n.name === 'pipe-cycle.simulate').id;
    expect(r.body.edges).toContainEqual({ from: 'hidden:1', to: sim });
  });

  it('is refused where the version itself is: 401 without a token, 404 for a draft the caller may not read, 400 naming a bad depth', async () => {
    expect((await lineage(undefined, 'datasets', output)).status).toBe(401);
    expect((await api(researcher, 'GET', `/v1/datasets/${secret}/versions/0.1.0/lineage`)).status).toBe(404);
    expect((await api(steward, 'GET', `/v1/datasets/${secret}/versions/0.1.0/lineage`)).status).toBe(200);
    const bad = await lineage(steward, 'datasets', output, '?depth=11');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.error.details)).toContain('depth');
  });
});

describe('DataCite relatedIdentifiers from lineage', () => {
  it('names what runs made it from (IsDerivedFrom) and what was made from it (IsSourceOf), public versions only', async () => {
    const r = await api(undefined, 'GET', `/v1/public/datasets/${output}/versions/1.0.0?format=datacite`);
    expect(r.status).toBe(200);
    const related = (r.body.data?.attributes ?? r.body).relatedIdentifiers.map((x: any) => [x.relationType, x.relatedIdentifier]);
    expect(related).toEqual(
      expect.arrayContaining([
        ['IsDerivedFrom', expect.stringContaining(input)],
        ['IsSourceOf', expect.stringContaining(model)],
      ]),
    );
    expect(JSON.stringify(related)).not.toContain(secret);
  });
});
