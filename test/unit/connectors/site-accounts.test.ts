// Site accounts against DynamoDB Local, through the jobs function's handler (the routes that ship):
// only the site's side creates them, never with a system account's name, never with another
// person's login; every refusal is audited; a confirmation tells the person's allocations; the
// migration turns the names typed before site accounts into accounts only where that can be trusted.
import { handler as jobsHandler } from '../../../lambdas/jobs/handler';
import { siteAccountsApi } from '../../../lambdas/connectors/site-accounts/api';
import { addMember } from '../../../lambdas/ledger/service';
import { mutateAllocation } from '../../../lambdas/ledger/store';
import { ensureAccountRequests, getSiteAccountItem, siteAccountOf } from '../../../lambdas/connectors/site-accounts/store';
import { proposedUsername, usernameProblem, base32 } from '../../../lambdas/domain/site-accounts';
import { runtimeConfig } from '../../../lambdas/shared/config';
import { apiOf, auditEvents, person } from '../../support/invoke';
import { ledgerFixture, newAllocation, system, type LedgerFixture } from '../ledger/support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture((c) => ({ ...c, sites: c.sites.map((s) => (s.id === 'kisti6' ? { ...s, accounts: { ...s.accounts, denyUsernames: ['kisti-backup'], slurmUser: 'slurmk6' } } : s)) }));
});
afterAll(async () => {
  await fx.stop();
});

const api = apiOf(siteAccountsApi, jobsHandler as never);
const spcOp = person('op-spc', ['site-operator'], ['spc']);
const k6Op = person('op-k6', ['site-operator'], ['kisti6']);
const admin = person('admin-1', ['admin']);
let n = 0;
const fresh = (what: string) => `${what}-${Date.now().toString(36)}-${++n}`;
const confirm = (who: ReturnType<typeof person>, site: string, sub: string, username: string) => api(who, 'PUT', `/v1/sites/${site}/accounts/${encodeURIComponent(sub)}`, { username });

describe('the proposed login', () => {
  test("is deterministic, short, the site's prefix plus base32 of the subject's hash, and a valid login", () => {
    const a = proposedUsername('sub-1');
    expect(a).toBe(proposedUsername('sub-1'));
    expect(a).not.toBe(proposedUsername('sub-2'));
    expect(a).toMatch(/^k[a-z2-7]{10}$/);
    expect(proposedUsername('sub-1', 'kr')).toMatch(/^kr[a-z2-7]{10}$/);
    expect(usernameProblem(runtimeConfig().sites[0], a)).toBeUndefined();
    expect(base32(Buffer.from('foobar'))).toBe('mzxw6ytboi'); // RFC 4648 test vector, lower-case, unpadded
  });

  test.each([
    ['root', 'spc', 'username_denied'],
    ['slurm', 'spc', 'username_denied'],
    ['daemon', 'spc', 'username_denied'],
    ['munge', 'spc', 'username_denied'],
    ['mysql', 'spc', 'username_denied'],
    ['slurmrest', 'spc', 'username_denied'],
    ['slurmk6', 'kisti6', 'username_denied'], // kisti6's configured SlurmUser
    ['kisti-backup', 'kisti6', 'username_denied'], // kisti6's own deny list
    ['Root', 'spc', 'username_denied'],
    ['-x', 'spc', 'username_pattern'],
    ['a', 'spc', 'username_pattern'],
    ['x'.repeat(33), 'spc', 'username_pattern'],
  ])('%s at %s is refused (%s)', (name, siteId, code) => {
    expect(usernameProblem(runtimeConfig().sites.find((s) => s.id === siteId)!, name)?.code).toBe(code);
  });
});

