// Award-plan optimiser benchmark: 1,000 / 10,000 / 50,000 proposals over 3 resources with 6
// org-type floors, seeded. Each size runs in its own child process, so the peak RSS is that size's
// alone (HiGHS's wasm memory never shrinks once grown). Figures are printed as they come; the last
// line is one JSON object with every figure named.
//
//   npm run bench:optimizer            (tsx bench/optimizer.ts)
//   tsx bench/optimizer.ts --sizes 1000,10000
import { fork } from 'node:child_process';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { computeAwardPlanSync, greedyAwardPlan, ORG_TYPES, type AwardPlanInput, type OrgType } from '../lambdas/domain/award-plan';
import { loadHighsSolver } from '../lambdas/recommendation/highs-loader';

const SEED = 20260901;
const TARGET_10K_SECONDS = 2;
const TARGET_MEMORY_MB = 1769;

/** mulberry32: small, fast, and the same sequence everywhere. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESOURCES = ['spc/h200', 'spc/b200', 'kisti6/gh200'];
const ORG_MIX: [OrgType, number][] = [
  ['university', 0.4],
  ['research-institute', 0.2],
  ['sme', 0.15],
  ['startup', 0.1],
  ['enterprise', 0.1],
  ['public-agency', 0.05],
];
const FLOORS: Partial<Record<OrgType, number>> = {
  university: 0.25,
  'research-institute': 0.15,
  sme: 0.08,
  startup: 0.05,
  enterprise: 0.05,
  'public-agency': 0.04,
};

/**
 * A call with `n` proposals: 60% ask for one resource, 30% two, 10% all three; each line is
 * log-uniform between 1,000 and 200,000 credits (rounded to 100); the score is the mean of three
 * reviewers' 1-5 marks (two decimals); 10% of proposals override the 0.5 minimum viable fraction
 * with 0.25 or 1 (all or nothing); capacity is 35% of the demand on each resource.
 */
export function instance(n: number, seed = SEED): AwardPlanInput {
  const r = rng(seed + n);
  const demand = new Map(RESOURCES.map((k) => [k, 0]));
  const proposals: AwardPlanInput['proposals'] = [];
  for (let i = 0; i < n; i++) {
    const u = r();
    const m = u < 0.6 ? 1 : u < 0.9 ? 2 : 3;
    const keys = [...RESOURCES].sort(() => 0); // stable copy
    for (let j = keys.length - 1; j > 0; j--) {
      const k = Math.floor(r() * (j + 1));
      [keys[j], keys[k]] = [keys[k], keys[j]];
    }
    const requested: Record<string, number> = {};
    for (const key of keys.slice(0, m)) {
      const credits = Math.max(1000, Math.round((1000 * 200 ** r()) / 100) * 100);
      requested[key] = credits;
      demand.set(key, demand.get(key)! + credits);
    }
    let acc = 0;
    const v = r();
    let orgType: OrgType = 'university';
    for (const [t, w] of ORG_MIX) {
      acc += w;
      if (v < acc) {
        orgType = t;
        break;
      }
    }
    const score = Math.round(((1 + 4 * r() + (1 + 4 * r()) + (1 + 4 * r())) / 3) * 100) / 100;
    const o = r();
    proposals.push({
      id: `P${String(i).padStart(6, '0')}`,
      orgType,
      score,
      requested,
      ...(o < 0.05 ? { minViableFraction: 0.25 } : o < 0.1 ? { minViableFraction: 1 } : {}),
    });
  }
  const capacity = Object.fromEntries(RESOURCES.map((k) => [k, Math.round(demand.get(k)! * 0.35)]));
  return { callId: `bench-${n}`, capacity, floors: FLOORS, minViableFraction: 0.5, proposals };
}

interface SizeResult {
  proposals: number;
  lines: number;
  highsLoadSeconds: number;
  solveSeconds: number;
  solveCpuSeconds: number;
  secondSolveSeconds: number;
  /** 1-minute load average when the solve ended: wall times on a shared 2-core machine depend on it. */
  loadAverage1m: number;
  deterministic: boolean;
  method: string;
  status: string;
  freeProposals: number;
  objective: number;
  dualBound: number | null;
  gap: number | null;
  greedyObjective: number;
  greedyMeetsFloors: boolean;
  ratioToGreedy: number;
  greedySeconds: number;
  peakRssMB: number;
  rssAfterMB: number;
  heapUsedAfterMB: number;
  wasmMemoryMB: number;
  funded: number;
  partial: number;
  notFunded: number;
  floorsMet: boolean;
}

