// The provisioning flow's steps (statemachines/provisioning.asl.json), one function for all of them:
//   plan    which of the allocation's resources live at configured sites
//   apply   converge one resource's scheduler account (Map state; Retry on Connector.Transient)
//   record  scheduler accounts + account index items + active, in one audited commit
//   fail    the Catch: a visible provisioning-failed state with the cause
// Every step re-reads the allocation, so the flow converges to the allocation as it is now.
import { runtimeConfig } from '../../shared/config';
import type { AuditContext } from '../../shared/store/write-path';
import { getAllocationItem, allocationOf } from '../../ledger';
import { desiredAccounts } from '../desired';
import type { ConvergeResult } from '../converge';
import { convergeResource } from '../converge-allocation';
import { markFailed, recordProvisioned } from '../allocation-writes';
import { logger } from '../../shared/log';
import type { FlowEvent, StepInput } from './inputs';

export type { FlowEvent, StepInput };

export interface Plan extends FlowEvent {
  /** Nothing to do: the allocation does not exist (any more). */
  skip: boolean;
  resources: string[];
  /** Resource keys no configured site offers (never provisioned; shown in the result). */
  unknownResources: string[];
}

function ctxOf(e: FlowEvent): AuditContext {
  return { actor: { sub: 'system:provisioning', role: 'system' }, requestId: e.eventId ?? `provisioning-${e.allocationId}`, reason: `on ${e.eventType}` };
}

export async function plan(e: FlowEvent): Promise<Plan> {
  const item = await getAllocationItem(e.allocationId);
  if (!item) return { ...e, skip: true, resources: [], unknownResources: [] };
  const cfg = runtimeConfig();
  // which resources only: the members' logins do not matter to the plan
  const d = desiredAccounts(allocationOf(item), cfg.sites, { now: new Date(), logins: new Map() });
  return { ...e, skip: false, resources: d.accounts.map((a) => a.resourceKey), unknownResources: d.unknownResources };
}

export async function apply(e: FlowEvent & { resourceKey: string }): Promise<ConvergeResult> {
  const result = await convergeResource(e.allocationId, e.resourceKey);
  if (!result) return { resourceKey: e.resourceKey, siteId: e.resourceKey.split('/')[0], account: '', exists: false, changes: [], deferred: [] };
  if (result.changes.length || result.deferred.length)
    logger.info('converged', { allocationId: e.allocationId, resource: e.resourceKey, account: result.account, changes: result.changes.map((c) => c.action), deferred: result.deferred.length, passes: result.passes });
  const { passes: _passes, ...out } = result;
  return out;
}

export async function record(e: FlowEvent & { applied: ConvergeResult[] }): Promise<{ allocationId: string; state: string; recorded: string[]; changes: number }> {
  const present = e.applied.filter((r) => r.exists && r.account);
  const out = await recordProvisioned(
    e.allocationId,
    present.map((r) => ({ resourceKey: r.resourceKey, siteId: r.siteId, account: r.account })),
    ctxOf(e),
  );
  return { allocationId: e.allocationId, state: out.allocation.state, recorded: out.recorded, changes: e.applied.reduce((n, r) => n + r.changes.length, 0) };
}

/** The Catch: the cause as Step Functions passes it ({"errorType","errorMessage"} JSON for Lambda errors). */
export async function fail(e: FlowEvent & { failure: { Error?: string; Cause?: string } }): Promise<{ allocationId: string; state: string; cause: string }> {
  const cause = causeText(e.failure);
  const a = await markFailed(e.allocationId, cause, ctxOf(e));
  logger.warn('provisioning failed', { allocationId: e.allocationId, eventType: e.eventType, error: e.failure.Error });
  return { allocationId: e.allocationId, state: a.state, cause };
}

export function causeText(failure: { Error?: string; Cause?: string }): string {
  let message = failure.Cause ?? '';
  try {
    const parsed = JSON.parse(message) as { errorMessage?: string };
    if (parsed && typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
  } catch {
    /* a plain-text cause */
  }
  return `${failure.Error ?? 'Error'}: ${message}`.slice(0, 480);
}