describe('who creates an account', () => {
  test("the site's operator confirms a login; the person sees it; the other site's operator, an admin, and the person themselves may not create it", async () => {
    const sub = fresh('p');
    const other = await confirm(k6Op, 'spc', sub, 'kfirst01');
    const byAdmin = await confirm(admin, 'spc', sub, 'kfirst01');
    const bySelf = await confirm(person(sub), 'spc', sub, 'kfirst01');

    const ok = await confirm(spcOp, 'spc', sub, 'kfirst01');
    const again = await confirm(spcOp, 'spc', sub, 'kfirst01');
    const seen = await api(person(sub), 'GET', `/v1/sites/spc/accounts/${sub}`);
    const notTheirs = await api(person('someone-else'), 'GET', `/v1/sites/spc/accounts/${sub}`);

    expect(other.status).toBe(403);
    expect(byAdmin.status).toBe(403);
    expect(bySelf.status).toBe(403);
    expect(ok).toMatchObject({ status: 200, body: { siteId: 'spc', sub, state: 'active', username: 'kfirst01', confirmedBy: 'op-spc', origin: 'operator' } });
    expect(again).toMatchObject({ status: 200, body: { username: 'kfirst01' } });
    expect(seen).toMatchObject({ status: 200, body: { username: 'kfirst01' } });
    expect(notTheirs.status).toBe(403);
  });

  test('a system account is refused with a named 400, and the attempt is audited', async () => {
    const sub = fresh('p');
    const before = (await auditEvents('security.refused')).length;

    const root = await confirm(spcOp, 'spc', sub, 'root');
    const slurm = await confirm(spcOp, 'spc', sub, 'slurm');

    expect(root).toMatchObject({ status: 400, body: { error: { code: 'username_denied', details: [{ path: 'username' }] } } });
    expect(slurm).toMatchObject({ status: 400, body: { error: { code: 'username_denied' } } });
    const events = await auditEvents('security.refused');
    expect(events.length).toBe(before + 2);
    expect(events.filter((e) => e.details.fields[0].value === 'root')).toEqual([
      expect.objectContaining({ actor: { sub: 'op-spc', role: 'site-operator' }, details: expect.objectContaining({ code: 'username_denied', route: 'PUT /v1/sites/{siteId}/accounts/{sub}' }) }),
    ]);
    expect(await getSiteAccountItem('spc', sub)).toBeNull();
  });

  test("another person's login is refused (409, audited), also when two confirmations race", async () => {
    const [a, b, c] = [fresh('a'), fresh('b'), fresh('c')];
    await confirm(spcOp, 'spc', a, 'kshared1');

    const taken = await confirm(spcOp, 'spc', b, 'kshared1');
    const race = await Promise.all([confirm(spcOp, 'spc', b, 'krace001'), confirm(spcOp, 'spc', c, 'krace001')]);

    expect(taken).toMatchObject({ status: 409, body: { error: { code: 'username_taken', details: [{ path: 'username' }] } } });
    expect(race.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await auditEvents('security.refused')).some((e) => e.details.code === 'username_taken' && e.details.fields[0].value === 'kshared1')).toBe(true);
    // the same login at another site is another site's business
    expect((await confirm(k6Op, 'kisti6', b, 'kshared1')).status).toBe(200);
  });

  test("a site's connector confirms only where the site's configuration allows it", async () => {
    const sub = fresh('p');
    await expect(jobsHandler({ source: 'kairr.connector', action: 'confirmSiteAccount', siteId: 'spc', sub, username: 'kconn001' } as never)).rejects.toThrow(/connectorMayConfirm/);
    expect(await getSiteAccountItem('spc', sub)).toBeNull();
  });
});

