// One accounting writer at a time per site. Every change to a site's accounts, associations and
// limits (provision, members, limits, block) runs under a short lease on one main-table item per
// site, held by whichever KAIRR worker (a provisioning step, the reconciler) makes the change.
//
// Why: Slurm 22.05's slurmdbd cannot take association writes in parallel. Measured on the local
// spc cluster (docs/connectors.md "One accounting writer per site"): six provisionings at once left
// four accounts without their association ("the site did not create the association"), six limit
// changes at once made slurmdbd exit ("unable to resolve deadlock with attempts 10/10"), and a
// longer run left its nested-set tree (lft/rgt) corrupt, after which one association query spun for
// 15 minutes holding locks until slurmdbd died of ER_LOCK_WAIT_TIMEOUT. A site's own admins work
// one sacctmgr at a time; KAIRR's many Lambdas must as well. Reads, jobs and usage are not
// serialised: they do not write to slurmdbd's association tree.
//
// The lease is a conditional put (free, or expired), renewed while the change runs, and deleted by
// its owner. A worker that dies holding it delays the next writer by at most `ttlMs`. A worker that
// waits longer than `waitMs` gets a TransientSchedulerError: the provisioning flow retries it with
// backoff (Connector.Transient), the reconciler reports it and tries again on its next run.
// The lease is coordination, not a domain change, so it is not audited; the changes it guards are.
import { randomUUID } from 'node:crypto';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from '../shared/store/client';
import { connectorKeys } from '../shared/store/keys';
import { logger } from '../shared/log';
import { TransientSchedulerError, type AccountLimits, type AccountState, type ProvisionAccountRequest, type SchedulerDriver } from './driver';

export interface LeaseOptions {
  /** The lease lapses this long after its last renewal (default 30 s; renewed every ttlMs/3). */
  ttlMs?: number;
  /** Give up waiting for the lease after this long (default 45 s). */
  waitMs?: number;
  /** What the lease is taken for, kept on the item for operators (e.g. "setLimits k-…"). */
  purpose?: string;
}

const DEFAULT_TTL_MS = 30_000;
const DEFAULT_WAIT_MS = 45_000;

function isConditionFailure(e: unknown): boolean {
  return (e as { name?: string }).name === 'ConditionalCheckFailedException';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface AccountingLease {
  readonly siteId: string;
  readonly owner: string;
  release(): Promise<void>;
}

/** Takes the site's accounting lease, waiting (with jittered backoff) while another worker holds it. */
export async function acquireAccountingLease(siteId: string, opts: LeaseOptions = {}): Promise<AccountingLease> {
  const ttlMs = opts.ttlMs ?? DEFAULT_TTL_MS;
  const waitMs = opts.waitMs ?? DEFAULT_WAIT_MS;
  const key = connectorKeys.accountingLease(siteId);
  const owner = randomUUID();
  const started = Date.now();
  let pause = 25;
  for (;;) {
    const now = Date.now();
    try {
      await ddb().send(
        new PutCommand({
          TableName: mainTable(),
          Item: { ...key, owner, purpose: opts.purpose ?? 'accounting change', acquiredAt: new Date(now).toISOString(), expiresAtMs: now + ttlMs, ttl: Math.floor((now + ttlMs) / 1000) + 3600 },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAtMs < :now',
          ExpressionAttributeValues: { ':now': now },
        }),
      );
      break;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
    }
    if (Date.now() - started >= waitMs) {
      throw new TransientSchedulerError(`another KAIRR worker has been changing ${siteId}'s accounting for over ${Math.round(waitMs / 1000)} s; try again`, { siteId, operation: 'accounting-lease' });
    }
    await sleep(pause / 2 + Math.random() * pause);
    pause = Math.min(pause * 2, 500);
  }

  const renew = setInterval(
    () => {
      const now = Date.now();
      ddb()
        .send(
          new UpdateCommand({
            TableName: mainTable(),
            Key: key,
            UpdateExpression: 'SET expiresAtMs = :exp',
            ConditionExpression: '#o = :me',
            ExpressionAttributeNames: { '#o': 'owner' },
            ExpressionAttributeValues: { ':exp': now + ttlMs, ':me': owner },
          }),
        )
        .catch((e: unknown) => {
          // it lapsed while this worker was stalled and another took it: say so, the change goes on
          if (isConditionFailure(e)) logger.warn('accounting lease lost', { siteId, purpose: opts.purpose });
        });
    },
    Math.max(10, Math.floor(ttlMs / 3)),
  );
  renew.unref();

  return {
    siteId,
    owner,
    async release() {
      clearInterval(renew);
      try {
        await ddb().send(new DeleteCommand({ TableName: mainTable(), Key: key, ConditionExpression: '#o = :me', ExpressionAttributeNames: { '#o': 'owner' }, ExpressionAttributeValues: { ':me': owner } }));
      } catch (e) {
        if (!isConditionFailure(e)) throw e; // it lapsed and someone else holds it now: theirs to release
      }
    },
  };
}

/** Runs `change` under the site's accounting lease. */
export async function underAccountingLease<T>(siteId: string, purpose: string, change: () => Promise<T>, opts: LeaseOptions = {}): Promise<T> {
  const lease = await acquireAccountingLease(siteId, { ...opts, purpose });
  try {
    return await change();
  } finally {
    await lease.release().catch((e: unknown) => logger.warn('accounting lease not released; it lapses by itself', { siteId, error: String(e) }));
  }
}

/**
 * The driver with its accounting changes serialised per site (reads, jobs and usage pass straight
 * through). sites.ts hands out only drivers wrapped this way.
 */
export function serializeAccounting(driver: SchedulerDriver, opts: LeaseOptions = {}): SchedulerDriver {
  const site = driver.siteId;
  const locked = <T>(what: string, f: () => Promise<T>) => underAccountingLease(site, what, f, opts);
  return {
    driver: driver.driver,
    siteId: driver.siteId,
    cluster: driver.cluster,
    health: () => driver.health(),
    provisionAccount: (req: ProvisionAccountRequest): Promise<AccountState> => locked(`provision ${req.account}`, () => driver.provisionAccount(req)),
    addMember: (account: string, user: string, partition: string) => locked(`add ${user} to ${account}`, () => driver.addMember(account, user, partition)),
    removeMember: (account: string, user: string) => locked(`remove ${user} from ${account}`, () => driver.removeMember(account, user)),
    setLimits: (account: string, limits: AccountLimits) => locked(`set limits of ${account}`, () => driver.setLimits(account, limits)),
    block: (account: string) => locked(`block ${account}`, () => driver.block(account)),
    unblock: (account: string) => locked(`unblock ${account}`, () => driver.unblock(account)),
    readAccount: (account) => driver.readAccount(account),
    listAccounts: () => driver.listAccounts(),
    submitJob: (req) => driver.submitJob(req),
    findJobByDispatchId: (id, o) => driver.findJobByDispatchId(id, o),
    jobStatus: (id) => driver.jobStatus(id),
    cancelJob: (id, opts) => driver.cancelJob(id, opts),
    listJobs: (req) => driver.listJobs(req),
    ...(driver.jobsChangedSince ? { jobsChangedSince: (since?: number) => driver.jobsChangedSince!(since) } : {}),
  };
}
