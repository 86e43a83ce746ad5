// The public record: awarded projects without personal data, and fairness figures over them. Pure:
// the store hands in plain facts (one per award, one per decided proposal); the aggregates are
// computed here so that the tests can check them against the ledger, entry by entry.
import { encodeTextCell } from '../audit/csv';
import { fromMc, type Mc } from '../ledger/money';
import { addCounts, emptyCounts, type OutcomeCounts } from './outcomes';

export interface Listing {
  /** The PI agreed to be named. */
  showPi: boolean;
  /** The name shown when showPi (copied from the proposal when the PI opted in). */
  piName?: string;
  unlisted?: { reason: string; requestedAt: string; state: 'requested' | 'accepted' | 'rejected'; decidedBy?: string; decidedAt?: string; comment?: string };
}

/** Listed unless the chair accepted a request to stay unlisted; a request not yet decided keeps it out too (privacy first). */
export const isListed = (l: Listing) => !l.unlisted || l.unlisted.state === 'rejected';

export interface AwardFacts {
  allocationId: string;
  callId: string | null;
  title: string;
  abstract: string;
  field: string;
  organisation: string;
  orgType: string;
  region: string;
  startDate: string;
  endDate: string;
  state: string;
  /** The ledger's awarded credits per resource (award + tranches released - returned), and used. */
  resources: Record<string, { awardedMc: Mc; usedMc: Mc }>;
  /** The whole award with the tranches not released yet. */
  committedMc: Mc;
  outcomes: OutcomeCounts;
  listing: Listing;
}

export interface DecidedProposal {
  callId: string;
  orgType: string;
  region: string;
  field: string;
  organisation: string;
  approved: boolean;
}

export function awardView(a: AwardFacts) {
  const resources = Object.entries(a.resources)
    .sort(([x], [y]) => x.localeCompare(y))
    .map(([resource, r]) => ({ resource, awarded: fromMc(r.awardedMc), used: fromMc(r.usedMc) }));
  const awardedMc = Object.values(a.resources).reduce((s, r) => s + r.awardedMc, 0);
  const usedMc = Object.values(a.resources).reduce((s, r) => s + r.usedMc, 0);
  return {
    allocationId: a.allocationId,
    callId: a.callId,
    title: a.title,
    abstract: a.abstract,
    field: a.field,
    organisation: a.organisation,
    orgType: a.orgType,
    region: a.region,
    ...(a.listing.showPi && a.listing.piName ? { pi: a.listing.piName } : {}),
    startDate: a.startDate,
    endDate: a.endDate,
    state: a.state,
    resources,
    credits: { awarded: fromMc(awardedMc), used: fromMc(usedMc), committed: fromMc(Math.max(a.committedMc, awardedMc)) },
    outcomes: a.outcomes,
  };
}
export type AwardView = ReturnType<typeof awardView>;

// ---- aggregates ---------------------------------------------------------------------------

export interface GroupStats {
  key: string;
  awards: number;
  creditsAwarded: number;
  creditsUsed: number;
  proposalsDecided: number;
  approved: number;
  /** approved / decided, 4 decimals; null when nothing was decided. */
  successRate: number | null;
  outcomes: OutcomeCounts;
}

export interface Concentration {
  organisations: number;
  /** Share of the credits awarded held by the 10 organisations with the most. */
  top10Share: number | null;
  /** Gini coefficient of credits awarded over the organisations that hold an award (0 = equal). */
  gini: number | null;
  /** The same over every organisation with a decided proposal, the unfunded counting as 0. */
  giniIncludingUnfunded: number | null;
}

