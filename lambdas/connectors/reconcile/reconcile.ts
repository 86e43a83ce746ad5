// The reconciler of one site: compares KAIRR's allocations with the scheduler's accounts,
// associations and limits, repairs the drift through the same converge() the provisioning flow
// uses, finishes provisionings that failed or were lost, and reports every change it made. A run
// that changed something (or could not) is recorded as an audited connector change.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { runtimeConfig } from '../../shared/config';
import { ddb, mainTable } from '../../shared/store/client';
import { gsi } from '../../shared/store/keys';
import type { AuditContext } from '../../shared/store/write-path';
import { allocationOf } from '../../ledger';
import type { Allocation } from '../../domain/ledger/model';
import { toMc } from '../../domain/ledger/money';
import { newId } from '../../domain/ids';
import { ACCOUNT_PREFIX } from '../../domain/scheduler-mapping';
import type { AccountState } from '../driver';
import { desiredAccounts, type DesiredAccount } from '../desired';
import { inStep, type AccountChange, type ChangeAction } from '../converge';
import { convergeResource } from '../converge-allocation';
import { driverFor, siteOf, withCredentialRefresh } from '../sites';
import { CONNECTOR_REASON, recordProvisioned } from '../allocation-writes';
import { recordReconcileRun } from '../state';
import { loginsOf } from '../site-accounts/logins';
import { logger } from '../../shared/log';

/** A new allocation's provisioning flow gets this long before the reconciler steps in. */
export const PROVISIONING_GRACE_MS = 10 * 60_000;
/** At most this many entries of each list go into the audit event (the counts are always exact). */
const AUDIT_LIST_CAP = 100;

export interface ReconcileResult {
  siteId: string;
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  allocationsChecked: number;
  accountsChecked: number;
  changes: (AccountChange & { allocationId: string; resourceKey: string })[];
  /** Allocations whose accounts were recorded or whose state was restored (audited allocation changes). */
  restored: { allocationId: string; from: string; to: string; recorded: string[] }[];
  deferred: { allocationId: string; account: string; action: ChangeAction; user?: string; reason: string }[];
  errors: { allocationId?: string; resourceKey?: string; account?: string; error: string; transient: boolean }[];
  /** KAIRR-named accounts under the parent account that no allocation owns. */
  orphans: { account: string; action: 'reported' | 'blocked' | 'already-blocked' }[];
  skipped: { allocationId: string; reason: string }[];
}

