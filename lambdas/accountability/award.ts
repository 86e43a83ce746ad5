// What an award opens, in the award's own transaction (the approval flow's award step calls this):
// the report schedule and tranches the call's policy sets, with only the first tranche granted by
// the award itself, and the award's entry in the public record. A call without a policy gets its
// public listing only; its allocations follow the stage's default idle rule.
import type { Change } from '../shared/store/write-path';
import type { Mc } from '../domain/ledger/money';
import type { AccountabilityRecord } from '../domain/accountability/model';
import { buildReports, nextActionAt } from '../domain/accountability/schedule';
import { splitTranches } from '../domain/accountability/tranches';
import { emptyCounts } from '../domain/accountability/outcomes';
import { orgDirectory, orgKey } from './org-directory';
import { listingChange, readPolicy, recordChange, type ListingRecord } from './store';

export interface AwardFacts {
  allocationId: string;
  callId: string | null;
  proposal: { id: string; title: string; abstract?: string; field?: string; pi?: { institution: string; orgType: string }; workload?: { purpose?: string } };
  awardMc: Record<string, Mc>;
  startDate: string;
  endDate: string;
  now: Date;
}

export async function accountabilityAtAward(f: AwardFacts): Promise<{ awardsMc: Record<string, Mc>; extraChanges: Change[] }> {
  const t = f.now.toISOString();
  const changes: Change[] = [];
  let awardsMc = { ...f.awardMc };
  const stored = f.callId ? await readPolicy(f.callId) : null;
  const committedMc = Object.values(f.awardMc).reduce((s, v) => s + v, 0);
  if (stored) {
    const policy = stored.policy.policy;
    let tranches = splitTranches(policy, f.awardMc);
    const first = Object.fromEntries(Object.entries(tranches[0].amountsMc).filter(([, v]) => v > 0));
    // an award too small to split (every first share rounds to nothing) is released whole
    if (!Object.keys(first).length) tranches = [{ trancheId: 't1', share: 1, releaseOn: 'start', amountsMc: { ...f.awardMc } }];
    else awardsMc = first;
    tranches[0] = { ...tranches[0], releasedAt: t, releasedBy: 'system:approval-flow', releaseReason: 'the award' };
    const record: AccountabilityRecord = {
      allocationId: f.allocationId,
      callId: f.callId,
      proposalId: f.proposal.id,
      purpose: f.proposal.workload?.purpose ?? null,
      policy,
      startDate: f.startDate,
      endDate: f.endDate,
      committedMc: { ...f.awardMc },
      reports: buildReports(policy, f.startDate, f.endDate),
      tranches,
      idle: {},
      createdAt: t,
      updatedAt: t,
    };
    changes.push(recordChange(null, record, nextActionAt(record, f.now), 'accountability.open', { reports: record.reports.map((r) => `${r.reportId}@${r.dueDate}`), tranches: tranches.map((x) => x.trancheId) }));
  }
  const q = { institution: f.proposal.pi?.institution ?? 'unspecified', orgType: f.proposal.pi?.orgType ?? 'unspecified' };
  const org = (await orgDirectory().resolve([q])).get(orgKey(q))!;
  const listing: ListingRecord = {
    allocationId: f.allocationId,
    callId: f.callId,
    proposalId: f.proposal.id,
    title: f.proposal.title,
    abstract: f.proposal.abstract ?? '',
    field: f.proposal.field ?? 'unspecified',
    organisation: org.organisation,
    orgType: org.orgType,
    region: org.region,
    startDate: f.startDate,
    endDate: f.endDate,
    committedMc,
    outcomes: emptyCounts(),
    listing: { showPi: false },
    createdAt: t,
    updatedAt: t,
  };
  changes.push(listingChange(null, listing, 'public-listing.open'));
  return { awardsMc, extraChanges: changes };
}
