// "Let KAIRR recommend": a proposal's workload profile turned into the recommender's, and the
// request it recommends from what the call offers. Bundled on its own beside the proposals
// function (lib/approval/approval.ts) and loaded on first use by proposals.ts: it carries the
// recommender's estimates and zod profile, which no other proposals route needs.
import { issuesToDetails } from '../shared/validation';
import { KairrError, ValidationError, type ErrorDetail } from '../domain/errors';
import { toMc, type Mc } from '../domain/ledger/money';
import type { Site } from '../domain/catalogue';
import { recommend, WorkloadProfileSchema, type WorkloadProfile as RecommenderProfile } from '../domain/recommendation';
import type { Call, RecommendationNote, WorkloadProfile } from '../domain/approval';
import { remainingMc } from '../domain/approval/capacity';

const AI_TRAINING = new Set(['pretraining', 'fine-tuning']);

/** The recommender's profile for a proposal's workload, or the fields it still needs. */
export function recommenderProfile(w: WorkloadProfile): { profile?: RecommenderProfile; problems: { path: string; problem: string }[] } {
  const problems: { path: string; problem: string }[] = [];
  const need = (field: keyof WorkloadProfile, what: string) => {
    if (w[field] === undefined) problems.push({ path: `workload.${field}`, problem: `is required when KAIRR recommends the request (${what})` });
  };
  if (AI_TRAINING.has(w.purpose)) need('modelParameters', 'the model size'), need('trainingTokens', 'the tokens to train on');
  if (w.purpose === 'inference') need('modelParameters', 'the model size'), need('inferenceTokens', 'the tokens to process');
  if (w.purpose === 'hpc-simulation') need('totalPflop', 'the PFLOP of the campaign');
  if (w.purpose === 'ai-for-science' && w.totalPflop === undefined && (w.modelParameters === undefined || w.trainingTokens === undefined)) {
    problems.push({ path: 'workload.totalPflop', problem: 'is required when KAIRR recommends the request (or modelParameters and trainingTokens)' });
  }
  if (problems.length) return { problems };
  const common = {
    precision: w.precision,
    memoryPerGpuGB: w.memoryPerGpuGB,
    interconnect: w.interconnect,
    ...(w.nodes !== undefined ? { nodes: w.nodes } : {}),
    ...('siteId' in w.dataset.location ? { dataset: { sizeGB: w.dataset.sizeGB, location: { siteId: w.dataset.location.siteId } } } : {}),
  };
  const raw =
    w.purpose === 'pretraining' || w.purpose === 'fine-tuning'
      ? { workload: w.purpose, parameters: w.modelParameters, trainingTokens: w.trainingTokens, ...common }
      : w.purpose === 'inference'
        ? { workload: w.purpose, parameters: w.modelParameters, inferenceTokens: w.inferenceTokens, ...common }
        : w.purpose === 'hpc-simulation'
          ? { workload: w.purpose, totalPflop: w.totalPflop, ...common }
          : { workload: w.purpose, parameters: w.modelParameters, trainingTokens: w.trainingTokens, totalPflop: w.totalPflop, ...common };
  const parsed = WorkloadProfileSchema.safeParse(JSON.parse(JSON.stringify(raw)), { reportInput: true });
  if (!parsed.success) return { problems: issuesToDetails(parsed.error.issues, ['workload']) };
  return { profile: parsed.data, problems: [] };
}

export type Recommended = { requestedMc: Record<string, Mc>; note: RecommendationNote } | { refused: { message: string; details: ErrorDetail[] } };

/**
 * Fills the request from the recommender: the best-ranked feasible resource that the call offers.
 * A refusal comes back as data, never thrown: this file is bundled on its own, with its own copy
 * of the error classes, which the proposals function's error map would not recognise.
 */
export function recommendRequest(w: WorkloadProfile, call: Call, sites: readonly Site[], now: Date): Recommended {
  try {
    return pick(w, call, sites, now);
  } catch (e) {
    if (e instanceof KairrError) return { refused: { message: e.message, details: e.details } };
    throw e;
  }
}

function pick(w: WorkloadProfile, call: Call, sites: readonly Site[], now: Date): { requestedMc: Record<string, Mc>; note: RecommendationNote } {
  const { profile, problems } = recommenderProfile(w);
  if (!profile) throw new ValidationError(problems, 'KAIRR cannot recommend a request from this workload profile');
  const rem = remainingMc(call);
  const result = recommend(profile, { sites, now: now.toISOString(), openCallCapacity: Object.fromEntries(Object.entries(rem).map(([k, v]) => [k, v / 1000])) });
  const pick = result.ranked.find((r) => r.feasible && call.capacityMc[r.resourceKey] !== undefined && r.estimate?.credits != null);
  if (!pick?.estimate?.credits) {
    const why = result.ranked
      .filter((r) => call.capacityMc[r.resourceKey] !== undefined)
      .map((r) => `${r.resourceKey}: ${r.blockers.join('; ') || 'no estimate'}`)
      .join(' | ');
    throw ValidationError.field('recommend', `found no feasible resource this call offers for the workload (${why || `call ${call.id} offers none of the recommender's resources`}); request credits explicitly`);
  }
  const credits = Math.max(1, Math.ceil(pick.estimate.credits));
  return { requestedMc: { [pick.resourceKey]: toMc(credits) }, note: { resource: pick.resourceKey, credits, generatedAt: result.generatedAt, basis: result.basis.slice(0, 20) } };
}