async function allAllocations(): Promise<Allocation[]> {
  const out: Allocation[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb().send(new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': gsi.allAllocations }, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []).map(allocationOf));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

export async function reconcileSite(siteId: string, opts: { now?: Date; requestId?: string } = {}): Promise<ReconcileResult> {
  const started = opts.now ?? new Date();
  const cfg = runtimeConfig();
  const site = siteOf(siteId, 'siteId');
  const driver = driverFor(site.id);
  const ctx: AuditContext = { actor: { sub: `system:reconciler-${site.id}`, role: 'system' }, requestId: opts.requestId ?? newId('rec'), reason: 'scheduled reconciliation' };
  const result: ReconcileResult = {
    siteId: site.id,
    runId: ctx.requestId,
    startedAt: started.toISOString(),
    finishedAt: '',
    durationMs: 0,
    allocationsChecked: 0,
    accountsChecked: 0,
    changes: [],
    restored: [],
    deferred: [],
    errors: [],
    orphans: [],
    skipped: [],
  };

  const accounts = new Map((await withCredentialRefresh(() => driver.listAccounts())).map((a) => [a.account, a]));
  const owned = new Set<string>();
  const overdraftMc = toMc(cfg.policy.overdraftCredits);

  for (const a of await allAllocations()) {
    // which accounts are this site's (convergeResource reads the members' logins itself)
    const mine = desiredAccounts(a, cfg.sites, { now: started, overdraftMc, siteId: site.id, logins: new Map() }).accounts;
    if (!mine.length) continue;
    mine.forEach((d) => owned.add(d.account));
    if (a.state === 'pending-provisioning' && started.getTime() - Date.parse(a.createdAt) < PROVISIONING_GRACE_MS) {
      result.skipped.push({ allocationId: a.id, reason: 'its provisioning flow is still within its grace period' });
      continue;
    }
    result.allocationsChecked += 1;
    let failed = false;
    for (const d of mine) {
      result.accountsChecked += 1;
      try {
        const r = await convergeResource(a.id, d.resourceKey, { known: accounts.get(d.account) ?? null, now: () => started });
        if (!r) continue;
        result.changes.push(...r.changes.map((c) => ({ ...c, allocationId: a.id, resourceKey: d.resourceKey })));
        result.deferred.push(...r.deferred.map((x) => ({ ...x, allocationId: a.id, account: r.account })));
      } catch (e) {
        failed = true;
        const err = e as Error & { retryable?: boolean };
        result.errors.push({ allocationId: a.id, resourceKey: d.resourceKey, account: d.account, error: err.message, transient: err.retryable === true });
      }
    }
    if (!failed) await restoreIfDue(a, mine, result, ctx);
  }

  for (const acct of accounts.values()) {
    if (owned.has(acct.account) || !acct.account.startsWith(ACCOUNT_PREFIX)) continue;
    result.orphans.push({ account: acct.account, action: await orphan(acct, cfg.policy.reconcileOrphans, result) });
  }

  const finished = new Date();
  result.finishedAt = finished.toISOString();
  result.durationMs = finished.getTime() - started.getTime();
  if (result.changes.length || result.restored.length || result.errors.length || result.orphans.some((o) => o.action === 'blocked')) {
    await recordReconcileRun(site.id, auditSummary(result), ctx);
  }
  logger.info('reconciled', {
    siteId: site.id,
    allocations: result.allocationsChecked,
    accounts: result.accountsChecked,
    changes: result.changes.length,
    restored: result.restored.length,
    errors: result.errors.length,
    orphans: result.orphans.length,
    ms: result.durationMs,
  });
  return result;
}

async function orphan(acct: AccountState, policy: 'report' | 'block', result: ReconcileResult): Promise<'reported' | 'blocked' | 'already-blocked'> {
  if (policy !== 'block') return 'reported';
  if (acct.blocked) return 'already-blocked';
  try {
    await driverFor(result.siteId).block(acct.account);
    return 'blocked';
  } catch (e) {
    result.errors.push({ account: acct.account, error: (e as Error).message, transient: (e as { retryable?: boolean }).retryable === true });
    return 'reported';
  }
}

/**
 * Records this site's accounts on the allocation and, when every resource at every site is in
 * step, restores a failed (or long-pending) provisioning. Other sites are checked, not changed:
 * their own reconcilers repair them.
 */
async function restoreIfDue(a: Allocation, mine: DesiredAccount[], result: ReconcileResult, ctx: AuditContext): Promise<void> {
  const unrecorded = mine.filter((d) => d.exists && a.schedulerAccounts?.[d.resourceKey] !== d.account);
  const stuck = a.state === 'pending-provisioning' || a.state === 'provisioning-failed' || (a.stateReason !== undefined && CONNECTOR_REASON.test(a.stateReason));
  if (!unrecorded.length && !stuck) return;
  const cfg = runtimeConfig();
  const others = stuck ? desiredAccounts(a, cfg.sites, { now: new Date(), overdraftMc: toMc(cfg.policy.overdraftCredits), logins: await loginsOf(a) }).accounts.filter((d) => d.siteId !== result.siteId) : [];
  let othersInStep = true;
  for (const d of others) {
    let why: string | undefined;
    try {
      if (!inStep(d, await driverFor(d.siteId).readAccount(d.account))) why = `${d.resourceKey} at ${d.siteId} is not in step yet; its own reconciler repairs it`;
    } catch (e) {
      why = `${d.siteId} could not be checked: ${(e as Error).message}`;
    }
    if (why) {
      othersInStep = false;
      result.skipped.push({ allocationId: a.id, reason: why });
      break;
    }
  }
  const activate = stuck && othersInStep;
  if (!unrecorded.length && !activate) return;
  const provisioned = (activate ? [...mine, ...others] : mine).filter((d) => d.exists).map((d) => ({ resourceKey: d.resourceKey, siteId: d.siteId, account: d.account }));
  try {
    const out = await recordProvisioned(a.id, provisioned, ctx, { activate });
    if (out.changed) result.restored.push({ allocationId: a.id, from: a.state, to: out.allocation.state, recorded: out.recorded });
  } catch (e) {
    result.errors.push({ allocationId: a.id, error: (e as Error).message, transient: false });
  }
}

function auditSummary(r: ReconcileResult): Record<string, unknown> {
  return {
    runId: r.runId,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    allocationsChecked: r.allocationsChecked,
    accountsChecked: r.accountsChecked,
    counts: { changes: r.changes.length, restored: r.restored.length, deferred: r.deferred.length, errors: r.errors.length, orphans: r.orphans.length },
    changes: r.changes.slice(0, AUDIT_LIST_CAP),
    restored: r.restored.slice(0, AUDIT_LIST_CAP),
    errors: r.errors.slice(0, AUDIT_LIST_CAP),
    orphans: r.orphans.filter((o) => o.action === 'blocked').slice(0, AUDIT_LIST_CAP),
  };
}
