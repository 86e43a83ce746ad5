// The world a verification runs in, in-process: the data hub's handler on DynamoDB Local, an
// allocation at kisti6 whose members (the steward and an admin) hold confirmed site accounts there,
// the real jobs capability dispatching to an in-memory scheduler (the pipelines' fake site), and
// kisti6's storage root "mounted" for KAIRR at a temporary folder, where a test writes the report
// the job would write. The real job on the real clusters is test/slurm/datahub-verify.test.ts.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { useDriverFactory } from '../../../lambdas/connectors/sites';
import { siteAccountItem } from '../../../lambdas/connectors/site-accounts/store';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import { allocationItem, memberIndexWrites } from '../../../lambdas/ledger/store';
import { resetPipelinesConfig } from '../../../lambdas/pipelines/config';
import { ddb, mainTable } from '../../../lambdas/shared/store/client';
import { FakeSites } from '../pipelines/fake-site';
import { api, datahubFixture, ROLE_CALLERS, type ApiResult, type Fixture } from './support';

export const STORAGE_ROOT = '/srv/kairr/storage';
const T0 = '2026-01-01T00:00:00Z';

export interface VerifyWorld {
  fx: Fixture;
  sites: FakeSites;
  mount: string;
}

function allocation(id: string, members: string[]): Allocation {
  return {
    id,
    state: 'active',
    title: id,
    piSub: members[0],
    institution: 'KISTI',
    orgType: 'public',
    field: '1.2',
    proposalId: null,
    callId: null,
    tier: null,
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    members: members.map((sub, i) => ({ sub, role: i === 0 ? 'pi' : 'member', addedAt: T0 })),
    resources: { 'kisti6/gh200': { awardedMc: 1_000_000_000, balanceMc: 1_000_000_000, usedMc: 0, overLimitMc: 0, exhausted: false } } as never,
    schedulerAccounts: { 'kisti6/gh200': `kairr_${id.replace(/-/g, '_')}` },
    createdAt: T0,
    updatedAt: T0,
    entryCount: 0,
  };
}

const put = (Item: Record<string, unknown>) => ddb().send(new PutCommand({ TableName: mainTable(), Item }));

/** Call at a test file's top level: it registers beforeAll/afterAll. */
export function useVerifyWorld(): VerifyWorld {
  const w = {} as VerifyWorld;
  beforeAll(async () => {
    w.mount = mkdtempSync(join(tmpdir(), 'kairr-dh-verify-'));
    // kisti6 mounts its root for KAIRR; spc has no storage for reports at all
    process.env.PIPELINES_CONFIG = JSON.stringify({ storage: { kisti6: { root: STORAGE_ROOT, endpoint: `file://${STORAGE_ROOT}`, mover: { kind: 'rsync' }, reportMount: w.mount } } });
    resetPipelinesConfig();
    w.fx = await datahubFixture();
    const a = allocation('alloc-k6', [ROLE_CALLERS.steward.sub, ROLE_CALLERS.admin.sub]);
    await put(allocationItem(a));
    for (const m of memberIndexWrites(a, null)) if ('put' in m) await put(m.put);
    await put(allocationItem(allocation('alloc-other', ['someone-else'])));
    for (const sub of [ROLE_CALLERS.steward.sub, ROLE_CALLERS.admin.sub]) {
      await put(siteAccountItem({ siteId: 'kisti6', sub, state: 'active', proposedUsername: sub.replace(/-/g, ''), username: sub.replace(/-/g, ''), requestedAt: T0, confirmedAt: T0, updatedAt: T0 }));
    }
    w.sites = new FakeSites();
    useDriverFactory((site) => w.sites.driver(site));
  });
  afterAll(async () => {
    useDriverFactory(undefined);
    await w.fx?.stop();
    rmSync(w.mount, { recursive: true, force: true });
  });
  return w;
}

let keys = 0;
export const newKey = () => `verify-key-${process.pid}-${++keys}`;

export const locPath = (kind: string, id: string, version: string, locationId = 'kisti6.scratch') => `/v1/${kind}/${id}/versions/${version}/locations/${locationId}`;

export function verify(id: string, version: string, opts: { key?: string | null; body?: unknown; caller?: (typeof ROLE_CALLERS)[keyof typeof ROLE_CALLERS]; locationId?: string; kind?: string } = {}): Promise<ApiResult> {
  const key = opts.key === undefined ? newKey() : opts.key;
  return api(opts.caller ?? ROLE_CALLERS.steward, 'POST', `${locPath(opts.kind ?? 'datasets', id, version, opts.locationId)}/verify`, opts.body ?? { allocationId: 'alloc-k6', resource: 'gh200' }, key ? { 'idempotency-key': key } : {});
}

export function readVerificationApi(id: string, version: string, verificationId: string, caller = ROLE_CALLERS.steward, locationId = 'kisti6.scratch'): Promise<ApiResult> {
  return api(caller, 'GET', `${locPath('datasets', id, version, locationId)}/verifications/${verificationId}`);
}

/** Writes the report the job would write (under the mounted root), and ends the job at the fake site. */
export function finishJob(w: VerifyWorld, v: { jobId: string; reportPath: string }, report: string | null, state: 'COMPLETED' | 'FAILED' = 'COMPLETED', exit = 0): void {
  if (report !== null) {
    const local = join(w.mount, v.reportPath.slice(STORAGE_ROOT.length + 1));
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, report);
  }
  const job = w.sites.jobOfDispatch(v.jobId);
  if (!job) throw new Error(`no job at the fake site for dispatch ${v.jobId}`);
  w.sites.end('kisti6', job.status.jobId, state, exit);
}

/** A copy registered at kisti6 under the steward's root "scratch". */
export async function registerCopy(id: string, version: string, path = 'corpus/v1', kind = 'datasets'): Promise<void> {
  const r = await api(ROLE_CALLERS.steward, 'POST', `/v1/${kind}/${id}/versions/${version}/locations`, { siteId: 'kisti6', root: 'scratch', path });
  if (r.status !== 201) throw new Error(`register copy: ${r.status} ${r.text}`);
}