async function runSize(n: number): Promise<SizeResult> {
  const input = instance(n);
  let t0 = performance.now();
  const highs = await loadHighsSolver();
  const highsLoadSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const plan = computeAwardPlanSync(highs, input);
  const solveSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  t0 = performance.now();
  const again = computeAwardPlanSync(highs, input);
  const secondSolveSeconds = (performance.now() - t0) / 1000;

  const floorTargets = Object.fromEntries(plan.floors.map((f) => [f.orgType, f.effectiveTarget]));
  t0 = performance.now();
  const greedy = greedyAwardPlan(input, floorTargets);
  const greedySeconds = (performance.now() - t0) / 1000;

  const mem = process.memoryUsage();
  const count = (s: string) => plan.proposals.filter((p) => p.status === s).length;
  return {
    proposals: n,
    lines: input.proposals.reduce((a, p) => a + Object.keys(p.requested).length, 0),
    highsLoadSeconds: round(highsLoadSeconds),
    solveSeconds: round(solveSeconds),
    solveCpuSeconds: round((cpu.user + cpu.system) / 1e6),
    loadAverage1m: Math.round(os.loadavg()[0] * 100) / 100,
    secondSolveSeconds: round(secondSolveSeconds),
    deterministic: JSON.stringify(plan) === JSON.stringify(again),
    method: plan.solver.method,
    status: plan.solver.status,
    freeProposals: plan.solver.freeProposals,
    objective: plan.objective,
    dualBound: plan.solver.dualBound,
    gap: plan.solver.gap,
    greedyObjective: Math.round(greedy.objective * 1e6) / 1e6,
    greedyMeetsFloors: greedy.meetsFloors,
    ratioToGreedy: Math.round((plan.objective / greedy.objective) * 1e6) / 1e6,
    greedySeconds: round(greedySeconds),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    rssAfterMB: Math.round(mem.rss / 2 ** 20),
    heapUsedAfterMB: Math.round(mem.heapUsed / 2 ** 20),
    wasmMemoryMB: Math.round(highs.memoryBytes / 2 ** 20),
    funded: count('funded'),
    partial: count('partial'),
    notFunded: count('not-funded'),
    floorsMet: plan.floors.every((f) => f.status !== 'short'),
  };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function runChild(n: number): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: SizeResult | undefined;
    child.on('message', (m) => (result = m as SizeResult));
    child.on('error', reject);
    child.on('exit', (code) => (result && code === 0 ? resolve(result) : reject(new Error(`child for ${n} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const childAt = process.argv.indexOf('--child');
  if (childAt >= 0) {
    const r = await runSize(Number(process.argv[childAt + 1]));
    process.send!(r);
    return;
  }
  const sizesAt = process.argv.indexOf('--sizes');
  const sizes = sizesAt >= 0 ? process.argv[sizesAt + 1].split(',').map(Number) : [1000, 10000, 50000];
  console.log(`award-plan optimiser benchmark: seed ${SEED}, 3 resources, ${ORG_TYPES.length} org-type floors, node ${process.version}`);
  const results: SizeResult[] = [];
  for (const n of sizes) {
    const r = await runChild(n);
    results.push(r);
    console.log(
      `${String(n).padStart(6)} proposals (${r.lines} lines): solve ${r.solveSeconds.toFixed(3)} s (cpu ${r.solveCpuSeconds.toFixed(3)} s; again ${r.secondSolveSeconds.toFixed(3)} s, ` +
        `HiGHS load ${r.highsLoadSeconds.toFixed(3)} s), ${r.method} ${r.status}, ${r.freeProposals} free, gap ${r.gap}, ` +
        `objective ${r.objective.toFixed(0)} vs greedy ${r.greedyObjective.toFixed(0)} = x${r.ratioToGreedy.toFixed(6)}, ` +
        `peak RSS ${r.peakRssMB} MB (wasm ${r.wasmMemoryMB} MB), deterministic ${r.deterministic}, load ${r.loadAverage1m}, ` +
        `${r.funded}/${r.partial}/${r.notFunded} funded/partial/not`,
    );
  }
  const tenK = results.find((r) => r.proposals === 10000);
  const summary = {
    benchmark: 'award-plan-optimizer',
    seed: SEED,
    resources: RESOURCES.length,
    floors: Object.keys(FLOORS).length,
    node: process.version,
    cpus: os.cpus().length,
    targets: { tenThousandSeconds: TARGET_10K_SECONDS, memoryMB: TARGET_MEMORY_MB },
    results,
    tenThousandWithinTime: tenK ? tenK.solveSeconds <= TARGET_10K_SECONDS : null,
    tenThousandCpuWithinTime: tenK ? tenK.solveCpuSeconds <= TARGET_10K_SECONDS : null,
    allWithinMemory: results.every((r) => r.peakRssMB <= TARGET_MEMORY_MB),
    allRatiosAtLeastOne: results.every((r) => r.ratioToGreedy >= 1),
    allDeterministic: results.every((r) => r.deterministic),
  };
  console.log(JSON.stringify(summary));
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
