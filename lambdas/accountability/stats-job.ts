// The daily job's last part: the public aggregates, recomputed from the ledger's figures (every
// award's allocation, listed or not) and the decided proposals, then stored as one item per call
// and one over all calls. A snapshot is written through the audited path only when its figures
// changed. Each award's org type and region are resolved again through the organisation directory,
// so that a registry's verified types reach the public record by the next day.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { accountabilityGsi, accountabilityKeys, keys } from '../shared/store/keys';
import { digestOf } from '../domain/audit/jcs';
import { allocationOf } from '../ledger';
import { proposalsInState } from '../approval';
import { batchGet } from '../shared/store/batch-get';
import type { AuditContext, Change, Item } from '../shared/store/write-path';
import { publicStats, type AwardFacts, type DecidedProposal } from '../domain/accountability/public-record';
import { orgDirectory, orgKey, type OrgQuery } from './org-directory';
import { commitAccountability, getItem, listingChange, listingOf, type ListingRecord } from './store';
import { factsOf } from './public';

async function allOf(index: 'gsi1' | 'gsi2', pk: string): Promise<Item[]> {
  const out: Item[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ TableName: mainTable(), IndexName: index, KeyConditionExpression: `${index}pk = :p`, ExpressionAttributeValues: { ':p': pk }, ExclusiveStartKey: start }));
    out.push(...((page.Items ?? []) as Item[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

async function decidedProposals(): Promise<{ callId: string; q: OrgQuery; field: string; approved: boolean }[]> {
  const out: { callId: string; q: OrgQuery; field: string; approved: boolean }[] = [];
  for (const state of ['approved', 'rejected']) {
    for (const p of await proposalsInState(state)) {
      out.push({ callId: p.callId, q: { institution: p.pi?.institution ?? 'unspecified', orgType: p.pi?.orgType ?? 'unspecified' }, field: p.field ?? 'unspecified', approved: state === 'approved' });
    }
  }
  return out;
}

export interface StatsRun {
  awards: number;
  decided: number;
  snapshots: number;
  written: number;
  listingsRefreshed: number;
}

export async function refreshPublicStats(ctx: AuditContext): Promise<StatsRun> {
  const now = ctx.now ?? new Date();
  const items = [...(await allOf('gsi1', accountabilityGsi.publicAwards)), ...(await allOf('gsi1', accountabilityGsi.unlistedAwards))];
  const listings = items.map((it) => ({ listing: listingOf(it), item: it }));
  const allocs = await batchGet(listings.map((l) => keys.allocation(l.listing.allocationId)));
  const decided = await decidedProposals();
  const queries = new Map<string, OrgQuery>();
  for (const l of listings) queries.set(orgKey({ institution: l.listing.organisation, orgType: l.listing.orgType }), { institution: l.listing.organisation, orgType: l.listing.orgType });
  for (const p of decided) queries.set(orgKey(p.q), p.q);
  const orgs = await orgDirectory().resolve([...queries.values()]);
  // a listing whose resolved org type or region changed is updated (audited), so filters follow
  let refreshed = 0;
  const awards: AwardFacts[] = [];
  for (const { listing, item } of listings) {
    const org = orgs.get(orgKey({ institution: listing.organisation, orgType: listing.orgType }));
    let l: ListingRecord = listing;
    if (org && (org.orgType !== listing.orgType || org.region !== listing.region)) {
      l = { ...listing, orgType: org.orgType, region: org.region, updatedAt: now.toISOString() };
      await commitAccountability(ctx, { changes: [listingChange(item, l, 'public-listing.organisation', { orgType: org.orgType, region: org.region, verified: org.verified })] });
      refreshed++;
    }
    const k = keys.allocation(l.allocationId);
    const a = allocs.get(`${k.pk}|${k.sk}`);
    awards.push(factsOf(l, a ? allocationOf(a) : undefined));
  }
  const props: DecidedProposal[] = decided.map((p) => {
    const org = orgs.get(orgKey(p.q));
    return { callId: p.callId, orgType: org?.orgType ?? p.q.orgType, region: org?.region ?? 'unspecified', field: p.field, organisation: org?.organisation ?? p.q.institution, approved: p.approved };
  });
  const scopes: (string | null)[] = [null, ...new Set([...awards.map((a) => a.callId).filter((c): c is string => !!c), ...props.map((p) => p.callId)])];
  let written = 0;
  for (const scope of scopes) {
    const stats = publicStats(awards, props, scope);
    const digest = digestOf(stats as never);
    const key = accountabilityKeys.publicStats(scope);
    const prior = await getItem(key);
    if (prior && prior.digest === digest) continue;
    const change: Change = {
      subject: { type: 'public-stats', id: scope ?? 'all' },
      before: prior,
      after: { ...key, callId: scope, stats, digest, generatedAt: now.toISOString() } as Item,
      action: 'public-stats.refresh',
      details: { awards: stats.awards, creditsAwarded: stats.creditsAwarded, gini: stats.concentration.gini },
    };
    await commitAccountability(ctx, { changes: [change] });
    written++;
  }
  return { awards: awards.length, decided: props.length, snapshots: scopes.length, written, listingsRefreshed: refreshed };
}
