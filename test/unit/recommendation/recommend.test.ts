// The purpose-based recommender against the real sites' figures (config/example.json: 8-GPU H200
// and B200 nodes at spc, 4-superchip GH200 nodes at kisti6; config/local.json: 4-GPU nodes).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SiteSchema, type Site } from '../../../lambdas/domain/catalogue';
import { ValidationError } from '../../../lambdas/domain/errors';
import { recommend, RecommendationRequestSchema, type FineTuningProfile, type RecommendationContext, type WorkloadProfile } from '../../../lambdas/domain/recommendation';

function sitesOf(config: string): Site[] {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../config', config), 'utf8')) as { sites: unknown[] };
  return raw.sites.map((s) => SiteSchema.parse(s));
}
const example = sitesOf('example.json');
const local = sitesOf('local.json');
const now = '2026-10-01T09:00:00Z';
const ctx = (extra: Partial<RecommendationContext> = {}): RecommendationContext => ({ sites: example, now, ...extra });
const top = (profile: WorkloadProfile, context = ctx()) => recommend(profile, context).recommended;
const entry = (result: ReturnType<typeof recommend>, key: string) => result.ranked.find((r) => r.resourceKey === key)!;

const fineTune70B = (nodes?: number): FineTuningProfile => ({
  workload: 'fine-tuning',
  parameters: 70e9,
  trainingTokens: 2e9,
  precision: 'bf16',
  method: 'full',
  ...(nodes === undefined ? {} : { nodes }),
});

/** Independent check: 18 bytes/param sharded over the GPUs, 90% of HBM usable, optimizer state (12 B/param) may spill to 90% of coherent memory. */
function holds70B(site: Site, resourceId: string, nodes: number): boolean {
  const r = site.resources.find((x) => x.id === resourceId)!;
  if (nodes > r.nodes) return false;
  const gpus = nodes * r.gpusPerNode;
  const perGpu = (70e9 * 18) / gpus / 1e9;
  const spillable = Math.min((70e9 * 12) / gpus / 1e9, 0.9 * r.coherentCpuMemoryGB);
  return perGpu <= 0.9 * r.gpuMemoryGB + spillable;
}

describe('recommend: memory', () => {
  test('a 70B full fine-tune in bf16 on one node lands only on B200 (8 x 192 GB); H200 and GH200 cannot hold it', () => {
    const result = recommend(fineTune70B(1), ctx());

    expect(result.recommended).toBe('spc/b200');
    expect(result.ranked.map((r) => [r.resourceKey, r.feasible])).toEqual([
      ['spc/b200', true],
      ['kisti6/gh200', false],
      ['spc/h200', false],
    ]);
    expect(entry(result, 'spc/h200').blockers[0]).toMatch(/^memory: needs 157.5 GB per GPU on 8 GPUs; 126.9 GB of HBM usable/);
    expect(entry(result, 'kisti6/gh200').blockers[0]).toMatch(/^memory: .*coherent memory/);
    expect(entry(result, 'spc/h200').criteria.memory.score).toBe(0);
    // Infeasible resources still show what the work would take there.
    expect(entry(result, 'spc/h200').estimate).toMatchObject({ gpus: 8, nodes: 1, gpuHours: expect.any(Number), credits: expect.any(Number) });
  });

  test.each([
    ['example', 1],
    ['example', 2],
    ['local', 1],
    ['local', 2],
    ['local', 3],
  ])('a 70B full fine-tune (%s config, %i nodes) is never feasible where its memory does not fit', (config, nodes) => {
    const sites = config === 'example' ? example : local;

    const result = recommend(fineTune70B(nodes), ctx({ sites }));

    for (const r of result.ranked) {
      const site = sites.find((s) => s.id === r.siteId)!;
      expect({ key: r.resourceKey, feasible: r.feasible }).toEqual({ key: r.resourceKey, feasible: holds70B(site, r.resourceId, nodes) });
    }
    if (result.recommended) {
      const r = entry(result, result.recommended);
      expect(holds70B(sites.find((s) => s.id === r.siteId)!, r.resourceId, nodes)).toBe(true);
    }
  });

  test('on 4-GPU nodes (local config) nothing holds a 70B full fine-tune on one node, so nothing is recommended', () => {
    const result = recommend(fineTune70B(1), ctx({ sites: local }));

    expect(result.recommended).toBeNull();
    expect(result.ranked.every((r) => !r.feasible && r.blockers[0].startsWith('memory:'))).toBe(true);
  });

  test("GH200's coherent LPDDR5X holds the optimizer state that its 96 GB of HBM cannot (2 nodes of 4 superchips)", () => {
    const gh200 = entry(recommend(fineTune70B(2), ctx()), 'kisti6/gh200');

    expect(gh200.feasible).toBe(true);
    expect(gh200.estimate).toMatchObject({ gpus: 8, memoryPerGpuGB: 157.5, usableHbmPerGpuGB: 86.4, offloadPerGpuGB: 71.1 });
    expect(gh200.criteria.memory).toMatchObject({ score: 0.6, detail: expect.stringContaining('coherent LPDDR5X') });
  });

  test('LoRA needs a fraction of the memory: a 70B LoRA fits on one H200 node', () => {
    const result = recommend({ ...fineTune70B(1), method: 'lora' }, ctx());

    expect(entry(result, 'spc/h200')).toMatchObject({ feasible: true, estimate: { memoryPerGpuGB: 21.875 } }); // 70B x 2.5 B / 8
  });

  test('without a node count, the fewest GPUs that fit with headroom and finish within 30 days are chosen', () => {
    const result = recommend(fineTune70B(), ctx());

    // B200: 8 GPUs would hold it at 91% of usable HBM, past the 85% headroom mark; 16 need 46%.
    expect(entry(result, 'spc/b200').estimate).toMatchObject({ gpus: 16, nodes: 2, memoryPerGpuGB: 78.75 });
    // H200: 16 GPUs at 62%. GH200: 16 superchips would need 78.75 GB of 86.4 (91%); 20 need 73%.
    expect(entry(result, 'spc/h200').estimate).toMatchObject({ gpus: 16, nodes: 2 });
    expect(entry(result, 'kisti6/gh200').estimate).toMatchObject({ gpus: 20, nodes: 5, offloadPerGpuGB: 0 });
  });
});

