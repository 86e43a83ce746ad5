// The allocation and fairness reports, as pure functions over plain facts (report-sources.ts reads
// them), and their CSV forms. Credits are summed as integer millicredits and shown as credits.
// CSV text cells use the audit export's cell rule (lambdas/domain/audit/csv.ts): a value that a
// spreadsheet would run as a formula (= + - @ TAB CR) gets a leading apostrophe.
import { encodeTextCell } from '../domain/audit';
import { fromMc, type Mc } from '../domain/ledger/money';

// ---- allocation records ------------------------------------------------------------------------

export interface AllocationFacts {
  id: string;
  title: string;
  state: string;
  piSub: string;
  institution: string;
  orgType: string;
  field: string;
  callId: string | null;
  proposalId: string | null;
  tier: string | null;
  startDate: string;
  endDate: string;
  resources: Record<string, { awardedMc: Mc; balanceMc: Mc; usedMc: Mc; overLimitMc: Mc }>;
}

export interface Credits {
  awarded: number;
  used: number;
  remaining: number;
  overLimit: number;
}
export interface ResourceCredits extends Credits {
  resource: string;
}
export interface GroupTotals {
  key: string | null;
  allocations: number;
  resources: ResourceCredits[];
  totals: Credits;
}
export interface AllocationRow {
  allocationId: string;
  title: string;
  state: string;
  piSub: string;
  institution: string;
  orgType: string;
  field: string;
  callId: string | null;
  proposalId: string | null;
  tier: string | null;
  startDate: string;
  endDate: string;
  resources: ResourceCredits[];
  totals: Credits;
}
export interface AllocationReport {
  generatedAt: string;
  filters: Record<string, string>;
  allocations: AllocationRow[];
  totals: { overall: GroupTotals; byOrgType: GroupTotals[]; byField: GroupTotals[]; byInstitution: GroupTotals[]; byCall: GroupTotals[] };
}

type McSums = { awarded: Mc; used: Mc; remaining: Mc; overLimit: Mc };
const zero = (): McSums => ({ awarded: 0, used: 0, remaining: 0, overLimit: 0 });
const credits = (s: McSums): Credits => ({ awarded: fromMc(s.awarded), used: fromMc(s.used), remaining: fromMc(s.remaining), overLimit: fromMc(s.overLimit) });
const add = (to: McSums, r: { awardedMc: Mc; balanceMc: Mc; usedMc: Mc; overLimitMc: Mc }) => {
  to.awarded += r.awardedMc ?? 0;
  to.used += r.usedMc ?? 0;
  to.remaining += r.balanceMc ?? 0;
  to.overLimit += r.overLimitMc ?? 0;
};
const byKey = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

class Group {
  allocations = 0;
  readonly resources = new Map<string, McSums>();
  readonly total = zero();
  constructor(readonly key: string | null) {}
  add(a: AllocationFacts) {
    this.allocations++;
    for (const [res, r] of Object.entries(a.resources)) {
      const s = this.resources.get(res) ?? zero();
      add(s, r);
      this.resources.set(res, s);
      add(this.total, r);
    }
  }
  view(): GroupTotals {
    return { key: this.key, allocations: this.allocations, resources: [...this.resources].sort(([a], [b]) => byKey(a, b)).map(([resource, s]) => ({ resource, ...credits(s) })), totals: credits(this.total) };
  }
}

function groupBy(list: readonly AllocationFacts[], keyOf: (a: AllocationFacts) => string | null): GroupTotals[] {
  const groups = new Map<string | null, Group>();
  for (const a of list) {
    const k = keyOf(a);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = new Group(k)));
    g.add(a);
  }
  return [...groups.values()].map((g) => g.view()).sort((a, b) => byKey(a.key, b.key));
}

