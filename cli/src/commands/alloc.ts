// kairr alloc list | show | usage (usage draws the burn-down of each resource in the terminal).
import { Command, Option } from '@commander-js/extra-typings';
import { burndown } from '../burndown';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { seg } from '../http';
import { emit, fields, pageTable, table } from '../output';
import { addAllocChanges } from './alloc-changes';
import { AllocationSchema, page, UsageSchema, type Allocation, type Usage } from '../schemas';

type Ctx = (cmd: Command<any, any, any>) => Context;

// As lambdas/domain/ledger/model.ts names them (a unit test holds the two together).
export const ALLOCATION_STATES = ['pending-provisioning', 'active', 'exhausted', 'expired', 'suspended', 'provisioning-failed', 'closed'] as const;

export const showAllocation = (a: Allocation) =>
  fields([
    ['id', a.id],
    ['title', a.title],
    ['state', a.state],
    ['pi', a.piSub],
    ['period', `${a.startDate} – ${a.endDate}`],
    ['members', a.members.map((m) => `${m.sub} (${m.role})`)],
  ]) +
  '\n' +
  table(a.balances, [
    { header: 'RESOURCE', value: (b) => b.resource },
    { header: 'AWARDED', value: (b) => b.awarded, right: true },
    { header: 'USED', value: (b) => b.used, right: true },
    { header: 'BALANCE', value: (b) => b.balance, right: true },
    { header: 'GPU-HOURS LEFT', value: (b) => b.gpuHoursLeft, right: true },
    { header: 'ACCOUNT', value: (b) => a.schedulerAccounts[b.resource] },
  ]);

export function showUsage(u: Usage, width: number): string {
  const parts = u.resources.map((r) =>
    [`${r.resource}: balance ${r.balance} credits, burning ${r.burnPerDay} a day; ${r.projectedExhaustion ? `runs out on ${r.projectedExhaustion}` : 'not running out at this rate'}`, ...burndown(r.days, { width })].join('\n'),
  );
  return `${parts.join('\n\n') || `Allocation ${u.allocationId} has no resources`}\n`;
}

export function allocCommands(ctx: Ctx): Command<any, any, any> {
  const alloc = new Command('alloc').description('Your allocations: balances, members, usage');
  alloc
    .command('list')
    .description('Allocations you belong to (staff: all, with filters)')
    .addOption(new Option('--state <state>', 'only allocations in this state').choices(ALLOCATION_STATES))
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <token>', 'the next page, from a previous list')
    .addHelpText('after', '\nExample:\n  kairr alloc list --state active --query "items[].id"')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get('/v1/allocations', page(AllocationSchema), { state: o.state, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'ID', value: (a) => a.id },
          { header: 'STATE', value: (a) => a.state },
          { header: 'ENDS', value: (a) => a.endDate },
          { header: 'BALANCE', value: (a) => a.balances.reduce((s, b) => s + b.balance, 0), right: true },
          { header: 'RESOURCES', value: (a) => a.balances.map((b) => b.resource) },
          { header: 'TITLE', value: (a) => a.title },
        ]),
      );
    });
  alloc
    .command('show')
    .description('One allocation: state, dates, members, balance per resource')
    .argument('<id>', 'allocation id')
    .addHelpText('after', '\nExample:\n  kairr alloc show alloc-01j...')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const a = await c.api().get(`/v1/allocations/${seg(id)}`, AllocationSchema);
      await emit(c.io.out, a, c.output, () => showAllocation(a));
    });
  alloc
    .command('usage')
    .description('The daily burn-down of each resource, drawn in the terminal, and when it runs out at the recent rate')
    .argument('<id>', 'allocation id')
    .option('--window-days <n>', 'days of recent use the burn rate is taken over (1-90)', parsePositiveInt)
    .addHelpText('after', '\nExample:\n  kairr alloc usage alloc-01j... --window-days 14')
    .action(async (id, o, cmd) => {
      const c = ctx(cmd);
      const u = await c.api().get(`/v1/allocations/${seg(id)}/usage`, UsageSchema, { windowDays: o.windowDays });
      await emit(c.io.out, u, c.output, () => showUsage(u, c.io.out.columns ?? 80));
    });
  addAllocChanges(alloc, ctx);
  return alloc;
}
