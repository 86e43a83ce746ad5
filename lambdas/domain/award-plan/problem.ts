// The award-plan input in canonical form: proposals sorted by id, resources by key, requests as
// flat typed arrays. Sorting here is what makes a plan independent of the order the caller listed
// things in, so anyone can re-run it from the stored input and get the same plan.
import { ValidationError, type ErrorDetail } from '../errors';
import { ORG_TYPES, type AwardPlanInput, type OrgType } from './schema';

export interface CanonicalProblem {
  callId?: string;
  /** Resource keys, sorted. */
  keys: string[];
  capacity: Float64Array;
  totalCapacity: number;
  /** Proposals, sorted by id. */
  n: number;
  ids: string[];
  /** Index into ORG_TYPES. */
  org: Uint8Array;
  score: Float64Array;
  /** Minimum viable fraction in force for each proposal. */
  f: Float64Array;
  /** Lines (resource requests > 0) of proposal p are lineStart[p] .. lineStart[p+1]-1, sorted by key. */
  lineStart: Int32Array;
  lineKey: Int32Array;
  lineReq: Float64Array;
  /** The proposal each line belongs to. */
  lineProposal: Int32Array;
  /** Index of a line whose minimum viable award exceeds its resource's whole capacity, else -1. */
  unfundableLine: Int32Array;
  /** Floor share per org type (ORG_TYPES order). */
  floorShare: Float64Array;
}

/** Relative tolerance used when comparing credit amounts that came out of floating-point arithmetic. */
export const CREDIT_TOL = 1e-7;

export function canonicalize(input: AwardPlanInput): CanonicalProblem {
  const details: ErrorDetail[] = [];
  const keys = Object.keys(input.capacity).sort();
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  const capacity = Float64Array.from(keys, (k) => input.capacity[k]);
  const totalCapacity = capacity.reduce((a, b) => a + b, 0);

  const order = input.proposals.map((_, i) => i).sort((a, b) => cmp(input.proposals[a].id, input.proposals[b].id));
  const n = order.length;
  const ids: string[] = new Array(n);
  const org = new Uint8Array(n);
  const score = new Float64Array(n);
  const f = new Float64Array(n);
  const lineStart = new Int32Array(n + 1);
  const lineKeyList: number[] = [];
  const lineReqList: number[] = [];
  const unfundableLine = new Int32Array(n).fill(-1);

  for (let p = 0; p < n; p++) {
    const i = order[p];
    const prop = input.proposals[i];
    if (p > 0 && ids[p - 1] === prop.id) {
      details.push({ path: `proposals[${i}].id`, problem: `duplicates another proposal's id "${prop.id}"` });
    }
    ids[p] = prop.id;
    org[p] = ORG_TYPES.indexOf(prop.orgType);
    score[p] = prop.score;
    f[p] = prop.minViableFraction ?? input.minViableFraction;
    lineStart[p] = lineKeyList.length;
    for (const key of Object.keys(prop.requested).sort()) {
      const k = keyIndex.get(key);
      if (k === undefined) {
        details.push({ path: `proposals[${i}].requested.${key}`, problem: 'is not a resource this call offers' });
        continue;
      }
      const req = prop.requested[key];
      if (!(req > 0)) continue;
      if (unfundableLine[p] < 0 && f[p] * req > capacity[k] * (1 + CREDIT_TOL)) unfundableLine[p] = lineKeyList.length;
      lineKeyList.push(k);
      lineReqList.push(req);
    }
  }
  lineStart[n] = lineKeyList.length;
  const lineProposal = new Int32Array(lineKeyList.length);
  for (let p = 0; p < n; p++) lineProposal.fill(p, lineStart[p], lineStart[p + 1]);
  if (details.length > 0) throw new ValidationError(details, 'The award-plan input is invalid');

  // "unverified" has no floor: its share is 0, so it is never held to one.
  const floorShare = Float64Array.from(ORG_TYPES, (t) => (t === 'unverified' ? 0 : (input.floors[t] ?? 0)));
  return {
    callId: input.callId,
    keys,
    capacity,
    totalCapacity,
    n,
    ids,
    org,
    score,
    f,
    lineStart,
    lineKey: Int32Array.from(lineKeyList),
    lineReq: Float64Array.from(lineReqList),
    lineProposal,
    unfundableLine,
    floorShare,
  };
}

export function orgTypeAt(i: number): OrgType {
  return ORG_TYPES[i];
}

/** Code-unit order, not locale order: the same on every machine. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