export function allocationReport(list: readonly AllocationFacts[], filters: Record<string, string>, generatedAt: string): AllocationReport {
  const sorted = [...list].sort((a, b) => byKey(a.id, b.id));
  const overall = new Group(null);
  const allocations = sorted.map((a) => {
    overall.add(a);
    const total = zero();
    const resources = Object.entries(a.resources)
      .sort(([x], [y]) => byKey(x, y))
      .map(([resource, r]) => {
        const s = zero();
        add(s, r);
        add(total, r);
        return { resource, ...credits(s) };
      });
    return {
      allocationId: a.id,
      title: a.title,
      state: a.state,
      piSub: a.piSub,
      institution: a.institution,
      orgType: a.orgType,
      field: a.field,
      callId: a.callId ?? null,
      proposalId: a.proposalId ?? null,
      tier: a.tier ?? null,
      startDate: a.startDate,
      endDate: a.endDate,
      resources,
      totals: credits(total),
    };
  });
  return {
    generatedAt,
    filters,
    allocations,
    totals: {
      overall: overall.view(),
      byOrgType: groupBy(sorted, (a) => a.orgType),
      byField: groupBy(sorted, (a) => a.field),
      byInstitution: groupBy(sorted, (a) => a.institution),
      byCall: groupBy(sorted, (a) => a.callId ?? null),
    },
  };
}

// ---- CSV ----------------------------------------------------------------------------------------

const num = (n: number | null | undefined) => (n === null || n === undefined ? '' : String(n));
const text = (s: string | null | undefined) => encodeTextCell(s ?? null);
const row = (cells: string[]) => cells.join(',') + '\r\n';

export type AllocationView = 'allocations' | 'byOrgType' | 'byField' | 'byInstitution' | 'byCall';

export function allocationReportCsv(r: AllocationReport, view: AllocationView): string {
  if (view === 'allocations') {
    let out = row(['allocationId', 'title', 'state', 'piSub', 'institution', 'orgType', 'field', 'callId', 'proposalId', 'tier', 'startDate', 'endDate', 'resource', 'awarded', 'used', 'remaining', 'overLimit']);
    for (const a of r.allocations) {
      const lead = [text(a.allocationId), text(a.title), text(a.state), text(a.piSub), text(a.institution), text(a.orgType), text(a.field), text(a.callId), text(a.proposalId), text(a.tier), text(a.startDate), text(a.endDate)];
      const resources = a.resources.length ? a.resources : [null];
      for (const res of resources) out += row([...lead, text(res?.resource), num(res?.awarded), num(res?.used), num(res?.remaining), num(res?.overLimit)]);
    }
    return out;
  }
  const dimension = { byOrgType: 'orgType', byField: 'field', byInstitution: 'institution', byCall: 'callId' }[view];
  let out = row([dimension, 'allocations', 'resource', 'awarded', 'used', 'remaining', 'overLimit']);
  for (const g of r.totals[view]) {
    for (const res of g.resources) out += row([text(g.key), num(g.allocations), text(res.resource), num(res.awarded), num(res.used), num(res.remaining), num(res.overLimit)]);
    if (!g.resources.length) out += row([text(g.key), num(g.allocations), '', '0', '0', '0', '0']);
  }
  return out;
}

// ---- fairness -----------------------------------------------------------------------------------

export interface CallFacts {
  id: string;
  title: string;
  capacityMc: Record<string, Mc>;
  /** Smallest share (0..1) of capacity reserved per org type. */
  fairnessFloors: Record<string, number>;
}

export interface ProposalFacts {
  id: string;
  callId: string;
  orgType: string | null;
  field: string | null;
  /** draft | submitted | in-review | revision-requested | approved | rejected | withdrawn | error */
  state: string;
  requestedMc: Record<string, Mc>;
  /** Awarded per resource when approved. */
  awardedMc: Record<string, Mc> | null;
  /** people: the approving decision was a starter approval reached through training (decision.via). */
  viaTraining?: boolean;
}

/** Approved starter proposals reached through training (a trainedOnly call, or the fast track), by org type. */
export interface TrainingAwards {
  total: number;
  byOrgType: { key: string | null; awards: number }[];
}