describe('recommend: unambiguous choices', () => {
  test('an fp64 simulation goes to GH200: the H200 fp64 rate at the lowest credit rate (B200 has half the fp64 rate)', () => {
    const profile: WorkloadProfile = { workload: 'hpc-simulation', totalPflop: 5e5, workingSetGB: 2000, precision: 'fp64' };

    const result = recommend(profile, ctx());

    expect(result.recommended).toBe('kisti6/gh200');
    expect(result.ranked[result.ranked.length - 1].resourceKey).toBe('spc/b200');
    expect(entry(result, 'spc/b200').criteria.compute.score).toBeCloseTo(37 / 67, 6);
  });

  test('bf16 pretraining with its corpus at spc goes to B200', () => {
    expect(top({ workload: 'pretraining', parameters: 8e9, trainingTokens: 1e12, precision: 'bf16', interconnect: 'high', dataset: { sizeGB: 50_000, location: { siteId: 'spc' } } })).toBe('spc/b200');
  });

  test('a 405B model served in fp8 on one node cannot use GH200 (4 x 96 GB < 445 GB of weights) and goes to B200', () => {
    const result = recommend({ workload: 'inference', parameters: 405e9, inferenceTokens: 1e9, precision: 'fp8', nodes: 1 }, ctx());

    expect(result.recommended).toBe('spc/b200');
    expect(entry(result, 'kisti6/gh200').feasible).toBe(false);
    expect(entry(result, 'spc/h200').feasible).toBe(true);
  });

  test('a budget only the cheapest fp64 resource meets rules the others out', () => {
    const profile: WorkloadProfile = { workload: 'hpc-simulation', totalPflop: 5e5, precision: 'fp64', budgetCredits: 9000 };

    const result = recommend(profile, ctx());

    // 500,000 PFLOP at 20% of 67 TFLOPS = 10,365 GPU-hours: 8,292 credits on GH200 (0.8), 9,328 on H200 (0.9).
    expect(result.recommended).toBe('kisti6/gh200');
    expect(entry(result, 'kisti6/gh200').estimate!.credits).toBeCloseTo(8291.874, 2);
    expect(entry(result, 'spc/h200')).toMatchObject({ feasible: false, blockers: [expect.stringMatching(/^budget: needs 9329 credits/)] });
  });

  test('a deadline no resource can meet at the stated size leaves nothing recommended, and says when each would finish', () => {
    const result = recommend({ workload: 'pretraining', parameters: 8e9, trainingTokens: 1e12, precision: 'bf16', nodes: 1, deadline: '2026-10-05' }, ctx());

    expect(result.recommended).toBeNull();
    expect(result.ranked.every((r) => r.blockers.some((b) => b.startsWith('deadline: finishes')))).toBe(true);
  });

  test('the credit rate in force at `now` is used (H200: 1.0 until 2026-09-01, then 0.9)', () => {
    const profile: WorkloadProfile = { workload: 'inference', parameters: 8e9, inferenceTokens: 1e9, precision: 'bf16' };

    const before = entry(recommend(profile, ctx({ now: '2026-08-31T23:00:00Z' })), 'spc/h200').estimate!;
    const after = entry(recommend(profile, ctx({ now: '2026-09-01T00:00:00Z' })), 'spc/h200').estimate!;

    expect([before.creditsPerGpuHour, after.creditsPerGpuHour]).toEqual([1, 0.9]);
    expect(after.credits).toBeCloseTo(before.credits! * 0.9, 2);
  });
});

