// Site accounts in DynamoDB (keys: trustKeys.siteAccount / siteUsername). Every change is an audited
// commit of the subject site-account/<site>#<sub>; a confirmation writes the username guard in the
// same transaction, so one login can never belong to two people at a site.
import { BatchGetCommand, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../../shared/store/client';
import { siteAccountGsi, trustKeys, type ItemKey } from '../../shared/store/keys';
import { commit, StaleWriteError, type AuditContext, type Item, type SideWrite } from '../../shared/store/write-path';
import { ConflictError } from '../../domain/errors';
import { proposedUsername, siteAccountSubject, type SiteAccount } from '../../domain/site-accounts';

const OWN_ATTRS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'auditSeq', 'auditHash'];

export function siteAccountItem(a: SiteAccount): Item {
  return { ...a, ...trustKeys.siteAccount(a.siteId, a.sub), gsi1pk: siteAccountGsi.ofSite(a.siteId), gsi1sk: siteAccountGsi.sortKey(a.state, a.requestedAt, a.sub) } as Item;
}

export function siteAccountOf(item: Record<string, unknown>): SiteAccount {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) if (!OWN_ATTRS.includes(k) && v !== undefined) out[k] = v;
  return out as unknown as SiteAccount;
}

export async function getSiteAccountItem(siteId: string, sub: string): Promise<Item | null> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: trustKeys.siteAccount(siteId, sub), ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

/** Site accounts of (site, sub) pairs, in one round trip per 100; keyed `${siteId}#${sub}`. */
export async function siteAccountsOf(pairs: { siteId: string; sub: string }[]): Promise<Map<string, SiteAccount>> {
  const out = new Map<string, SiteAccount>();
  const keyList = [...new Map(pairs.map((p) => [`${p.siteId}#${p.sub}`, trustKeys.siteAccount(p.siteId, p.sub)])).values()];
  for (let i = 0; i < keyList.length; i += 100) {
    let request: Record<string, { Keys: ItemKey[]; ConsistentRead: boolean }> | undefined = { [mainTable()]: { Keys: keyList.slice(i, i + 100), ConsistentRead: true } };
    while (request && Object.keys(request).length) {
      const res = await ddb().send(new BatchGetCommand({ RequestItems: request }));
      for (const it of res.Responses?.[mainTable()] ?? []) {
        const a = siteAccountOf(it);
        out.set(`${a.siteId}#${a.sub}`, a);
      }
      request = res.UnprocessedKeys as typeof request;
    }
  }
  return out;
}

export async function listSiteAccounts(siteId: string, opts: { state?: string; limit: number; startKey?: Record<string, unknown> }): Promise<{ items: SiteAccount[]; nextKey?: Record<string, unknown> }> {
  const out = await ddb().send(
    new QueryCommand({
      TableName: mainTable(),
      IndexName: 'gsi1',
      KeyConditionExpression: opts.state ? 'gsi1pk = :p AND begins_with(gsi1sk, :s)' : 'gsi1pk = :p',
      ExpressionAttributeValues: { ':p': siteAccountGsi.ofSite(siteId), ...(opts.state ? { ':s': `${opts.state}#` } : {}) },
      Limit: opts.limit,
      ExclusiveStartKey: opts.startKey,
    }),
  );
  return { items: (out.Items ?? []).map(siteAccountOf), nextKey: out.LastEvaluatedKey };
}

/**
 * Records pending account requests for the people who have no account (of any state) at the site
 * yet. Idempotent: an existing account, or one a concurrent writer just created, is left alone.
 * Returns the subs a request was created for.
 */
export async function ensureAccountRequests(siteId: string, subs: string[], requestedFor: string, prefix: string, ctx: AuditContext): Promise<string[]> {
  const have = await siteAccountsOf(subs.map((sub) => ({ siteId, sub })));
  const missing = [...new Set(subs)].filter((sub) => !have.has(`${siteId}#${sub}`));
  const created: string[] = [];
  const now = (ctx.now ?? new Date()).toISOString();
  for (const sub of missing) {
    const a: SiteAccount = { siteId, sub, state: 'pending', proposedUsername: proposedUsername(sub, prefix), requestedAt: now, requestedFor, updatedAt: now };
    try {
      await commit(ctx, { changes: [{ subject: siteAccountSubject(siteId, sub), before: null, after: siteAccountItem(a), action: 'site-account.request', details: { siteId, sub, proposedUsername: a.proposedUsername, requestedFor } }] });
      created.push(sub);
    } catch (e) {
      if (!(e instanceof StaleWriteError)) throw e; // someone else created it first: fine
    }
  }
  return created;
}

/** Another person holds this login at the site. */
export class UsernameTakenError extends ConflictError {
  constructor(
    readonly siteId: string,
    readonly username: string,
  ) {
    super(`The login "${username}" at ${siteId} belongs to another person`, [{ path: 'username', problem: `is another person's login at ${siteId}` }], 'username_taken');
  }
}

/**
 * Writes a site account change (`before` as read, or null) with, for an active account, the
 * username guard in the same transaction, and any outbox side writes.
 */
export async function writeSiteAccount(before: Item | null, after: SiteAccount, action: string, ctx: AuditContext, extra: { details?: Record<string, unknown>; sideWrites?: SideWrite[] } = {}): Promise<Item> {
  const guard: SideWrite[] =
    after.state === 'active' && after.username
      ? [
          {
            put: { ...trustKeys.siteUsername(after.siteId, after.username), siteId: after.siteId, username: after.username, sub: after.sub, since: after.confirmedAt ?? after.updatedAt },
            condition: { expression: 'attribute_not_exists(pk) OR #s = :sub', names: { '#s': 'sub' }, values: { ':sub': after.sub } },
            failure: () => new UsernameTakenError(after.siteId, after.username!),
          },
        ]
      : [];
  const item = siteAccountItem(after);
  const res = await commit(ctx, {
    changes: [
      {
        subject: siteAccountSubject(after.siteId, after.sub),
        before,
        after: item,
        action,
        details: { siteId: after.siteId, sub: after.sub, state: after.state, ...(after.username ? { username: after.username } : {}), ...(extra.details ?? {}) },
      },
    ],
    sideWrites: [...guard, ...(extra.sideWrites ?? [])],
  });
  return { ...item, auditSeq: res.events[0].seq, auditHash: res.events[0].hash };
}

/** Who holds a login at a site (the guard item), if anyone. */
export async function holderOf(siteId: string, username: string): Promise<string | undefined> {
  const out = await ddb().send(new GetCommand({ TableName: mainTable(), Key: trustKeys.siteUsername(siteId, username), ConsistentRead: true }));
  return out.Item ? String(out.Item.sub) : undefined;
}
