// kairr pipeline create -f pipeline.yaml [--wait] | show ID [--wait] | list | cancel ID | retry ID
// (the pipelines API, docs/pipelines.md). With --wait, create and show follow the pipeline until it
// has succeeded, failed or been cancelled, print it, and exit 0 only if it succeeded (1 otherwise).
import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { ExitWith, UsageError } from '../errors';
import { readDocument } from '../files';
import { seg } from '../http';
import { emit, fields, pageTable, progress, table } from '../output';
import { CancelOutcomeSchema, PIPELINE_END_STATES, PIPELINE_STATES, PipelineSchema, type Pipeline, type PipelineStage, type StageError } from '../pipeline-schemas';
import { page } from '../schemas';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

const pipelinePath = (id: string) => `/v1/pipelines/${seg(id)}`;
/** ISO times without their milliseconds (the Z kept: they are UTC). */
const time = (t?: string) => t?.replace(/\.\d+Z$/, 'Z');
const cause = (e?: StageError) => (e ? `${e.code}: ${e.message}` : undefined);
const problems = (e: StageError | undefined, indent: string) => (e?.details ?? []).map((d) => `${indent}${d.path || '(body)'}: ${d.problem}\n`).join('');
/** The job of the stage's current attempt (a retried stage's earlier jobs stay in `jobs`, and in --json). */
const currentJob = (s: PipelineStage) => s.jobs.find((j) => j.attempt === s.attempt);

export const isEnded = (p: Pipeline) => (PIPELINE_END_STATES as readonly string[]).includes(p.state);

/** One pipeline: its state, where and why it stopped, and a table of its stages. */
export function showPipeline(p: Pipeline): string {
  const head =
    fields([
      ['pipeline', p.pipelineId],
      ['name', p.name],
      ['state', p.state],
      ['owner', p.owner],
      ['run', p.run],
      ['created', time(p.createdAt)],
      ['ended', time(p.endedAt)],
      ...(p.stoppedAt
        ? ([
            ['stopped at', `stage ${p.stoppedAt.stage} (${p.stoppedAt.state})`],
            ['cause', cause(p.stoppedAt.error)],
          ] as [string, unknown][])
        : []),
    ]) + problems(p.stoppedAt?.error, '  ');
  const stages = table(p.stages, [
    { header: 'STAGE', value: (s) => s.id },
    { header: 'KIND', value: (s) => s.kind },
    { header: 'SITE', value: (s) => (s.resource ? `${s.site}/${s.resource}` : s.site) },
    { header: 'STATE', value: (s) => s.state },
    { header: 'TRY', value: (s) => s.attempt, right: true },
    { header: 'JOB', value: (s) => currentJob(s)?.jobId },
    { header: 'SCHEDULER', value: (s) => currentJob(s)?.schedulerJobId },
    { header: 'STARTED', value: (s) => time(s.startedAt) },
    { header: 'ENDED', value: (s) => time(s.endedAt) },
    { header: 'BYTES', value: (s) => s.bytesMoved, right: true },
  ]);
  const notes = p.stages.flatMap((s) => [...(s.registered ? [`${s.id}: registers ${s.registered.artifact}@${s.registered.version}\n`] : []), ...(s.error ? [`${s.id}: ${cause(s.error)}\n${problems(s.error, '    ')}`] : [])]);
  return `${head}\n${stages}${notes.length ? `\n${notes.join('')}` : ''}`;
}

/** Reads the pipeline every `pollSeconds` until it has ended; each change to stderr on a terminal. */
async function follow(c: Context, first: Pipeline, pollSeconds: number): Promise<Pipeline> {
  const api = c.api();
  let p = first;
  let last = new Map(p.stages.map((s) => [s.id, s.state]));
  let lastState = p.state;
  progress(c.io.err, c.t(msg('pipelineState', { id: p.pipelineId, state: p.state })));
  while (!isEnded(p)) {
    await c.io.sleep(pollSeconds * 1000);
    p = await api.get(pipelinePath(p.pipelineId), PipelineSchema);
    for (const s of p.stages) {
      if (last.get(s.id) === s.state) continue;
      const job = currentJob(s);
      progress(c.io.err, c.t(msg('pipelineStageState', { id: p.pipelineId, stage: s.id, state: s.state, where: job ? `${s.site} ${job.jobId}` : '' })));
    }
    if (p.state !== lastState) progress(c.io.err, c.t(msg('pipelineState', { id: p.pipelineId, state: (lastState = p.state) })));
    last = new Map(p.stages.map((s) => [s.id, s.state]));
  }
  return p;
}

async function printFollowed(c: Context, p: Pipeline, wait: boolean | undefined, poll: number): Promise<void> {
  const shown = wait ? await follow(c, p, poll) : p;
  await emit(c.io.out, shown, c.output, () => showPipeline(shown));
  if (wait && shown.state !== 'succeeded') throw new ExitWith(1);
}

const WAIT_HELP = 'follow it until it has succeeded, failed or been cancelled; exit 0 only if it succeeded, 1 otherwise';
const POLL_HELP = 'with --wait: seconds between looks';

