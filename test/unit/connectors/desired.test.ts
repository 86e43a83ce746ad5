// What the scheduler should hold for an allocation (desired.ts) and when it already does (inStep).
import { budgetGpuMinutes, desiredAccounts } from '../../../lambdas/connectors/desired';
import { inStep } from '../../../lambdas/connectors/converge';
import type { Allocation } from '../../../lambdas/domain/ledger/model';
import type { AccountState } from '../../../lambdas/connectors/driver';
import { useStageConfig } from '../../support/config';

const cfg = useStageConfig('local');
const NOW = new Date('2026-06-01T12:00:00Z'); // h200 is 1.0 credit per GPU-hour until 2026-09-01, then 0.9
/** The members' logins as the sites confirmed them (site accounts): the only names desired.ts uses. */
const LOGINS = new Map([
  ['spc#pi', 'Alice'],
  ['spc#m', 'bob'],
  ['kisti6#pi', 'Alice'],
  ['kisti6#m', 'bob'],
]);

function allocation(over: Partial<Allocation> = {}): Allocation {
  const acct = (mc: number) => ({ awardedMc: mc, balanceMc: mc, usedMc: 0, overLimitMc: 0, exhausted: false });
  return {
    id: 'alloc-01m8000000000000000000000a',
    state: 'active',
    title: 't',
    piSub: 'pi',
    institution: 'i',
    orgType: 'university',
    field: 'f',
    proposalId: null,
    callId: null,
    tier: null,
    startDate: '2026-01-01',
    endDate: '2026-12-31',
    members: [
      { sub: 'pi', role: 'pi', addedAt: '' },
      { sub: 'm', role: 'member', addedAt: '' },
    ],
    resources: { 'spc/h200': acct(10_000), 'kisti6/gh200': acct(8_000) },
    schedulerAccounts: {},
    createdAt: '',
    updatedAt: '',
    entryCount: 2,
    ...over,
  };
}

describe('desiredAccounts', () => {
  test('one account per resource: its partition, the members (lower-cased), and credits ÷ rate × 60 GPU-minutes', () => {
    const { accounts, unknownResources } = desiredAccounts(allocation(), cfg.sites, { now: NOW, logins: LOGINS });

    expect(unknownResources).toEqual([]);
    expect(accounts).toEqual([
      expect.objectContaining({
        resourceKey: 'kisti6/gh200',
        siteId: 'kisti6',
        account: 'k-alloc-01m8000000000000000000000a-gh200',
        parentAccount: 'kairr',
        partition: 'gh200',
        gpuMinutes: 600,
        blocked: false,
        members: ['alice', 'bob'],
        exists: true,
      }),
      expect.objectContaining({ resourceKey: 'spc/h200', siteId: 'spc', account: 'k-alloc-01m8000000000000000000000a-h200', partition: 'h200', gpuMinutes: 600, blocked: false, members: ['alice', 'bob'], exists: true }),
    ]);
  });

  test('the rate in force on the day prices the budget', () => {
    const [, spc] = desiredAccounts(allocation(), cfg.sites, { now: new Date('2026-10-01T00:00:00Z'), logins: LOGINS }).accounts;
    expect(spc.gpuMinutes).toBe(666); // 10 credits at 0.9
  });

  test('the budget counts every credit granted: used plus left, plus the overdraft the policy allows', () => {
    expect(budgetGpuMinutes({ usedMc: 4_000, balanceMc: 6_000 }, 1.0)).toBe(600);
    expect(budgetGpuMinutes({ usedMc: 4_000, balanceMc: 6_000 }, 1.0, 1_000)).toBe(660);
    expect(budgetGpuMinutes({ usedMc: 0, balanceMc: -500 }, 1.0)).toBe(0);
  });

  test.each([
    ['exhausted', true, true],
    ['suspended', true, true],
    ['expired', true, false],
    ['closed', true, false],
    ['active', false, true],
    ['pending-provisioning', false, true],
    ['provisioning-failed', false, true],
  ] as const)('an allocation that is %s: blocked=%s, members keep access=%s', (state, blocked, access) => {
    const [d] = desiredAccounts(allocation({ state, schedulerAccounts: { 'kisti6/gh200': 'k-recorded' } }), cfg.sites, { now: NOW, logins: LOGINS }).accounts;
    expect(d).toMatchObject({ blocked, members: access ? ['alice', 'bob'] : [], account: 'k-recorded', exists: true });
  });

  test('only the exhausted resource is blocked while the allocation is active', () => {
    const a = allocation();
    a.resources['spc/h200'].exhausted = true;
    const [k6, spc] = desiredAccounts(a, cfg.sites, { now: NOW, logins: LOGINS }).accounts;
    expect([k6.blocked, spc.blocked]).toEqual([false, true]);
    expect(spc.why).toEqual(['spc/h200 has no credits left']);
  });

  test('an allocation that ended before it was provisioned needs no account', () => {
    const [d] = desiredAccounts(allocation({ state: 'expired' }), cfg.sites, { now: NOW, logins: LOGINS }).accounts;
    expect(d.exists).toBe(false);
  });

  test('resources no configured site offers are reported, not provisioned; siteId selects one site', () => {
    const a = allocation();
    a.resources['nowhere/x100'] = a.resources['spc/h200'];
    const all = desiredAccounts(a, cfg.sites, { now: NOW, logins: LOGINS });
    const spcOnly = desiredAccounts(a, cfg.sites, { now: NOW, siteId: 'spc', logins: LOGINS });
    expect(all.unknownResources).toEqual(['nowhere/x100']);
    expect(spcOnly.accounts.map((x) => x.resourceKey)).toEqual(['spc/h200']);
  });
});