describe('recommend: data locality, queue and capacity', () => {
  // An fp64 campaign: H200 and GH200 share the fp64 rate; GH200 is cheaper, but its queue is 4 days
  // long, so without data the call is close and goes to spc.
  const campaign: WorkloadProfile = { workload: 'hpc-simulation', totalPflop: 2e5, precision: 'fp64', nodes: 4 };
  const queue = { 'kisti6/gh200': { pendingJobs: 120, estimatedWaitHours: 96 }, 'spc/h200': { pendingJobs: 3, estimatedWaitHours: 1 } };

  test('a close call without data goes to spc', () => {
    const result = recommend(campaign, ctx({ queue }));

    expect(result.recommended).toBe('spc/h200');
    expect(result.ranked[0].score - entry(result, 'kisti6/gh200').score).toBeLessThan(0.05);
  });

  test('the same call with its data held at kisti6 tips to kisti6', () => {
    const result = recommend({ ...campaign, dataset: { sizeGB: 40_000, location: { siteId: 'kisti6' } } }, ctx({ queue }));

    expect(result.recommended).toBe('kisti6/gh200');
    expect(entry(result, 'spc/h200').criteria.dataLocality).toMatchObject({ detail: expect.stringContaining('at kisti6: 8.89 h to move it at 10 Gbit/s') });
    expect(entry(result, 'spc/h200').estimate!.transferHours).toBeCloseTo(8.8889, 3);
  });

  test('a catalogue dataset id is placed through the caller-resolved map', () => {
    const viaId = recommend({ ...campaign, dataset: { sizeGB: 40_000, location: { datasetId: 'ds-climate-2026' } } }, ctx({ queue, datasetSites: { 'ds-climate-2026': 'kisti6' } }));

    expect(viaId.recommended).toBe('kisti6/gh200');
    expect(() => recommend({ ...campaign, dataset: { sizeGB: 1, location: { datasetId: 'unknown' } } }, ctx())).toThrow(ValidationError);
  });

  test('queue state and open-call capacity are judged when known and neutral when not', () => {
    const result = recommend(campaign, ctx({ queue, openCallCapacity: { 'spc/h200': 100 } }));

    expect(entry(result, 'spc/b200').criteria.queue).toEqual({ score: 0.5, weight: 0.15, known: false, detail: 'queue state unavailable' });
    expect(entry(result, 'kisti6/gh200').criteria.queue.known).toBe(true);
    expect(entry(result, 'spc/h200').criteria.capacity).toMatchObject({ known: true, detail: expect.stringContaining('only 100 credits left') });
    expect(entry(result, 'spc/h200').criteria.capacity.score).toBeLessThan(0.1);
  });
});

describe('recommend: determinism and input', () => {
  const profile: WorkloadProfile = {
    workload: 'ai-for-science',
    parameters: 1e9,
    trainingTokens: 5e10,
    totalPflop: 1e4,
    precision: 'bf16',
    dataset: { sizeGB: 3000, location: { siteId: 'kisti6' } },
  };

  test('the same input gives the same result, whatever order the sites are listed in', () => {
    const first = recommend(profile, ctx());
    const again = recommend(profile, ctx());
    const reordered = recommend(profile, ctx({ sites: [...example].reverse().map((s) => ({ ...s, resources: [...s.resources].reverse() })) }));

    expect(again).toEqual(first);
    expect(reordered).toEqual(first);
  });

  test('every resource is ranked, with estimates and all six criteria explained', () => {
    const result = recommend(profile, ctx());

    expect(result.ranked.map((r) => r.rank)).toEqual([1, 2, 3]);
    for (const r of result.ranked) {
      expect(Object.keys(r.criteria).sort()).toEqual(['capacity', 'compute', 'cost', 'dataLocality', 'memory', 'queue']);
      expect(r.estimate).toMatchObject({ gpuHours: expect.any(Number), credits: expect.any(Number), wallClockHours: expect.any(Number) });
    }
    expect(result.basis.join(' ')).toContain('6 x 1B parameters x 50B tokens');
  });

  test('the request schema is strict and asks each workload type for what it needs', () => {
    expect(RecommendationRequestSchema.safeParse(profile).success).toBe(true);
    expect(RecommendationRequestSchema.safeParse({ ...profile, extra: true }).success).toBe(false);
    expect(RecommendationRequestSchema.safeParse({ workload: 'pretraining', parameters: 7e9, precision: 'bf16' }).success).toBe(false);
    expect(RecommendationRequestSchema.safeParse({ workload: 'hpc-simulation', precision: 'fp64' }).success).toBe(false);
    expect(RecommendationRequestSchema.safeParse({ workload: 'ai-for-science', precision: 'bf16', parameters: 1e9 }).success).toBe(false);
    expect(RecommendationRequestSchema.safeParse({ workload: 'inference', parameters: 7e9, inferenceTokens: 1e6, precision: 'int4' }).success).toBe(false);
    expect(RecommendationRequestSchema.safeParse({ ...fineTune70B(1), deadline: '2026-13-01' }).success).toBe(false);
  });
});
