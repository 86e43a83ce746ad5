// recommend(profile, context): every resource in the catalogue, ranked for a workload, with the
// estimates and a per-criterion explanation. Pure and deterministic: `now` is an input, nothing is
// read from the clock or the network, and ties are broken by resource key.
import { rateAt, resourceKey, type Resource, type Site } from '../catalogue';
import { ValidationError } from '../errors';
import { ASSUMPTIONS, fmtGB, interconnectEfficiency, memoryFit, peakTflops, round, workloadDemand, type MemoryFit } from './estimate';
import type { WorkloadProfile } from './schema';

export interface QueueState {
  pendingJobs: number;
  estimatedWaitHours: number;
}

export interface RecommendationContext {
  sites: readonly Site[];
  /** ISO date-time the recommendation is made at: the rate in force and the deadline are judged from it. */
  now: string;
  /** Per resource key, from the connectors; absent when a site did not answer. */
  queue?: Readonly<Record<string, QueueState>>;
  /** Per resource key, credits still unawarded in open calls. */
  openCallCapacity?: Readonly<Record<string, number>>;
  /** Catalogue dataset id -> the site holding it, resolved by the caller. */
  datasetSites?: Readonly<Record<string, string>>;
  /** Overrides the planning figure for bulk transfers between sites (Gbit/s). */
  interSiteGbps?: number;
}

export type CriterionName = 'memory' | 'compute' | 'cost' | 'dataLocality' | 'queue' | 'capacity';

export interface Criterion {
  /** 0 (worst) to 1 (best). */
  score: number;
  weight: number;
  /** False when the input to judge it was absent (the score is then a neutral 0.5). */
  known: boolean;
  detail: string;
}

export interface ResourceEstimate {
  /** GPUs the estimate assumes (nodes x GPUs per node, or part of one node). */
  gpus: number;
  nodes: number;
  flops: number;
  /** Sustained TFLOPS per GPU assumed (peak x utilisation x interconnect and offload factors). */
  sustainedTflopsPerGpu: number;
  gpuHours: number;
  creditsPerGpuHour: number | null;
  credits: number | null;
  computeHours: number;
  transferHours: number;
  queueWaitHours: number;
  /** Queue wait + data transfer + compute. */
  wallClockHours: number;
  finishesAt: string;
  /** Jobs needed given the partition's time limit (checkpoint and resubmit between them). */
  jobs: number;
  memoryPerGpuGB: number;
  usableHbmPerGpuGB: number;
  /** Per GPU, kept in GH200's coherent LPDDR5X. */
  offloadPerGpuGB: number;
}

export interface ResourceRecommendation {
  rank: number;
  resourceKey: string;
  siteId: string;
  resourceId: string;
  gpuModel: string;
  feasible: boolean;
  /** Why it is not feasible (memory, nodes, deadline, budget, rate). Empty when feasible. */
  blockers: string[];
  estimate: ResourceEstimate | null;
  score: number;
  criteria: Record<CriterionName, Criterion>;
}

export interface RecommendationResult {
  generatedAt: string;
  workload: WorkloadProfile['workload'];
  /** The top-ranked feasible resource, when there is one. */
  recommended: string | null;
  ranked: ResourceRecommendation[];
  basis: string[];
  assumptions: Omit<typeof ASSUMPTIONS, 'interSiteGbps'> & { interSiteGbps: number };
}

interface Candidate {
  site: Site;
  resource: Resource;
  key: string;
  blockers: string[];
  fit: MemoryFit | null;
  /** False when the estimate is hypothetical: the memory does not fit there. */
  fitsMemory: boolean;
  estimate: ResourceEstimate | null;
}