describe('members are their site accounts, never a name from a request', () => {
  test('a typed (legacy) username is ignored: the association is the login the site confirmed', () => {
    const a = allocation({
      members: [
        { sub: 'pi', username: 'root', role: 'pi', addedAt: '' },
        { sub: 'm', username: 'slurm', role: 'member', addedAt: '' },
      ],
    });
    const [k6, spc] = desiredAccounts(a, cfg.sites, {
      now: NOW,
      logins: new Map([
        ['spc#pi', 'kabc'],
        ['kisti6#m', 'kdef'],
      ]),
    }).accounts;

    expect(spc).toMatchObject({ members: ['kabc'], awaitingAccounts: ['m'] });
    expect(k6).toMatchObject({ members: ['kdef'], awaitingAccounts: ['pi'] });
    expect([...spc.members, ...k6.members]).not.toContain('root');
    expect([...spc.members, ...k6.members]).not.toContain('slurm');
  });

  test('a member without an account at a site has no association there, and is waiting for one', () => {
    const [k6, spc] = desiredAccounts(allocation(), cfg.sites, { now: NOW, logins: new Map() }).accounts;
    expect([k6.members, spc.members]).toEqual([[], []]);
    expect([k6.awaitingAccounts, spc.awaitingAccounts]).toEqual([
      ['m', 'pi'],
      ['m', 'pi'],
    ]);
  });
});

describe('inStep', () => {
  const [d] = desiredAccounts(allocation(), cfg.sites, { now: NOW, logins: LOGINS }).accounts;
  const state = (over: Partial<AccountState> = {}): AccountState => ({
    account: d.account,
    cluster: 'kisti6',
    parentAccount: 'kairr',
    limits: { gpuMinutes: 600 },
    blocked: false,
    members: [
      { user: 'alice', partition: 'gh200' },
      { user: 'bob', partition: 'gh200' },
    ],
    grpTresMins: { 'gres/gpu': 600 },
    ...over,
  });

  test('is true when budget, block, parent and members match (a partition-less association counts)', () => {
    expect(inStep(d, state())).toBe(true);
    expect(
      inStep(
        d,
        state({
          members: [
            { user: 'alice', partition: '' },
            { user: 'bob', partition: 'gh200' },
          ],
        }),
      ),
    ).toBe(true);
  });

  test.each([
    ['a different budget', { limits: { gpuMinutes: 1 } }],
    ['a block', { blocked: true }],
    ['a member missing', { members: [{ user: 'alice', partition: 'gh200' }] }],
    [
      'a stranger',
      {
        members: [
          { user: 'alice', partition: 'gh200' },
          { user: 'bob', partition: 'gh200' },
          { user: 'eve', partition: 'gh200' },
        ],
      },
    ],
    [
      'a member on another partition',
      {
        members: [
          { user: 'alice', partition: 'h200' },
          { user: 'bob', partition: 'gh200' },
        ],
      },
    ],
    ['an interrupted move (under root)', { parentAccount: 'root' }],
  ])('is false with %s', (_what, over) => {
    expect(inStep(d, state(over as Partial<AccountState>))).toBe(false);
  });

  test('a missing account is in step only when none should exist', () => {
    expect(inStep(d, undefined)).toBe(false);
    expect(inStep({ ...d, exists: false }, undefined)).toBe(true);
  });
});
