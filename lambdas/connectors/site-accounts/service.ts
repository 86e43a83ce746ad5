// Site accounts: the site's side creates them, KAIRR only proposes (docs/security.md, "Site accounts").
//  - A pending request is recorded when a person who has no account at a site becomes a member of
//    an allocation with resources there (the provisioning flow and the reconciler do it, per site:
//    ensurePendingFor). It carries KAIRR's proposed name.
//  - The site's operators (site-operator:<site>), or its connector where the site's config allows
//    it, create the login and confirm it with the username they chose. Names on the site's deny
//    list or outside its pattern are refused (400, audited); a login another person holds is
//    refused (409, audited), in the same transaction as the confirmation (the username guard).
//  - The confirmation tells the person's allocations at the site to converge (their associations
//    now use the login), through AllocationMembersChanged events in the outbox of the same commit.
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../../shared/store/client';
import { gsi, keys } from '../../shared/store/keys';
import { StaleWriteError, type AuditContext, type SideWrite } from '../../shared/store/write-path';
import { domainEvent, outboxWrites, publish } from '../../shared/events/outbox';
import { refuse } from '../../shared/store/refusals';
import { hasRole, type Caller } from '../../shared/http/caller';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors';
import type { Site } from '../../domain/catalogue';
import type { DomainEvent } from '../../domain/events';
import { usernameProblem, type SiteAccount } from '../../domain/site-accounts';
import { allocationOf } from '../../ledger';
import { batchGet } from '../../shared/store/batch-get';
import { ENDED_STATES } from '../desired';
import { siteOf } from '../sites';
import { getSiteAccountItem, siteAccountOf, UsernameTakenError, writeSiteAccount } from './store';

/** Who acts for the site: one of its operators (through the API) or its connector. */
export type SiteSide = { kind: 'operator'; caller: Caller } | { kind: 'connector'; siteId: string };

function ctxOf(side: SiteSide, siteId: string, requestId: string, reason?: string): AuditContext {
  return side.kind === 'operator' ? { actor: { sub: side.caller.sub, role: 'site-operator' }, requestId, reason: reason ?? null } : { actor: { sub: `system:connector-${siteId}`, role: 'system' }, requestId, reason: reason ?? null };
}

/** Only the site's own side may create, confirm or disable its accounts; never KAIRR's admins, never the researcher. */
export function assertSiteSide(side: SiteSide, site: Site): void {
  if (side.kind === 'connector') {
    if (side.siteId !== site.id) throw new ForbiddenError(`The connector of ${side.siteId} cannot change accounts at ${site.id}`);
    if (!site.accounts.connectorMayConfirm) throw new ForbiddenError(`${site.id}'s configuration lets only its operators confirm accounts (accounts.connectorMayConfirm is false)`);
    return;
  }
  if (!hasRole(side.caller, 'site-operator') || !side.caller.siteIds.includes(site.id)) {
    throw new ForbiddenError(`Only ${site.id}'s operators (site-operator:${site.id}) create its accounts; you operate ${side.caller.siteIds.join(', ') || 'no site'}`);
  }
}