export interface PublicStats {
  callId: string | null;
  awards: number;
  creditsAwarded: number;
  creditsUsed: number;
  proposalsDecided: number;
  approved: number;
  successRate: number | null;
  outcomes: OutcomeCounts;
  byOrgType: GroupStats[];
  byRegion: GroupStats[];
  byField: GroupStats[];
  byCall: GroupStats[];
  /** By quarter of the award's start. */
  overTime: GroupStats[];
  concentration: Concentration;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Gini coefficient of non-negative values (sorted formula; 0 for fewer than two or a zero total). */
export function gini(values: readonly number[]): number | null {
  if (!values.length) return null;
  const xs = [...values].sort((a, b) => a - b);
  const n = xs.length;
  const total = xs.reduce((s, x) => s + x, 0);
  if (total <= 0) return 0;
  let weighted = 0;
  xs.forEach((x, i) => (weighted += (i + 1) * x));
  return round4((2 * weighted) / (n * total) - (n + 1) / n);
}

export function topShare(values: readonly number[], k: number): number | null {
  const total = values.reduce((s, x) => s + x, 0);
  if (total <= 0) return null;
  const top = [...values]
    .sort((a, b) => b - a)
    .slice(0, k)
    .reduce((s, x) => s + x, 0);
  return round4(top / total);
}

export const quarterOf = (date: string) => `${date.slice(0, 4)}-Q${Math.floor((Number(date.slice(5, 7)) - 1) / 3) + 1}`;

class Acc {
  awards = 0;
  awardedMc = 0;
  usedMc = 0;
  decided = 0;
  approved = 0;
  outcomes = emptyCounts();
  constructor(readonly key: string) {}
  view(): GroupStats {
    return {
      key: this.key,
      awards: this.awards,
      creditsAwarded: fromMc(this.awardedMc),
      creditsUsed: fromMc(this.usedMc),
      proposalsDecided: this.decided,
      approved: this.approved,
      successRate: this.decided ? round4(this.approved / this.decided) : null,
      outcomes: this.outcomes,
    };
  }
}

function sums(a: AwardFacts): { awardedMc: Mc; usedMc: Mc } {
  let awardedMc = 0;
  let usedMc = 0;
  for (const r of Object.values(a.resources)) (awardedMc += r.awardedMc), (usedMc += r.usedMc);
  return { awardedMc, usedMc };
}

/**
 * Aggregates over every award (listed or not: an unlisted award is counted, never shown) and
 * every decided proposal, for one call or for all.
 */
export function publicStats(awards: readonly AwardFacts[], decided: readonly DecidedProposal[], callId: string | null): PublicStats {
  const mine = awards.filter((a) => callId === null || a.callId === callId);
  const props = decided.filter((p) => callId === null || p.callId === callId);
  const total = new Acc('all');
  const dims = { orgType: new Map<string, Acc>(), region: new Map<string, Acc>(), field: new Map<string, Acc>(), call: new Map<string, Acc>(), time: new Map<string, Acc>() };
  const group = (m: Map<string, Acc>, k: string) => {
    let g = m.get(k);
    if (!g) m.set(k, (g = new Acc(k)));
    return g;
  };
  const byOrg = new Map<string, number>();
  for (const a of mine) {
    const s = sums(a);
    const keys: [Map<string, Acc>, string][] = [
      [dims.orgType, a.orgType],
      [dims.region, a.region],
      [dims.field, a.field],
      [dims.call, a.callId ?? 'none'],
      [dims.time, quarterOf(a.startDate)],
    ];
    for (const g of [total, ...keys.map(([m, k]) => group(m, k))]) {
      g.awards++;
      g.awardedMc += s.awardedMc;
      g.usedMc += s.usedMc;
      g.outcomes = addCounts(g.outcomes, a.outcomes);
    }
    byOrg.set(a.organisation, (byOrg.get(a.organisation) ?? 0) + s.awardedMc);
  }
  const applicants = new Set<string>();
  for (const p of props) {
    applicants.add(p.organisation);
    for (const g of [total, group(dims.orgType, p.orgType), group(dims.region, p.region), group(dims.field, p.field), group(dims.call, p.callId)]) {
      g.decided++;
      if (p.approved) g.approved++;
    }
  }
  const funded = [...byOrg.values()];
  const withUnfunded = [...funded, ...[...applicants].filter((o) => !byOrg.has(o)).map(() => 0)];
  const sorted = (m: Map<string, Acc>) => [...m.values()].map((g) => g.view()).sort((x, y) => x.key.localeCompare(y.key));
  const t = total.view();
  return {
    callId,
    awards: t.awards,
    creditsAwarded: t.creditsAwarded,
    creditsUsed: t.creditsUsed,
    proposalsDecided: t.proposalsDecided,
    approved: t.approved,
    successRate: t.successRate,
    outcomes: t.outcomes,
    byOrgType: sorted(dims.orgType),
    byRegion: sorted(dims.region),
    byField: sorted(dims.field),
    byCall: callId === null ? sorted(dims.call) : [],
    overTime: sorted(dims.time),
    concentration: { organisations: byOrg.size, top10Share: topShare(funded, 10), gini: gini(funded), giniIncludingUnfunded: gini(withUnfunded) },
  };
}

// ---- CSV ------------------------------------------------------------------------------------

const text = (s: string | null | undefined) => encodeTextCell(s ?? null);
const row = (cells: (string | number)[]) => cells.map(String).join(',') + '\r\n';
const OUTCOME_COLUMNS = ['publications', 'datasets', 'models', 'software', 'patents', 'startups', 'peopleTrained'] as const;

export const AWARD_CSV_HEADER = row([
  'allocationId',
  'callId',
  'title',
  'abstract',
  'field',
  'organisation',
  'orgType',
  'region',
  'pi',
  'startDate',
  'endDate',
  'state',
  'resources',
  'creditsAwarded',
  'creditsUsed',
  'creditsCommitted',
  ...OUTCOME_COLUMNS,
]);

export function awardCsvRow(v: AwardView): string {
  return row([
    text(v.allocationId),
    text(v.callId),
    text(v.title),
    text(v.abstract),
    text(v.field),
    text(v.organisation),
    text(v.orgType),
    text(v.region),
    text(v.pi ?? null),
    text(v.startDate),
    text(v.endDate),
    text(v.state),
    text(v.resources.map((r) => r.resource).join(' ')),
    v.credits.awarded,
    v.credits.used,
    v.credits.committed,
    ...OUTCOME_COLUMNS.map((k) => v.outcomes[k] ?? 0),
  ]);
}

export function statsCsv(s: PublicStats): string {
  let out = row(['callId', 'dimension', 'group', 'awards', 'creditsAwarded', 'creditsUsed', 'proposalsDecided', 'approved', 'successRate', ...OUTCOME_COLUMNS]);
  const line = (dim: string, g: GroupStats) => row([text(s.callId), text(dim), text(g.key), g.awards, g.creditsAwarded, g.creditsUsed, g.proposalsDecided, g.approved, g.successRate ?? '', ...OUTCOME_COLUMNS.map((k) => g.outcomes[k] ?? 0)]);
  out += line('all', { key: 'all', awards: s.awards, creditsAwarded: s.creditsAwarded, creditsUsed: s.creditsUsed, proposalsDecided: s.proposalsDecided, approved: s.approved, successRate: s.successRate, outcomes: s.outcomes });
  for (const [dim, list] of [
    ['orgType', s.byOrgType],
    ['region', s.byRegion],
    ['field', s.byField],
    ['call', s.byCall],
    ['quarter', s.overTime],
  ] as const)
    for (const g of list) out += line(dim, g);
  return out;
}