export function recommend(profile: WorkloadProfile, context: RecommendationContext): RecommendationResult {
  const nowMs = Date.parse(context.now);
  if (Number.isNaN(nowMs)) throw ValidationError.field('now', 'must be an ISO date-time');
  const demand = workloadDemand(profile);
  const dataSite = resolveDataSite(profile, context);
  const interSiteGbps = context.interSiteGbps ?? ASSUMPTIONS.interSiteGbps;
  const deadlineMs = profile.deadline ? Date.parse(`${profile.deadline}T00:00:00Z`) + 86_400_000 : undefined;
  const need = profile.interconnect ?? 'moderate';

  const candidates: Candidate[] = [];
  for (const site of context.sites) {
    for (const resource of site.resources) {
      candidates.push(evaluate(site, resource));
    }
  }

  function evaluate(site: Site, resource: Resource): Candidate {
    const key = resourceKey(site.id, resource.id);
    const blockers: string[] = [];
    const transferHours = dataSite && profile.dataset && dataSite !== site.id ? (profile.dataset.sizeGB * 8) / interSiteGbps / 3600 : 0;
    const queueWaitHours = context.queue?.[key]?.estimatedWaitHours ?? 0;
    const rate = rateAt(resource, context.now);

    // GPU counts to try: the stated nodes, or 1, 2, 4 ... GPUs within one node, then whole nodes.
    const options: { gpus: number; nodes: number }[] = [];
    if (profile.nodes !== undefined) {
      if (profile.nodes > resource.nodes) blockers.push(`asks for ${profile.nodes} nodes; ${key} has ${resource.nodes}`);
      options.push({ gpus: profile.nodes * resource.gpusPerNode, nodes: profile.nodes });
    } else {
      for (let g = 1; g < resource.gpusPerNode; g *= 2) options.push({ gpus: g, nodes: 1 });
      for (let n = 1; n <= resource.nodes; n++) options.push({ gpus: n * resource.gpusPerNode, nodes: n });
    }

    // Among the GPU counts whose memory fits, prefer one that finishes by the deadline (or, with
    // none given, within the planning horizon), then HBM with headroom over a tight fit over
    // spilling to coherent memory, then the fewest GPUs.
    const target = deadlineMs ?? nowMs + ASSUMPTIONS.planningHorizonHours * 3_600_000;
    let chosen: { gpus: number; nodes: number; fit: MemoryFit & { fits: true }; estimate: ResourceEstimate; rankKey: number } | undefined;
    let lastFit: MemoryFit | null = null;
    for (const option of options) {
      const fit = memoryFit(resource, demand, option.gpus);
      lastFit = fit;
      if (!fit.fits) continue;
      const estimate = estimateOn(resource, option.gpus, option.nodes, fit, transferHours, queueWaitHours, rate?.creditsPerGpuHour ?? null);
      const late = Date.parse(estimate.finishesAt) > target ? 1 : 0;
      const tier = fit.offloadGBPerGpu > 0 ? 2 : fit.utilisation > ASSUMPTIONS.comfortableHbmUtilisation ? 1 : 0;
      const rankKey = late * 3 + tier;
      if (!chosen || rankKey < chosen.rankKey || (rankKey === chosen.rankKey && late === 1 && estimate.wallClockHours < chosen.estimate.wallClockHours)) {
        chosen = { ...option, fit, estimate, rankKey };
      }
      if (rankKey === 0) break; // nothing later can beat the fewest GPUs in the best tier
    }

    if (!chosen) {
      const last = options[options.length - 1];
      blockers.push(lastFit && !lastFit.fits ? `memory: ${lastFit.reason}${profile.nodes === undefined ? ` (even on all ${resource.nodes} nodes)` : ` at the stated ${profile.nodes} node(s)`}` : 'memory: does not fit');
      // Still estimate time and credits on the largest configuration tried, so the team sees what
      // the work would cost there; the memory blocker keeps it infeasible.
      const hypothetical = { fits: true as const, offloadGBPerGpu: 0, needPerGpuGB: lastFit?.needPerGpuGB ?? 0, hbmUsableGB: lastFit?.hbmUsableGB ?? 0, utilisation: 1 };
      const estimate = last ? estimateOn(resource, last.gpus, last.nodes, hypothetical, transferHours, queueWaitHours, rate?.creditsPerGpuHour ?? null) : null;
      return { site, resource, key, blockers, fit: lastFit, fitsMemory: false, estimate };
    }
    const e = chosen.estimate;
    if (!rate) blockers.push(`no credit rate is in force on ${context.now.slice(0, 10)}`);
    if (deadlineMs !== undefined && Date.parse(e.finishesAt) > deadlineMs) {
      const how = profile.nodes === undefined ? 'at the earliest' : `on the stated ${profile.nodes} node(s)`;
      blockers.push(`deadline: finishes ${e.finishesAt.slice(0, 16)}Z ${how}, after ${profile.deadline}`);
    }
    if (profile.budgetCredits !== undefined && e.credits !== null && e.credits > profile.budgetCredits) {
      blockers.push(`budget: needs ${Math.ceil(e.credits)} credits, over the ${profile.budgetCredits} available`);
    }
    return { site, resource, key, blockers, fit: chosen.fit, fitsMemory: true, estimate: e };
  }

  function estimateOn(resource: Resource, gpus: number, nodes: number, fit: MemoryFit & { fits: true }, transferHours: number, queueWaitHours: number, creditsPerGpuHour: number | null): ResourceEstimate {
    const offloadFactor = fit.offloadGBPerGpu > 0 ? ASSUMPTIONS.offloadThroughputFactor : 1;
    const sustained = peakTflops(resource, profile.precision) * demand.utilisation * interconnectEfficiency(resource, nodes, need) * offloadFactor;
    const computeHours = demand.flops / (gpus * sustained * 1e12) / 3600;
    const gpuHours = computeHours * gpus;
    const wallClockHours = queueWaitHours + transferHours + computeHours;
    return {
      gpus,
      nodes,
      flops: demand.flops,
      sustainedTflopsPerGpu: round(sustained, 3),
      gpuHours: round(gpuHours, 3),
      creditsPerGpuHour,
      credits: creditsPerGpuHour === null ? null : round(gpuHours * creditsPerGpuHour, 3),
      computeHours: round(computeHours, 4),
      transferHours: round(transferHours, 4),
      queueWaitHours: round(queueWaitHours, 4),
      wallClockHours: round(wallClockHours, 4),
      finishesAt: new Date(nowMs + Math.round(wallClockHours * 3_600_000)).toISOString(),
      jobs: Math.max(1, Math.ceil((computeHours * 60) / resource.maxTimeLimitMinutes)),
      memoryPerGpuGB: round(fit.needPerGpuGB, 3),
      usableHbmPerGpuGB: round(fit.hbmUsableGB, 3),
      offloadPerGpuGB: round(fit.offloadGBPerGpu, 3),
    };
  }

  // Relative criteria compare against the best candidate whose memory fits (all, if none fits).
  const fitting = candidates.filter((c) => c.estimate && c.fitsMemory);
  const estimated = fitting.length > 0 ? fitting : candidates.filter((c) => c.estimate);
  const bestTflops = Math.max(...estimated.map((c) => c.estimate!.sustainedTflopsPerGpu));
  const cheapest = Math.min(...estimated.filter((c) => c.estimate!.credits !== null).map((c) => c.estimate!.credits!));

  const scored = candidates.map((c) => {
    const criteria = judge(c);
    const W = ASSUMPTIONS.weights;
    const total = (Object.keys(W) as CriterionName[]).reduce((sum, name) => sum + W[name] * criteria[name].score, 0);
    return { c, criteria, score: round(total, 6) };
  });
  scored.sort((a, b) => Number(b.c.blockers.length === 0) - Number(a.c.blockers.length === 0) || b.score - a.score || (a.c.key < b.c.key ? -1 : a.c.key > b.c.key ? 1 : 0));

  function judge(c: Candidate): Record<CriterionName, Criterion> {
    const W = ASSUMPTIONS.weights;
    const e = c.estimate;
    const unknown = (weight: number, detail: string): Criterion => ({ score: 0.5, weight, known: false, detail });

    let memory: Criterion;
    if (!e || !c.fitsMemory || !c.fit?.fits) {
      memory = { score: 0, weight: W.memory, known: true, detail: c.fit && !c.fit.fits ? `does not fit: ${c.fit.reason}` : 'does not fit' };
    } else if (e.offloadPerGpuGB > 0) {
      memory = {
        score: 0.6,
        weight: W.memory,
        known: true,
        detail: `fits on ${e.gpus} GPUs with ${fmtGB(e.offloadPerGpuGB)} per GPU in coherent LPDDR5X (${fmtGB(e.memoryPerGpuGB)} needed, ${fmtGB(e.usableHbmPerGpuGB)} HBM usable); throughput x${ASSUMPTIONS.offloadThroughputFactor}`,
      };
    } else {
      const u = e.usableHbmPerGpuGB > 0 ? e.memoryPerGpuGB / e.usableHbmPerGpuGB : 0;
      memory = {
        score: round(u <= ASSUMPTIONS.comfortableHbmUtilisation ? 1 : 1 - ((u - ASSUMPTIONS.comfortableHbmUtilisation) / (1 - ASSUMPTIONS.comfortableHbmUtilisation)) * 0.3, 6),
        weight: W.memory,
        known: true,
        detail: `fits in HBM on ${e.gpus} GPU${e.gpus === 1 ? '' : 's'}: ${fmtGB(e.memoryPerGpuGB)} needed of ${fmtGB(e.usableHbmPerGpuGB)} usable per GPU (${Math.round(u * 100)}%)`,
      };
    }

    const compute: Criterion = e
      ? {
          score: round(bestTflops > 0 ? Math.min(1, e.sustainedTflopsPerGpu / bestTflops) : 1, 6),
          weight: W.compute,
          known: true,
          detail: `${round(e.sustainedTflopsPerGpu, 1)} TFLOPS sustained per GPU at ${profile.precision} (peak ${peakTflops(c.resource, profile.precision)}); ${round(e.computeHours, 2)} h of compute on ${e.gpus} GPUs`,
        }
      : { score: 0, weight: W.compute, known: true, detail: 'no estimate: the workload does not fit' };

    const cost: Criterion =
      e && e.credits !== null
        ? {
            score: round(e.credits > 0 ? Math.min(1, cheapest / e.credits) : 1, 6),
            weight: W.cost,
            known: true,
            detail: `${round(e.gpuHours, 1)} GPU-hours x ${e.creditsPerGpuHour} credits = ${round(e.credits, 1)} credits`,
          }
        : { score: 0, weight: W.cost, known: true, detail: e ? 'no credit rate in force' : 'no estimate: the workload does not fit' };

    let dataLocality: Criterion;
    if (!profile.dataset || !dataSite) {
      dataLocality = { score: 1, weight: W.dataLocality, known: true, detail: 'no dataset to move' };
    } else if (dataSite === c.site.id) {
      dataLocality = { score: 1, weight: W.dataLocality, known: true, detail: `the ${fmtGB(profile.dataset.sizeGB)} dataset is already at ${dataSite}` };
    } else {
      const transfer = (profile.dataset.sizeGB * 8) / interSiteGbps / 3600;
      const computeHours = e?.computeHours ?? 0;
      const share = computeHours + transfer > 0 ? computeHours / (computeHours + transfer) : 1;
      dataLocality = {
        score: round(ASSUMPTIONS.remoteDataFactor * share, 6),
        weight: W.dataLocality,
        known: true,
        detail: `the ${fmtGB(profile.dataset.sizeGB)} dataset is at ${dataSite}: ${round(transfer, 2)} h to move it at ${interSiteGbps} Gbit/s, plus staging`,
      };
    }

    const q = context.queue?.[c.key];
    const queue: Criterion = q
      ? (() => {
          const horizon = Math.max(e?.computeHours ?? 0, 24);
          return {
            score: round(horizon / (horizon + q.estimatedWaitHours), 6),
            weight: W.queue,
            known: true,
            detail: `${q.pendingJobs} jobs pending; about ${round(q.estimatedWaitHours, 1)} h to start`,
          };
        })()
      : unknown(W.queue, 'queue state unavailable');

    const left = context.openCallCapacity?.[c.key];
    const capacity: Criterion =
      left === undefined
        ? unknown(W.capacity, 'open-call capacity unknown')
        : e && e.credits !== null
          ? {
              score: round(e.credits <= 0 ? 1 : Math.min(1, left / e.credits), 6),
              weight: W.capacity,
              known: true,
              detail: left >= (e.credits ?? 0) ? `${round(left, 0)} credits left in open calls, enough for the ${round(e.credits, 0)} needed` : `only ${round(left, 0)} credits left in open calls for the ${round(e.credits, 0)} needed`,
            }
          : { score: 0, weight: W.capacity, known: true, detail: `${round(left, 0)} credits left in open calls` };

    return { memory, compute, cost, dataLocality, queue, capacity };
  }

  const ranked: ResourceRecommendation[] = scored.map(({ c, criteria, score }, i) => ({
    rank: i + 1,
    resourceKey: c.key,
    siteId: c.site.id,
    resourceId: c.resource.id,
    gpuModel: c.resource.gpuModel,
    feasible: c.blockers.length === 0,
    blockers: c.blockers,
    estimate: c.estimate,
    score,
    criteria,
  }));
  return {
    generatedAt: context.now,
    workload: profile.workload,
    recommended: ranked[0]?.feasible ? ranked[0].resourceKey : null,
    ranked,
    basis: demand.basis,
    assumptions: { ...ASSUMPTIONS, interSiteGbps },
  };
}

function resolveDataSite(profile: WorkloadProfile, context: RecommendationContext): string | undefined {
  const location = profile.dataset?.location;
  if (!location) return undefined;
  const siteId = 'siteId' in location ? location.siteId : context.datasetSites?.[location.datasetId];
  if (siteId === undefined) {
    throw ValidationError.field('dataset.location.datasetId', `"${(location as { datasetId: string }).datasetId}" is not a dataset the catalogue can place`);
  }
  if (!context.sites.some((s) => s.id === siteId)) throw ValidationError.field('dataset.location.siteId', `"${siteId}" is not a KAIRR site`);
  return siteId;
}