describe('requests and confirmations', () => {
  test("pending requests are recorded once, with the proposed login, and listed for the site's operators only", async () => {
    const subs = [fresh('r'), fresh('r')];
    const created = await ensureAccountRequests('kisti6', subs, 'alloc-x', 'k', system());
    const again = await ensureAccountRequests('kisti6', subs, 'alloc-x', 'k', system());

    const list = await api(k6Op, 'GET', '/v1/sites/kisti6/accounts?state=pending&limit=200');
    const notMine = await api(spcOp, 'GET', '/v1/sites/kisti6/accounts');

    expect(created.sort()).toEqual([...subs].sort());
    expect(again).toEqual([]);
    expect(list.status).toBe(200);
    expect(list.body.items.filter((x: { sub: string }) => subs.includes(x.sub))).toEqual(subs.map((sub) => expect.objectContaining({ sub, state: 'pending', proposedUsername: proposedUsername(sub), requestedFor: 'alloc-x' })));
    expect(notMine.status).toBe(403);
  });

  test("confirming a member's account tells each of their allocations at that site (AllocationMembersChanged), and disabling it again", async () => {
    const sub = fresh('m');
    const atSpc = await newAllocation({ 'spc/h200': 10 });
    const atK6 = await newAllocation({ 'kisti6/gh200': 10 });
    await addMember(atSpc.id, { sub }, system());
    await addMember(atK6.id, { sub }, system());
    const told = (allocationId: string, change: string) =>
      fx.published.some((e) => e.type === 'AllocationMembersChanged' && e.detail.allocationId === allocationId && (e.detail.siteAccount as { change?: string } | undefined)?.change === change);

    const ok = await confirm(spcOp, 'spc', sub, 'kmember1');
    await fx.bus.bus.idle({ timeoutMs: 10_000 });
    const off = await api(spcOp, 'POST', `/v1/sites/spc/accounts/${sub}/disable`, { reason: 'left the project' });
    await fx.bus.bus.idle({ timeoutMs: 10_000 });
    const after = await confirm(spcOp, 'spc', fresh('x'), 'kmember1');

    expect(ok.status).toBe(200);
    expect(told(atSpc.id, 'confirmed')).toBe(true);
    expect(told(atK6.id, 'confirmed')).toBe(false);
    expect(off).toMatchObject({ status: 200, body: { state: 'disabled', username: 'kmember1', disabledReason: 'left the project' } });
    expect(told(atSpc.id, 'disabled')).toBe(true);
    // a closed login stays reserved to its person: it is never handed to someone else
    expect(after.status).toBe(409);
  });
});

describe('migration of the names typed before site accounts', () => {
  test('a name one person typed becomes their account; denied, shared, doubled and taken names become pending requests; a dry run writes nothing', async () => {
    const s = { solo: fresh('solo'), root: fresh('root'), share1: fresh('sh'), share2: fresh('sh'), two: fresh('two'), taken: fresh('tk'), owner: fresh('own') };
    const legacy = async (resource: string, members: [string, string][]) => {
      const a = await newAllocation({ [resource]: 10 });
      // written as the old code wrote members: with the typed scheduler user name
      await mutateAllocation(a.id, system(), (x) => ({
        before: null,
        after: { ...x, members: [...x.members, ...members.map(([sub, username]) => ({ sub, username, role: 'member' as const, addedAt: x.createdAt }))] },
        entries: [],
        action: 'test.legacy-members',
      }));
      return a.id;
    };
    await legacy('kisti6/gh200', [
      [s.solo, 'solouser'],
      [s.root, 'root'],
      [s.share1, 'shared'],
      [s.two, 'twoa'],
      [s.taken, 'ownedname'],
    ]);
    await legacy('kisti6/gh200', [
      [s.share2, 'shared'],
      [s.two, 'twob'],
    ]);
    await confirm(k6Op, 'kisti6', s.owner, 'ownedname');

    const dry = await api(k6Op, 'POST', '/v1/sites/kisti6/accounts/migrations', { dryRun: true });
    const untouched = await getSiteAccountItem('kisti6', s.solo);
    const run = await api(k6Op, 'POST', '/v1/sites/kisti6/accounts/migrations', { dryRun: false });
    const rerun = await api(k6Op, 'POST', '/v1/sites/kisti6/accounts/migrations', { dryRun: false });
    const byAdmin = await api(admin, 'POST', '/v1/sites/kisti6/accounts/migrations', { dryRun: true });
    const state = async (sub: string) => siteAccountOf((await getSiteAccountItem('kisti6', sub))!);

    expect(dry.status).toBe(200);
    expect(untouched).toBeNull();
    expect(run.body.created.map((c: { sub: string }) => c.sub)).toContain(s.solo);
    expect(await state(s.solo)).toMatchObject({ state: 'active', username: 'solouser', origin: 'migration' });
    for (const sub of [s.root, s.share1, s.share2, s.two, s.taken]) expect(await state(sub)).toMatchObject({ state: 'pending', proposedUsername: proposedUsername(sub), note: expect.any(String) });
    expect((await state(s.root)).note).toMatch(/root/);
    expect((await state(s.share1)).note).toMatch(/2 people/);
    expect((await state(s.two)).note).toMatch(/more than one name/);
    expect((await state(s.taken)).note).toMatch(/another person/);
    expect(rerun.body.created).toEqual([]);
    expect(byAdmin.status).toBe(403);
  });
});
