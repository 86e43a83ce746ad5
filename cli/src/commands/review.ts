// kairr review list | submit | conflict (a reviewer's work), and kairr decide (the chair's).
// A review is scores 1-5 per criterion, comments and a recommendation: from a file, from flags,
// or both (flags win over the file's fields, as in kairr recommend).
import { Argument, Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { UsageError } from '../errors';
import { readDocument } from '../files';
import { parseCredits } from '../credits';
import { seg } from '../http';
import { emit, fields, pageTable } from '../output';
import { AssignmentSchema, ConflictSchema, DecisionSchema, page } from '../schemas';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

// As lambdas/domain/approval/model.ts names them (a unit test holds the two together).
export const STATUSES = ['assigned', 'submitted', 'conflicted', 'replaced', 'timed-out', 'cancelled'] as const;
export const RECOMMENDATIONS = ['approve', 'approve-reduced', 'revise', 'reject'] as const;

function score(text: string): number {
  if (!/^[1-5]$/.test(text.trim())) throw new UsageError(msg('badScore', { text }));
  return Number(text);
}

export function reviewCommands(ctx: Ctx): Command<any, any, any>[] {
  const review = new Command('review').description('Your review assignments: list them, submit a review, declare a conflict');
  review
    .command('list')
    .description('Your assignments, newest first')
    .addOption(new Option('--status <s>', 'only assignments in this status').choices(STATUSES))
    .addHelpText('after', '\nExample:\n  kairr review list --status assigned')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get('/v1/reviews/assignments', page(AssignmentSchema), { status: o.status });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'PROPOSAL', value: (a) => a.proposalId },
          { header: 'TITLE', value: (a) => a.title },
          { header: 'ROUND', value: (a) => a.round, right: true },
          { header: 'STATUS', value: (a) => a.status },
          { header: 'DEADLINE', value: (a) => a.deadline },
        ]),
      );
    });
  review
    .command('submit')
    .description('Submit your review of an assigned proposal')
    .argument('<proposal>', 'proposal id')
    .option('-f, --file <review>', 'the review, YAML or JSON: scores, comments, confidentialComments, recommendation')
    .option('--merit <1-5>', 'scientific merit', score)
    .option('--feasibility <1-5>', 'feasibility', score)
    .option('--impact <1-5>', 'impact', score)
    .option('--justification <1-5>', 'resource justification', score)
    .option('--comments <text>', 'comments the PI reads (anonymously)')
    .option('--confidential <text>', 'comments for the committee only')
    .addOption(new Option('--recommendation <r>', 'your recommendation').choices(RECOMMENDATIONS))
    .addHelpText('after', '\nExamples:\n  kairr review submit prop-01j... -f review.yaml\n  kairr review submit prop-01j... --merit 4 --feasibility 4 --impact 5 --justification 3 --recommendation approve --comments "..."')
    .action(async (proposal, o, cmd) => {
      const c = ctx(cmd);
      const body: Record<string, unknown> = o.file ? await readDocument(o.file, c.io.stdin) : {};
      const scores = { ...((body.scores as Record<string, unknown> | undefined) ?? {}) };
      const set = (k: string, v: unknown) => v !== undefined && (scores[k] = v);
      set('merit', o.merit);
      set('feasibility', o.feasibility);
      set('impact', o.impact);
      set('resourceJustification', o.justification);
      body.scores = scores;
      if (o.comments !== undefined) body.comments = o.comments;
      if (o.confidential !== undefined) body.confidentialComments = o.confidential;
      if (o.recommendation !== undefined) body.recommendation = o.recommendation;
      // The API checks the review strictly and names each missing or bad field (printed as its 400).
      const a = await c.api().request('POST', `/v1/proposals/${seg(proposal)}/reviews`, { body, schema: AssignmentSchema, idempotent: true });
      await emit(c.io.out, a, c.output, () =>
        fields([
          ['proposal', a.proposalId],
          ['round', a.round],
          ['status', a.status],
        ]),
      );
    });
  review
    .command('conflict')
    .description('Declare a conflict of interest with a proposal (your slot goes to another reviewer)')
    .argument('<proposal>', 'proposal id')
    .requiredOption('--reason <text>', 'why (the chair reads it)')
    .addHelpText('after', '\nExample:\n  kairr review conflict prop-01j... --reason "I co-authored with the PI last year"')
    .action(async (proposal, o, cmd) => {
      const c = ctx(cmd);
      const r = await c.api().request('POST', `/v1/proposals/${seg(proposal)}/conflicts`, { body: { reason: o.reason }, schema: ConflictSchema, idempotent: true });
      await emit(c.io.out, r, c.output, () =>
        fields([
          ['proposal', r.proposalId],
          ['declared', r.declaredAt],
          ['reassigned', r.reassigned ? 'yes' : 'no'],
        ]),
      );
    });

  const decide = new Command('decide')
    .description("The chair's decision on a proposal: approve (credits per resource), reject, or ask for a revision")
    .addArgument(new Argument('<proposal>', 'proposal id'))
    .addArgument(new Argument('<decision>', 'approve, reject or revise').choices(['approve', 'reject', 'revise'] as const))
    .option('--credits <SITE/RESOURCE=N,...>', 'what to award (approve only; repeatable)', (v: string, prev?: Record<string, number>) => parseCredits(v, prev))
    .requiredOption('--reason <text>', 'the reason, recorded and shown to the PI')
    .addHelpText('after', '\nExamples:\n  kairr decide prop-01j... approve --credits spc/h200=1000 --reason "Strong; GH200 not justified"\n  kairr decide prop-01j... revise --reason "Justify the token count"')
    .action(async (proposal, decision, o, cmd) => {
      const c = ctx(cmd);
      if (decision === 'approve' && !o.credits) throw new UsageError(msg('approveNeedsCredits'));
      if (decision !== 'approve' && o.credits) throw new UsageError(msg('creditsOnlyWithApprove', { decision }));
      const body = decision === 'approve' ? { decision, credits: o.credits, reason: o.reason } : { decision, reason: o.reason };
      const d = await c.api().request('POST', `/v1/proposals/${seg(proposal)}/decision`, { body, schema: DecisionSchema, idempotent: true });
      await emit(c.io.out, d, c.output, () =>
        fields([
          ['proposal', d.proposalId],
          ['state', d.state],
          ['decision', d.decision?.outcome],
          [
            'credits',
            d.decision?.credits
              ? Object.entries(d.decision.credits)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')
              : undefined,
          ],
          ['allocation', d.allocationId ?? undefined],
        ]),
      );
    });
  return [review, decide];
}