/** The person's allocations with resources at the site that are still running (their associations follow the account). */
export async function allocationsAt(sub: string, siteId: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await ddb().send(new QueryCommand({ TableName: mainTable(), IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': gsi.memberOf(sub) }, ExclusiveStartKey: start }));
    ids.push(...(out.Items ?? []).map((i) => String(i.allocationId)));
    start = out.LastEvaluatedKey;
  } while (start);
  const got = await batchGet(ids.map((id) => keys.allocation(id)));
  return [...got.values()]
    .map(allocationOf)
    .filter((a) => !ENDED_STATES.includes(a.state) && Object.keys(a.resources).some((k) => k.startsWith(`${siteId}/`)))
    .map((a) => a.id)
    .sort();
}

/** At most this many allocations are told in the confirming transaction; the reconciler catches up on the rest. */
const EVENTS_IN_COMMIT = 40;

async function membersChanged(sub: string, siteId: string, why: string): Promise<{ events: DomainEvent[]; sideWrites: SideWrite[] }> {
  const allocations = (await allocationsAt(sub, siteId)).slice(0, EVENTS_IN_COMMIT);
  const events = allocations.map((allocationId) => domainEvent('AllocationMembersChanged', { allocationId, added: [], removed: [], siteAccount: { siteId, sub, change: why } }));
  return { events, sideWrites: outboxWrites(events) };
}

export interface ConfirmInput {
  siteId: string;
  sub: string;
  username: string;
  requestId: string;
  route: string;
}

/**
 * The site confirms (or creates) a person's account with the login it made. Idempotent: the same
 * login again changes nothing. A new login for an active account renames it (the old name stays
 * reserved for this person).
 */
export async function confirmSiteAccount(side: SiteSide, input: ConfirmInput): Promise<{ account: SiteAccount; changed: boolean }> {
  const site = siteOf(input.siteId, 'siteId');
  assertSiteSide(side, site);
  const ctx = ctxOf(side, site.id, input.requestId);
  const username = input.username;
  const bad = usernameProblem(site, username);
  if (bad) {
    throw await refuse(ctx, {
      status: 400,
      code: bad.code,
      message: `${site.id} cannot give "${username}" to a researcher: ${bad.problem}`,
      route: input.route,
      fields: [{ path: 'username', value: username, problem: bad.problem }],
      about: { type: 'site-account', id: `${site.id}#${input.sub}` },
    });
  }
  for (let attempt = 0; ; attempt++) {
    const item = await getSiteAccountItem(site.id, input.sub);
    const cur = item ? siteAccountOf(item) : undefined;
    if (cur?.state === 'active' && cur.username === username) return { account: cur, changed: false };
    const now = new Date().toISOString();
    const next: SiteAccount = {
      ...(cur ?? { siteId: site.id, sub: input.sub, proposedUsername: username, requestedAt: now }),
      state: 'active',
      username,
      confirmedAt: now,
      confirmedBy: ctx.actor.sub,
      origin: side.kind,
      updatedAt: now,
      disabledAt: undefined,
      disabledReason: undefined,
    } as SiteAccount;
    const told = await membersChanged(input.sub, site.id, 'confirmed');
    try {
      await writeSiteAccount(item, next, cur ? 'site-account.confirm' : 'site-account.create', ctx, {
        details: { ...(cur?.username && cur.username !== username ? { renamedFrom: cur.username } : {}), allocations: told.events.length },
        sideWrites: told.sideWrites,
      });
      await publish(told.events);
      return { account: siteAccountOf(next as unknown as Record<string, unknown>), changed: true };
    } catch (e) {
      if (e instanceof UsernameTakenError) {
        throw await refuse(ctx, {
          status: 409,
          code: 'username_taken',
          message: e.message,
          route: input.route,
          fields: [{ path: 'username', value: username, problem: `is another person's login at ${site.id}` }],
          about: { type: 'site-account', id: `${site.id}#${input.sub}` },
        });
      }
      if (!(e instanceof StaleWriteError) || attempt >= 5) throw e;
    }
  }
}

/** The site closes a person's login: their jobs can no longer be dispatched there, their associations go. */
export async function disableSiteAccount(side: SiteSide, input: { siteId: string; sub: string; reason: string; requestId: string }): Promise<SiteAccount> {
  const site = siteOf(input.siteId, 'siteId');
  assertSiteSide(side, site);
  const ctx = ctxOf(side, site.id, input.requestId, input.reason);
  for (let attempt = 0; ; attempt++) {
    const item = await getSiteAccountItem(site.id, input.sub);
    if (!item) throw new NotFoundError('Site account', `${site.id}/${input.sub}`);
    const cur = siteAccountOf(item);
    if (cur.state === 'disabled') return cur;
    if (cur.state === 'pending') throw new ConflictError(`${input.sub} has no login at ${site.id} yet; there is nothing to disable`, [{ path: 'sub', problem: 'has a pending request only' }], 'site_account_pending');
    const now = new Date().toISOString();
    const next: SiteAccount = { ...cur, state: 'disabled', disabledAt: now, disabledReason: input.reason, updatedAt: now };
    const told = await membersChanged(input.sub, site.id, 'disabled');
    try {
      await writeSiteAccount(item, next, 'site-account.disable', ctx, { sideWrites: told.sideWrites, details: { allocations: told.events.length } });
      await publish(told.events);
      return siteAccountOf(next as unknown as Record<string, unknown>);
    } catch (e) {
      if (!(e instanceof StaleWriteError) || attempt >= 5) throw e;
    }
  }
}

/** A person sees their own accounts; a site's operators, admins and auditors see the site's. */
export function assertMayRead(caller: Caller, siteId: string, sub?: string): void {
  if (hasRole(caller, 'admin', 'auditor')) return;
  if (hasRole(caller, 'site-operator') && caller.siteIds.includes(siteId)) return;
  if (sub !== undefined && sub === caller.sub) return;
  throw new ForbiddenError(sub === undefined ? `Only ${siteId}'s operators, admins and auditors list its accounts` : 'You can see only your own site accounts');
}
