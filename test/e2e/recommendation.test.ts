// POST /v1/recommendations over HTTP: ranked resources with estimates and explanations.
import { as, call } from './support/client';

describe('POST /v1/recommendations', () => {
  it('never puts a 70B full fine-tune in bf16 on a resource whose memory cannot hold it at the stated node count', async () => {
    const res = await as('researcher').post('/v1/recommendations', {
      workload: 'fine-tuning',
      parameters: 70e9,
      trainingTokens: 2e9,
      method: 'full',
      precision: 'bf16',
      nodes: 1,
      dataset: { sizeGB: 200, location: { siteId: 'spc' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.ranked.length).toBe(3);
    // 70e9 x 18 bytes = 1,260 GB of training state: one local node (4 GPUs) holds 4 x 141/192/96 GB at most.
    for (const r of res.body.ranked) {
      if (r.feasible) expect(r.criteria.memory.score).toBeGreaterThan(0);
      expect(r.criteria).toEqual(expect.objectContaining({ memory: expect.any(Object), compute: expect.any(Object), dataLocality: expect.any(Object), queue: expect.any(Object), capacity: expect.any(Object) }));
    }
    expect(res.body.ranked.filter((r: { feasible: boolean }) => r.feasible)).toEqual([]);
    expect(res.body.recommended).toBeNull();
  });

  it('ranks a small model and gives GPU-hours and credits for each resource, deterministically', async () => {
    const body = { workload: 'fine-tuning', parameters: 7e9, trainingTokens: 1e9, method: 'lora', precision: 'bf16', dataset: { sizeGB: 50, location: { siteId: 'kisti6' } } };
    const a = await as('researcher').post('/v1/recommendations', body);
    const b = await as('researcher').post('/v1/recommendations', body);
    expect(a.status).toBe(200);
    expect(a.body.recommended).toMatch(/^(spc|kisti6)\//);
    for (const r of a.body.ranked) expect(r.estimate).toEqual(expect.objectContaining({ gpuHours: expect.any(Number), credits: expect.any(Number) }));
    // Same input, same answer (finish dates move with the clock, so compare what does not).
    const gist = (x: { recommended: string; ranked: { resourceKey: string; score: number; feasible: boolean; estimate: { gpuHours: number; credits: number } }[] }) => ({
      recommended: x.recommended,
      ranked: x.ranked.map((r) => [r.resourceKey, r.score, r.feasible, r.estimate.gpuHours, r.estimate.credits]),
    });
    expect(gist(b.body)).toEqual(gist(a.body));
  });

  it('names the bad field (400) and needs a token (401)', async () => {
    const bad = await as('researcher').post('/v1/recommendations', { workload: 'fine-tuning', parameters: -1, trainingTokens: 1e9, precision: 'bf17' });
    expect(bad.status).toBe(400);
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(['parameters', 'precision']));
    const site = await as('researcher').post('/v1/recommendations', { workload: 'inference', parameters: 7e9, inferenceTokens: 1e9, precision: 'bf16', dataset: { sizeGB: 1, location: { siteId: 'nowhere' } } });
    expect(site.status).toBe(400);
    expect(site.body.error.details[0].path).toBe('dataset.location.siteId');
    expect((await call('POST', '/v1/recommendations', { body: { workload: 'inference' } })).status).toBe(401);
  });
});
