// kairr job submit script.sh --alloc A --site S --resource R --gpus N --time 2h [--wait] | list |
// show | cancel. With --wait, submit follows the job's state until it ends and exits with the job's
// exit code (1 when it ended without running: rejected, not submitted, cancelled).
import { readFileSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parseMinutes, parsePositiveInt } from '../duration';
import { ExitWith, UsageError } from '../errors';
import { seg } from '../http';
import { emit, fields, progress, pageTable } from '../output';
import { JOB_END_STATES, JobSchema, page, type Job } from '../schemas';
import { type Message, msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

export const showJob = (j: Job) =>
  fields([
    ['job', j.jobId],
    ['allocation', j.allocationId],
    ['name', j.name],
    ['site', `${j.site} / ${j.resource}`],
    ['state', j.schedulerState ? `${j.state} (${j.schedulerState})` : j.state],
    ['user', j.user],
    ['gpus x nodes', `${j.gpus} x ${j.nodes}`],
    ['time limit (min)', j.timeLimit],
    ['scheduler job', j.schedulerJobId],
    ['exit code', j.exitCode],
    ['reason', j.reason ?? j.error],
    ['estimated credits', j.estimatedCredits],
    ['start', j.start],
    ['end', j.end],
  ]);

export const isEnded = (j: Job) => (JOB_END_STATES as readonly string[]).includes(j.state);

/** The exit code `submit --wait` ends with: the job's own for a job that ran, else 1. */
export function exitCodeOf(j: Job): number {
  if (j.state !== 'finished') return 1;
  if (j.exitCode !== undefined) return Math.max(0, Math.min(255, j.exitCode));
  return j.schedulerState === undefined || j.schedulerState === 'COMPLETED' ? 0 : 1;
}

const jobsPath = (alloc: string) => `/v1/allocations/${seg(alloc)}/jobs`;

export function jobCommands(ctx: Ctx): Command<any, any, any> {
  const job = new Command('job').description('Jobs under an allocation: submit to a site, follow, list, cancel');
  job
    .command('submit')
    .description("Submit a batch script to one of the allocation's resources, as your own site account there")
    .argument('<script>', 'the batch script (starting with #!), or "-" for standard input')
    .requiredOption('--alloc <id>', 'the allocation to charge')
    .requiredOption('--site <site>', 'the site, e.g. kisti6')
    .requiredOption('--resource <resource>', 'the resource at the site, e.g. gh200')
    .requiredOption('--gpus <n>', 'GPUs per node', parsePositiveInt)
    .requiredOption('--time <limit>', 'time limit: 90 (minutes), 90m, 2h, 1h30m, 1d or 02:00:00', parseMinutes)
    .option('--nodes <n>', 'nodes', parsePositiveInt)
    .option('--name <name>', 'a name for people')
    .option('--env <NAME=value...>', 'environment variables for the job')
    .option('--wait', "follow the job until it ends, and exit with the job's exit code")
    .option('--poll <seconds>', 'with --wait: seconds between looks', parsePositiveInt, 2)
    .addHelpText('after', '\nExample:\n  kairr job submit train.sh --alloc alloc-01j... --site kisti6 --resource gh200 --gpus 4 --time 2h --wait')
    .action(async (script, o, cmd) => {
      const c = ctx(cmd);
      let text: string;
      try {
        text = script === '-' ? c.io.stdin() : readFileSync(script, 'utf8');
      } catch (e) {
        throw new UsageError(msg('cannotReadScript', { path: script, reason: (e as NodeJS.ErrnoException).code ?? (e as Error).message }));
      }
      const env = o.env ? Object.fromEntries(o.env.map((kv) => (kv.includes('=') ? [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] : usage(msg('badEnv', { value: kv }))))) : undefined;
      const body = { site: o.site, resource: o.resource, script: text, gpus: o.gpus, timeLimit: o.time, ...(o.nodes ? { nodes: o.nodes } : {}), ...(o.name ? { name: o.name } : {}), ...(env ? { env } : {}) };
      const api = c.api();
      let j = await api.request('POST', jobsPath(o.alloc), { body, schema: JobSchema, idempotent: true });
      if (!o.wait) return emit(c.io.out, j, c.output, () => showJob(j));
      progress(c.io.err, c.t(msg('jobState', { id: j.jobId, state: j.state, scheduler: '' })));
      let last = j.state;
      while (!isEnded(j)) {
        await c.io.sleep(o.poll * 1000);
        j = await api.get(`${jobsPath(o.alloc)}/${seg(j.jobId)}`, JobSchema);
        if (j.state !== last) progress(c.io.err, c.t(msg('jobState', { id: j.jobId, state: (last = j.state), scheduler: j.schedulerState ?? '' })));
      }
      await emit(c.io.out, j, c.output, () => showJob(j));
      const code = exitCodeOf(j);
      if (code !== 0) throw new ExitWith(code);
    });
  job
    .command('list')
    .description("The allocation's jobs, newest first")
    .requiredOption('--alloc <id>', 'the allocation')
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <token>', 'the next page, from a previous list')
    .addHelpText('after', '\nExample:\n  kairr job list --alloc alloc-01j... --query "items[?state==\'running\'].jobId"')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get(jobsPath(o.alloc), page(JobSchema), { limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'JOB', value: (j) => j.jobId },
          { header: 'STATE', value: (j) => j.state },
          { header: 'SITE', value: (j) => `${j.site}/${j.resource}` },
          { header: 'GPUS', value: (j) => j.gpus * j.nodes, right: true },
          { header: 'EXIT', value: (j) => j.exitCode, right: true },
          { header: 'CREATED', value: (j) => j.createdAt.slice(0, 19) },
          { header: 'NAME', value: (j) => j.name },
        ]),
      );
    });
  job
    .command('show')
    .description("One job's state, asked of its site")
    .argument('<job>', 'job id (job-...)')
    .requiredOption('--alloc <id>', 'the allocation')
    .addHelpText('after', '\nExample:\n  kairr job show job-01j... --alloc alloc-01j...')
    .action(async (jobId, o, cmd) => {
      const c = ctx(cmd);
      const j = await c.api().get(`${jobsPath(o.alloc)}/${seg(jobId)}`, JobSchema);
      await emit(c.io.out, j, c.output, () => showJob(j));
    });
  job
    .command('cancel')
    .description('Cancel a job (yours, or any under your allocation as its PI)')
    .argument('<job>', 'job id (job-...)')
    .requiredOption('--alloc <id>', 'the allocation')
    .addHelpText('after', '\nExample:\n  kairr job cancel job-01j... --alloc alloc-01j...')
    .action(async (jobId, o, cmd) => {
      const c = ctx(cmd);
      const j = await c.api().request('DELETE', `${jobsPath(o.alloc)}/${seg(jobId)}`, { schema: JobSchema });
      await emit(c.io.out, j, c.output, () => showJob(j));
    });
  return job;
}

function usage(message: Message): never {
  throw new UsageError(message);
}
