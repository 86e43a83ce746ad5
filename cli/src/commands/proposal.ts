// kairr proposal create -f proposal.yaml | submit | show | list.
import { Command } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { UsageError } from '../errors';
import { readDocument } from '../files';
import { seg } from '../http';
import { emit, fields, pageTable } from '../output';
import { ProposalSchema, page, type Proposal } from '../schemas';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

const credits = (p: Proposal) =>
  Object.entries(p.credits)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

export const showProposal = (p: Proposal) =>
  fields([
    ['id', p.id],
    ['title', p.title],
    ['state', p.state],
    ['call', p.callId],
    ['tier', p.tier],
    ['credits', credits(p) || undefined],
    ['total credits', p.totalCredits],
    ['created', p.createdAt],
    ['submitted', p.submittedAt],
  ]) + (p.checkProblems?.length ? `\nProblems to fix before it can go on:\n${p.checkProblems.map((x) => `  ${x.path}: ${x.problem}`).join('\n')}\n` : '');

export function proposalCommands(ctx: Ctx): Command<any, any, any> {
  const proposal = new Command('proposal').description('Your proposals: create a draft from a file, submit it, follow it');
  proposal
    .command('create')
    .description('Create a draft proposal from a YAML or JSON file (the body of POST /v1/proposals)')
    .requiredOption('-f, --file <proposal>', 'the proposal, YAML or JSON ("-" for standard input)')
    .addHelpText('after', '\nExample (proposal.yaml holds callId, title, abstract, pi, workload, ...):\n  kairr proposal create -f proposal.yaml --query id')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await readDocument(o.file, c.io.stdin);
      if (typeof body.callId !== 'string' || typeof body.title !== 'string') throw new UsageError(msg('proposalNeeds', { file: o.file }));
      const p = await c.api().request('POST', '/v1/proposals', { body, schema: ProposalSchema, idempotent: true });
      await emit(c.io.out, p, c.output, () => showProposal(p));
    });
  proposal
    .command('submit')
    .description("Submit a draft (inside the call's window); the approval flow starts")
    .argument('<id>', 'proposal id')
    .addHelpText('after', '\nExample:\n  kairr proposal submit prop-01j...')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const p = await c.api().request('POST', `/v1/proposals/${seg(id)}/submit`, { schema: ProposalSchema });
      await emit(c.io.out, p, c.output, () => showProposal(p));
    });
  proposal
    .command('show')
    .description('One proposal')
    .argument('<id>', 'proposal id')
    .addHelpText('after', '\nExample:\n  kairr proposal show prop-01j... --json')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const p = await c.api().get(`/v1/proposals/${seg(id)}`, ProposalSchema);
      await emit(c.io.out, p, c.output, () => showProposal(p));
    });
  proposal
    .command('list')
    .description('Your proposals, newest first (staff: by state and call)')
    .option('--state <state>', 'only proposals in this state (draft, submitted, in-review, ...)')
    .option('--call <callId>', 'only proposals to this call')
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <token>', 'the next page, from a previous list')
    .addHelpText('after', '\nExample:\n  kairr proposal list --state draft')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get('/v1/proposals', page(ProposalSchema), { state: o.state, callId: o.call, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'ID', value: (p) => p.id },
          { header: 'STATE', value: (p) => p.state },
          { header: 'TIER', value: (p) => p.tier },
          { header: 'CREDITS', value: (p) => p.totalCredits, right: true },
          { header: 'CREATED', value: (p) => p.createdAt.slice(0, 10) },
          { header: 'TITLE', value: (p) => p.title },
        ]),
      );
    });
  return proposal;
}
