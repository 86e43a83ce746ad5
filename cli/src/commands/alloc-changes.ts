// Changes to an allocation: kairr alloc members add|remove (the PI), alloc request (supplement,
// extension, exchange, renewal), alloc requests (list), alloc decide (the chair, on a pending
// request). The API checks every body strictly and names each bad field; the CLI only builds it.
import { Argument, type Command } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parseCredits } from '../credits';
import { parseNumber } from '../duration';
import { UsageError } from '../errors';
import { seg } from '../http';
import { emit, fields, table } from '../output';
import { AllocationSchema, AllocRequestSchema, type AllocRequest } from '../schemas';
import * as z from 'zod/mini';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

const showRequest = (r: AllocRequest) =>
  fields([
    ['request', r.requestId],
    ['type', r.type],
    ['state', r.state],
    ['automatic', r.automatic ? 'yes' : 'no'],
    ['reason', r.reason],
    ['new allocation', r.resultAllocationId],
  ]);

/** The body of POST /v1/allocations/{id}/requests for a type, from the flags. */
export function requestBody(type: 'supplement' | 'extension' | 'exchange' | 'renewal', o: { resource?: string; credits?: string; endDate?: string; from?: string; to?: string; justification?: string }): Record<string, unknown> {
  const need = (v: unknown, flag: string) => {
    if (v === undefined) throw new UsageError(msg('requestNeeds', { type, flag }));
    return v;
  };
  const credits = (text: string | undefined) => parseNumber(String(need(text, '--credits N')));
  switch (type) {
    case 'supplement':
      return { type, resource: need(o.resource, '--resource SITE/RESOURCE'), credits: credits(o.credits), justification: need(o.justification, '--justification TEXT') };
    case 'extension':
      return { type, endDate: need(o.endDate, '--end-date YYYY-MM-DD'), justification: need(o.justification, '--justification TEXT') };
    case 'exchange':
      return { type, from: need(o.from, '--from SITE/RESOURCE'), to: need(o.to, '--to SITE/RESOURCE'), credits: credits(o.credits), ...(o.justification ? { justification: o.justification } : {}) };
    case 'renewal':
      return { type, endDate: need(o.endDate, '--end-date YYYY-MM-DD'), credits: parseCredits(String(need(o.credits, '--credits SITE/RESOURCE=N,...'))), justification: need(o.justification, '--justification TEXT') };
  }
}

export function addAllocChanges(alloc: Command<any, any, any>, ctx: Ctx): void {
  const members = alloc.command('members').description("The allocation's members (the PI adds and removes them)");
  for (const verb of ['add', 'remove'] as const) {
    members
      .command(verb)
      .description(verb === 'add' ? 'Add a member by their KAIRR identity (their site logins are site accounts the sites confirm)' : 'Remove a member')
      .argument('<alloc>', 'allocation id')
      .argument('<sub>', "the member's KAIRR identity (sub)")
      .addHelpText('after', `\nExample:\n  kairr alloc members ${verb} alloc-01j... 5b0c...`)
      .action(async (id, sub, _o, cmd) => {
        const c = ctx(cmd);
        const a =
          verb === 'add'
            ? await c.api().request('POST', `/v1/allocations/${seg(id)}/members`, { body: { sub }, schema: AllocationSchema })
            : await c.api().request('DELETE', `/v1/allocations/${seg(id)}/members/${seg(sub)}`, { schema: AllocationSchema });
        await emit(c.io.out, a, c.output, () =>
          fields([
            ['id', a.id],
            ['members', a.members.map((m) => `${m.sub} (${m.role})`)],
          ]),
        );
      });
  }
  alloc
    .command('request')
    .description('Ask for more credits, more time, an exchange between resources, or a renewal')
    .addArgument(new Argument('<alloc>', 'allocation id'))
    .addArgument(new Argument('<type>', 'the kind of request').choices(['supplement', 'extension', 'exchange', 'renewal'] as const))
    .option('--resource <key>', 'supplement: the resource, e.g. spc/h200')
    .option('--credits <n>', 'supplement, exchange: credits; renewal: SITE/RESOURCE=N,...')
    .option('--end-date <date>', 'extension, renewal: the new end (YYYY-MM-DD)')
    .option('--from <key>', 'exchange: the resource to give credits from')
    .option('--to <key>', 'exchange: the resource to move them to')
    .option('--justification <text>', 'why (required except for an exchange)')
    .addHelpText(
      'after',
      '\nExamples:\n  kairr alloc request alloc-01j... supplement --resource spc/h200 --credits 200 --justification "The 7B run needs a second epoch"\n  kairr alloc request alloc-01j... extension --end-date 2027-06-30 --justification "Waiting for the data release"',
    )
    .action(async (id, type, o, cmd) => {
      const c = ctx(cmd);
      const r = await c.api().request('POST', `/v1/allocations/${seg(id)}/requests`, { body: requestBody(type, o), schema: AllocRequestSchema, idempotent: true });
      await emit(c.io.out, r, c.output, () => showRequest(r));
    });
  alloc
    .command('requests')
    .description("The allocation's requests, newest first")
    .argument('<alloc>', 'allocation id')
    .addHelpText('after', '\nExample:\n  kairr alloc requests alloc-01j... --query "items[?state==\'pending\'].requestId"')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get(`/v1/allocations/${seg(id)}/requests`, z.looseObject({ items: z.array(AllocRequestSchema) }));
      await emit(c.io.out, body, c.output, () =>
        table(body.items, [
          { header: 'REQUEST', value: (r) => r.requestId },
          { header: 'TYPE', value: (r) => r.type },
          { header: 'STATE', value: (r) => r.state },
          { header: 'BY', value: (r) => r.requestedBy },
          { header: 'AT', value: (r) => r.requestedAt },
        ]),
      );
    });
  alloc
    .command('decide')
    .description("The chair's decision on a pending request")
    .addArgument(new Argument('<alloc>', 'allocation id'))
    .addArgument(new Argument('<request>', 'request id'))
    .addArgument(new Argument('<decision>', 'approve or reject').choices(['approve', 'reject'] as const))
    .requiredOption('--reason <text>', 'the reason, recorded and shown to the PI')
    .addHelpText('after', '\nExample:\n  kairr alloc decide alloc-01j... req-01j... approve --reason "Within the call\'s remaining capacity"')
    .action(async (id, requestId, decision, o, cmd) => {
      const c = ctx(cmd);
      const r = await c.api().request('POST', `/v1/allocations/${seg(id)}/requests/${seg(requestId)}/decision`, { body: { decision, reason: o.reason }, schema: AllocRequestSchema });
      await emit(c.io.out, r, c.output, () => showRequest(r));
    });
}