export interface FairnessGroup {
  key: string | null;
  /** Submitted proposals (drafts are not counted anywhere). */
  proposals: number;
  /** Submitted, in review or revision requested. */
  pending: number;
  /** Approved + rejected. */
  decided: number;
  approved: number;
  rejected: number;
  withdrawn: number;
  /** approved / decided, 4 decimals; null when nothing is decided. */
  acceptanceRate: number | null;
  requested: Record<string, number>;
  awarded: Record<string, number>;
  requestedTotal: number;
  awardedTotal: number;
  /** Org type groups: the call's floor for it, and awarded / capacity per resource. */
  floor?: number | null;
  awardedShareOfCapacity?: Record<string, number | null>;
}

export interface FairnessCall {
  callId: string;
  title: string;
  capacity: Record<string, number>;
  totals: FairnessGroup;
  byOrgType: FairnessGroup[];
  byField: FairnessGroup[];
  /** Stored award plans and chair overrides of this call (POST /v1/calls/{callId}/award-plan), when kept. */
  awardPlans: Record<string, unknown>[];
}

export interface FairnessReport {
  generatedAt: string;
  filters: Record<string, string>;
  /** Where the inputs came from, so an empty report says why it is empty. */
  source: { proposals: string; awardPlans: string };
  calls: FairnessCall[];
  /** people: the "starter awards reached through training, by org type", over the calls reported. */
  starterAwardsThroughTraining: TrainingAwards;
}

function trainingAwards(proposals: readonly ProposalFacts[]): TrainingAwards {
  const by = new Map<string | null, number>();
  for (const p of proposals) if (p.state === 'approved' && p.viaTraining) by.set(p.orgType, (by.get(p.orgType) ?? 0) + 1);
  const byOrgType = [...by].map(([key, awards]) => ({ key, awards })).sort((a, b) => byKey(a.key, b.key));
  return { total: byOrgType.reduce((s, g) => s + g.awards, 0), byOrgType };
}

const PENDING = new Set(['submitted', 'in-review', 'revision-requested']);
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const mcRecord = (m: Map<string, Mc>) => Object.fromEntries([...m].sort(([a], [b]) => byKey(a, b)).map(([k, v]) => [k, fromMc(v)]));

class FGroup {
  proposals = 0;
  pending = 0;
  approved = 0;
  rejected = 0;
  withdrawn = 0;
  readonly requested = new Map<string, Mc>();
  readonly awarded = new Map<string, Mc>();
  constructor(readonly key: string | null) {}
  add(p: ProposalFacts) {
    this.proposals++;
    if (PENDING.has(p.state)) this.pending++;
    if (p.state === 'approved') this.approved++;
    if (p.state === 'rejected') this.rejected++;
    if (p.state === 'withdrawn') this.withdrawn++;
    for (const [r, v] of Object.entries(p.requestedMc ?? {})) this.requested.set(r, (this.requested.get(r) ?? 0) + v);
    if (p.state === 'approved') for (const [r, v] of Object.entries(p.awardedMc ?? {})) this.awarded.set(r, (this.awarded.get(r) ?? 0) + v);
  }
  view(): FairnessGroup {
    const decided = this.approved + this.rejected;
    const sum = (m: Map<string, Mc>) => fromMc([...m.values()].reduce((s, v) => s + v, 0));
    return {
      key: this.key,
      proposals: this.proposals,
      pending: this.pending,
      decided,
      approved: this.approved,
      rejected: this.rejected,
      withdrawn: this.withdrawn,
      acceptanceRate: decided ? round4(this.approved / decided) : null,
      requested: mcRecord(this.requested),
      awarded: mcRecord(this.awarded),
      requestedTotal: sum(this.requested),
      awardedTotal: sum(this.awarded),
    };
  }
}

