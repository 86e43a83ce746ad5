// The migration to site accounts. Allocations made before site accounts carry, per member, the
// scheduler user name the requester typed (Member.username). They keep working: the site's
// operator runs this (dry run first), and each person's typed name becomes their site account, as
// if the operator had confirmed it, where that can be trusted:
//   - one person typed it, and only that one name (at any allocation at the site);
//   - the site's policy allows it (not root, not a system or service account, the right pattern);
//   - nobody holds it at the site already.
// Everyone else gets a pending request with KAIRR's proposed login and a note saying why, for the
// operators to decide: a name two people claimed could be either's, and "root" is nobody's.
// Names that become accounts are the ones the scheduler already has, so nothing changes there; the
// associations of the others are removed by the next convergence (their jobs stop being dispatched
// until the site confirms an account).
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../../shared/store/client';
import { gsi } from '../../shared/store/keys';
import { StaleWriteError, type AuditContext } from '../../shared/store/write-path';
import { domainEvent, publish } from '../../shared/events/outbox';
import { allocationOf } from '../../ledger';
import type { Allocation } from '../../domain/ledger/model';
import { slurmUserName } from '../../domain/scheduler-mapping';
import { proposedUsername, usernameProblem, type SiteAccount } from '../../domain/site-accounts';
import { siteOf } from '../sites';
import { assertSiteSide, type SiteSide } from './service';
import { holderOf, siteAccountsOf, UsernameTakenError, writeSiteAccount } from './store';

export interface MigrationPlan {
  dryRun: boolean;
  created: { sub: string; username: string; allocations: string[] }[];
  pending: { sub: string; proposedUsername: string; note: string; allocations: string[] }[];
  /** People who have a site account (of any state) already. */
  skipped: number;
}

async function allocationsAtSite(siteId: string): Promise<Allocation[]> {
  const out: Allocation[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': gsi.allAllocations }, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []).map(allocationOf).filter((a) => Object.keys(a.resources).some((k) => k.startsWith(`${siteId}/`))));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function migrateSiteAccounts(side: SiteSide, siteId: string, opts: { dryRun: boolean; requestId: string }): Promise<MigrationPlan> {
  const site = siteOf(siteId, 'siteId');
  assertSiteSide(side, site);
  const ctx: AuditContext = {
    actor: side.kind === 'operator' ? { sub: side.caller.sub, role: 'site-operator' } : { sub: `system:connector-${site.id}`, role: 'system' },
    requestId: opts.requestId,
    reason: 'migration of typed scheduler user names to site accounts',
  };
  const names = new Map<string, Set<string>>(); // sub → the names they typed
  const claimants = new Map<string, Set<string>>(); // name → who typed it
  const where = new Map<string, Set<string>>(); // sub → allocations
  for (const a of await allocationsAtSite(site.id)) {
    for (const m of a.members) {
      (where.get(m.sub) ?? where.set(m.sub, new Set()).get(m.sub)!).add(a.id);
      if (!m.username) continue;
      const n = slurmUserName(m.username);
      (names.get(m.sub) ?? names.set(m.sub, new Set()).get(m.sub)!).add(n);
      (claimants.get(n) ?? claimants.set(n, new Set()).get(n)!).add(m.sub);
    }
  }
  const have = await siteAccountsOf([...where.keys()].map((sub) => ({ siteId: site.id, sub })));
  const plan: MigrationPlan = { dryRun: opts.dryRun, created: [], pending: [], skipped: 0 };
  const pend = (sub: string, note: string) => plan.pending.push({ sub, proposedUsername: proposedUsername(sub, site.accounts.proposedPrefix), note, allocations: [...where.get(sub)!].sort() });
  for (const sub of [...where.keys()].sort()) {
    if (have.has(`${site.id}#${sub}`)) {
      plan.skipped += 1;
      continue;
    }
    const typed = [...(names.get(sub) ?? [])].sort();
    if (typed.length === 0) {
      pend(sub, 'no scheduler user name was recorded for this member');
      continue;
    }
    if (typed.length > 1) {
      pend(sub, `typed more than one name (${typed.join(', ')}): the site decides which login is theirs`);
      continue;
    }
    const name = typed[0];
    const bad = usernameProblem(site, name);
    if (bad) {
      pend(sub, `typed "${name}": ${bad.problem}`);
      continue;
    }
    const others = [...claimants.get(name)!].filter((s) => s !== sub);
    if (others.length) {
      pend(sub, `"${name}" was typed by ${others.length + 1} people: the site decides whose login it is`);
      continue;
    }
    const holder = await holderOf(site.id, name);
    if (holder && holder !== sub) {
      pend(sub, `"${name}" is another person's login at ${site.id}`);
      continue;
    }
    plan.created.push({ sub, username: name, allocations: [...where.get(sub)!].sort() });
  }
  if (opts.dryRun) return plan;

  const now = new Date().toISOString();
  for (const c of [...plan.created]) {
    const acct: SiteAccount = {
      siteId: site.id,
      sub: c.sub,
      state: 'active',
      proposedUsername: proposedUsername(c.sub, site.accounts.proposedPrefix),
      username: c.username,
      requestedAt: now,
      confirmedAt: now,
      confirmedBy: ctx.actor.sub,
      origin: 'migration',
      note: 'migrated from the scheduler user name typed before site accounts',
      updatedAt: now,
    };
    try {
      await writeSiteAccount(null, acct, 'site-account.migrate', ctx);
    } catch (e) {
      if (e instanceof StaleWriteError) continue; // someone created it meanwhile
      if (!(e instanceof UsernameTakenError)) throw e;
      plan.created = plan.created.filter((x) => x !== c);
      pend(c.sub, `"${c.username}" was taken by another person meanwhile`);
    }
  }
  for (const p of plan.pending) {
    const acct: SiteAccount = { siteId: site.id, sub: p.sub, state: 'pending', proposedUsername: p.proposedUsername, requestedAt: now, requestedFor: p.allocations[0], note: p.note, updatedAt: now };
    try {
      await writeSiteAccount(null, acct, 'site-account.migrate', ctx);
    } catch (e) {
      if (!(e instanceof StaleWriteError)) throw e;
    }
  }
  // associations follow the accounts: the pending ones lose the name they typed
  const touched = new Set(plan.pending.flatMap((p) => p.allocations));
  await publish([...touched].sort().map((allocationId) => domainEvent('AllocationMembersChanged', { allocationId, added: [], removed: [], siteAccount: { siteId: site.id, change: 'migrated' } })));
  return plan;
}