export function pipelineCommands(ctx: Ctx): Command<any, any, any> {
  const pipeline = new Command('pipeline').description('Pipelines: job, transfer and registration stages across the sites, from one file');
  pipeline
    .command('create')
    .description('Submit a pipeline from a YAML or JSON file (the body of POST /v1/pipelines); its first run starts')
    .requiredOption('-f, --file <pipeline>', 'the pipeline, YAML or JSON ("-" for standard input): name, description, stages')
    .option('--wait', WAIT_HELP)
    .option('--poll <seconds>', POLL_HELP, parsePositiveInt, 5)
    .addHelpText(
      'after',
      '\nExamples (pipeline.yaml holds name and stages; see docs/pipelines.md):\n  kairr pipeline create -f pipeline.yaml --query pipelineId\n  kairr pipeline create -f pipeline.yaml --wait   # exit 0 if it succeeded, 1 if it failed or was cancelled',
    )
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await readDocument(o.file, c.io.stdin);
      if (typeof body.name !== 'string' || !Array.isArray(body.stages)) throw new UsageError(msg('pipelineNeeds', { file: o.file }));
      // The API validates the rest strictly and names every problem in one 400, printed as it came.
      const p = await c.api().request('POST', '/v1/pipelines', { body, schema: PipelineSchema, idempotent: true });
      await printFollowed(c, p, o.wait, o.poll);
    });
  pipeline
    .command('show')
    .description("One pipeline: its state, where and why it stopped, and each stage's state, site, job, times and bytes moved")
    .argument('<id>', 'pipeline id (pipe-...)')
    .option('--wait', WAIT_HELP)
    .option('--poll <seconds>', POLL_HELP, parsePositiveInt, 5)
    .addHelpText('after', '\nExamples:\n  kairr pipeline show pipe-01j...\n  kairr pipeline show pipe-01j... --wait --json')
    .action(async (id, o, cmd) => {
      const c = ctx(cmd);
      const p = await c.api().get(pipelinePath(id), PipelineSchema);
      await printFollowed(c, p, o.wait, o.poll);
    });
  pipeline
    .command('list')
    .description('Your pipelines, newest first (an admin: every pipeline); one page')
    .addOption(new Option('--state <state>', 'show only the pipelines of this page in this state (the API does not filter by state)').choices(PIPELINE_STATES))
    .option('--limit <n>', 'at most this many (1 to 200)', parsePositiveInt)
    .option('--next-token <token>', 'the next page, from a previous list')
    .addHelpText('after', '\nExamples:\n  kairr pipeline list --limit 20\n  kairr pipeline list --state failed --query "items[].pipelineId"')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const answer = await c.api().get('/v1/pipelines', page(PipelineSchema), { limit: o.limit, nextToken: o.nextToken });
      const body = o.state ? { ...answer, items: answer.items.filter((p) => p.state === o.state) } : answer;
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'PIPELINE', value: (p) => p.pipelineId },
          { header: 'STATE', value: (p) => p.state },
          { header: 'NAME', value: (p) => p.name },
          { header: 'RUN', value: (p) => p.run, right: true },
          { header: 'DONE', value: (p) => `${p.stages.filter((s) => s.state === 'succeeded').length}/${p.stages.length}`, right: true },
          { header: 'STOPPED AT', value: (p) => p.stoppedAt?.stage },
          { header: 'CREATED', value: (p) => time(p.createdAt) },
        ]),
      );
    });
  pipeline
    .command('cancel')
    .description("Cancel a pipeline: no new stage starts, pending stages are cancelled, running stages' jobs are cancelled at their sites")
    .argument('<id>', 'pipeline id (pipe-...)')
    .addHelpText('after', '\nExamples:\n  kairr pipeline cancel pipe-01j...\n  kairr pipeline show pipe-01j... --wait   # until its sites have confirmed')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const r = await c.api().request('POST', `${pipelinePath(id)}/cancel`, { schema: CancelOutcomeSchema });
      await emit(
        c.io.out,
        r,
        c.output,
        () =>
          showPipeline(r.pipeline) +
          (r.cancelledAtSites.length
            ? `\nAt the sites:\n${table(r.cancelledAtSites, [
                { header: 'STAGE', value: (x) => x.stage },
                { header: 'JOB', value: (x) => x.jobId },
                { header: 'RESULT', value: (x) => x.result },
              ])}`
            : ''),
      );
    });
  pipeline
    .command('retry')
    .description('Retry a failed or cancelled pipeline from the stage that stopped it (succeeded stages are not redone)')
    .argument('<id>', 'pipeline id (pipe-...)')
    .addHelpText('after', '\nExamples:\n  kairr pipeline retry pipe-01j...\n  kairr pipeline retry pipe-01j... --query run')
    .action(async (id, _o, cmd) => {
      const c = ctx(cmd);
      const p = await c.api().request('POST', `${pipelinePath(id)}/retry`, { schema: PipelineSchema });
      await emit(c.io.out, p, c.output, () => showPipeline(p));
    });
  return pipeline;
}