export function fairnessReport(
  calls: readonly CallFacts[],
  proposals: readonly ProposalFacts[],
  opts: { filters: Record<string, string>; generatedAt: string; source: FairnessReport['source']; awardPlans?: ReadonlyMap<string, Record<string, unknown>[]> },
): FairnessReport {
  const callById = new Map(calls.map((c) => [c.id, c]));
  const submitted = proposals.filter((p) => p.state !== 'draft');
  for (const p of submitted) if (!callById.has(p.callId)) callById.set(p.callId, { id: p.callId, title: '', capacityMc: {}, fairnessFloors: {} });
  const out: FairnessCall[] = [];
  for (const call of [...callById.values()].sort((a, b) => byKey(a.id, b.id))) {
    const mine = submitted.filter((p) => p.callId === call.id);
    const total = new FGroup(null);
    const orgs = new Map<string | null, FGroup>();
    const fields = new Map<string | null, FGroup>();
    for (const org of Object.keys(call.fairnessFloors ?? {})) orgs.set(org, new FGroup(org));
    for (const p of mine) {
      total.add(p);
      for (const [map, k] of [
        [orgs, p.orgType ?? null],
        [fields, p.field ?? null],
      ] as const) {
        let g = map.get(k);
        if (!g) map.set(k, (g = new FGroup(k)));
        g.add(p);
      }
    }
    const byOrgType = [...orgs.values()].map((g) => {
      const v = g.view();
      const resources = new Set([...Object.keys(call.capacityMc ?? {}), ...g.awarded.keys()]);
      v.floor = g.key !== null ? (call.fairnessFloors?.[g.key] ?? null) : null;
      v.awardedShareOfCapacity = Object.fromEntries(
        [...resources].sort().map((r) => {
          const cap = call.capacityMc?.[r] ?? 0;
          return [r, cap > 0 ? round4((g.awarded.get(r) ?? 0) / cap) : null];
        }),
      );
      return v;
    });
    out.push({
      callId: call.id,
      title: call.title,
      capacity: Object.fromEntries(
        Object.entries(call.capacityMc ?? {})
          .sort(([a], [b]) => byKey(a, b))
          .map(([k, v]) => [k, fromMc(v)]),
      ),
      totals: total.view(),
      byOrgType: byOrgType.sort((a, b) => byKey(a.key, b.key)),
      byField: [...fields.values()].map((g) => g.view()).sort((a, b) => byKey(a.key, b.key)),
      awardPlans: opts.awardPlans?.get(call.id) ?? [],
    });
  }
  return { generatedAt: opts.generatedAt, filters: opts.filters, source: opts.source, calls: out, starterAwardsThroughTraining: trainingAwards(submitted) };
}

export function fairnessReportCsv(r: FairnessReport): string {
  let out = row(['callId', 'callTitle', 'dimension', 'group', 'proposals', 'pending', 'decided', 'approved', 'rejected', 'withdrawn', 'acceptanceRate', 'resource', 'requested', 'awarded', 'capacity', 'floor', 'awardedShareOfCapacity']);
  for (const c of r.calls) {
    const groups: [string, FairnessGroup][] = [['all', c.totals], ...c.byOrgType.map((g) => ['orgType', g] as [string, FairnessGroup]), ...c.byField.map((g) => ['field', g] as [string, FairnessGroup])];
    for (const [dimension, g] of groups) {
      const lead = [text(c.callId), text(c.title), text(dimension), text(g.key), num(g.proposals), num(g.pending), num(g.decided), num(g.approved), num(g.rejected), num(g.withdrawn), num(g.acceptanceRate)];
      const resources = [...new Set([...Object.keys(c.capacity), ...Object.keys(g.requested), ...Object.keys(g.awarded)])].sort();
      if (!resources.length) out += row([...lead, '', '0', '0', '', num(g.floor), '']);
      for (const res of resources) {
        out += row([...lead, text(res), num(g.requested[res] ?? 0), num(g.awarded[res] ?? 0), num(c.capacity[res]), num(g.floor), num(g.awardedShareOfCapacity?.[res])]);
      }
    }
  }
  return out;
}
