// kairr sites list | show, and kairr recommend (the workload profile as flags, a file, or both:
// flags win over the file's fields).
import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parseNumber, parsePositiveInt } from '../duration';
import { UsageError } from '../errors';
import { readDocument } from '../files';
import { seg } from '../http';
import { emit, fields, table } from '../output';
import { RecommendationSchema, SiteSchema, page, type Site } from '../schemas';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

const resourceRows = (sites: Site[]) => sites.flatMap((s) => s.resources.map((r) => ({ site: s.id, ...r })));
const resourceTable = (sites: Site[]) =>
  table(resourceRows(sites), [
    { header: 'SITE', value: (r) => r.site },
    { header: 'RESOURCE', value: (r) => r.id },
    { header: 'GPU', value: (r) => r.gpuModel },
    { header: 'GPUS/NODE', value: (r) => r.gpusPerNode, right: true },
    { header: 'NODES', value: (r) => r.nodes, right: true },
    { header: 'GPUS', value: (r) => r.totalGpus, right: true },
    { header: 'MAX TIME (MIN)', value: (r) => r.maxTimeLimitMinutes, right: true },
    { header: 'CREDITS/GPU-H', value: (r) => r.creditRate?.creditsPerGpuHour, right: true },
  ]);

export function siteCommands(ctx: Ctx): Command<any, any, any>[] {
  const sites = new Command('sites').description('The sites and their resources');
  sites
    .command('list')
    .description('Every site and resource, with its size and credit rate')
    .addHelpText('after', '\nExample:\n  kairr sites list --query "items[].resources[].key"')
    .action(async (_o, cmd) => {
      const c = ctx(cmd);
      const body = await c.api().get('/v1/sites', page(SiteSchema));
      await emit(c.io.out, body, c.output, () => resourceTable(body.items));
    });
  sites
    .command('show')
    .description('One site and its resources')
    .argument('<site>', 'site id, e.g. kisti6')
    .addHelpText('after', '\nExample:\n  kairr sites show kisti6')
    .action(async (site, _o, cmd) => {
      const c = ctx(cmd);
      const s = await c.api().get(`/v1/sites/${seg(site)}`, SiteSchema);
      await emit(
        c.io.out,
        s,
        c.output,
        () =>
          `${fields([
            ['site', s.id],
            ['name', s.name],
          ])}\n${resourceTable([s])}`,
      );
    });

  const recommend = new Command('recommend')
    .description('Rank every resource for a workload: GPU-hours, credits, time, and why')
    .option('-f, --file <profile>', 'the workload profile, YAML or JSON ("-" for standard input)')
    .addOption(new Option('--workload <type>', 'the kind of work').choices(['pretraining', 'fine-tuning', 'inference', 'hpc-simulation', 'ai-for-science'] as const))
    .option('--parameters <n>', 'model parameters, e.g. 7e10', parseNumber)
    .option('--training-tokens <n>', 'tokens processed in training', parseNumber)
    .option('--inference-tokens <n>', 'tokens to process and generate', parseNumber)
    .option('--total-pflop <n>', 'floating-point work of the campaign, in PFLOP', parseNumber)
    .addOption(new Option('--precision <p>', 'numeric precision').choices(['fp64', 'tf32', 'bf16', 'fp16', 'fp8'] as const))
    .addOption(new Option('--method <m>', 'fine-tuning method').choices(['full', 'lora', 'qlora'] as const))
    .option('--nodes <n>', 'nodes the job will use', parsePositiveInt)
    .option('--deadline <date>', 'finish by this date (YYYY-MM-DD)')
    .option('--budget <credits>', 'at most this many credits', parseNumber)
    .option('--dataset-gb <gb>', 'dataset size in GB', parseNumber)
    .option('--dataset-site <site>', 'where the dataset is now')
    .addHelpText('after', '\nExamples:\n  kairr recommend --workload fine-tuning --parameters 7e9 --training-tokens 2e9 --precision bf16\n  kairr recommend -f profile.yaml --deadline 2027-03-31')
    .action(async (o, cmd) => {
      const c = ctx(cmd);
      const profile: Record<string, unknown> = o.file ? await readDocument(o.file, c.io.stdin) : {};
      const set = (k: string, v: unknown) => v !== undefined && (profile[k] = v);
      set('workload', o.workload);
      set('parameters', o.parameters);
      set('trainingTokens', o.trainingTokens);
      set('inferenceTokens', o.inferenceTokens);
      set('totalPflop', o.totalPflop);
      set('precision', o.precision);
      set('method', o.method);
      set('nodes', o.nodes);
      set('deadline', o.deadline);
      set('budgetCredits', o.budget);
      if (o.datasetGb !== undefined || o.datasetSite !== undefined) {
        if (o.datasetGb === undefined || o.datasetSite === undefined) throw new UsageError(msg('datasetFlagsTogether'));
        profile.dataset = { sizeGB: o.datasetGb, location: { siteId: o.datasetSite } };
      }
      if (profile.workload === undefined) throw new UsageError(msg('whatWork'));
      // The API validates the profile strictly and names each bad field (printed as its 400).
      const r = await c.api().request('POST', '/v1/recommendations', { body: profile, schema: RecommendationSchema });
      await emit(c.io.out, r, c.output, () => {
        const head = `Recommended: ${r.recommended ?? 'none is feasible'} (workload ${r.workload})\n\n`;
        const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
        return (
          head +
          table(r.ranked, [
            { header: 'RANK', value: (x) => x.rank, right: true },
            { header: 'RESOURCE', value: (x) => x.resourceKey },
            { header: 'GPU', value: (x) => x.gpuModel },
            { header: 'FEASIBLE', value: (x) => (x.feasible ? 'yes' : 'no') },
            { header: 'SCORE', value: (x) => x.score, right: true },
            { header: 'GPU-HOURS', value: (x) => num(x.estimate?.gpuHours), right: true },
            { header: 'CREDITS', value: (x) => num(x.estimate?.credits), right: true },
            { header: 'WALL-CLOCK H', value: (x) => num(x.estimate?.wallClockHours), right: true },
            { header: 'WHY NOT', value: (x) => x.blockers.join('; ') },
          ])
        );
      });
    });
  return [sites, recommend];
}
