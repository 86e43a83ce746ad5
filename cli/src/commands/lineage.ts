// kairr lineage ARTIFACT@VERSION: what a dataset or model version was made from and what was made
// from it, by which jobs at which sites (the data hub's lineage route). The id's prefix says its
// kind (ds- a dataset, model- a model), so the user names it as the catalogue shows it.
import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { UsageError } from '../errors';
import { seg } from '../http';
import { emit, table } from '../output';
import { LineageSchema } from '../schemas';
import { matchRef } from './catalogue';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

/** "ds-…@1.0.0" (or "@latest", an alias) → its route. */
export function lineagePath(ref: string): string {
  const r = matchRef(ref);
  if (!r?.version) throw new UsageError(msg('notArtifactVersion', { ref }));
  return `/v1/${r.kind === 'ds' ? 'datasets' : 'models'}/${seg(r.id)}/versions/${seg(r.version)}/lineage`;
}

export function lineageCommand(ctx: Ctx): Command<any, any, any> {
  return new Command('lineage')
    .description('What a dataset or model version was made from, and what was made from it, across sites')
    .argument('<artifact@version>', 'a catalogue version, e.g. ds-01hx…@1.0.0')
    .addOption(new Option('--direction <d>', 'ancestors (up), descendants (down) or both').choices(['up', 'down', 'both'] as const).default('both' as const))
    .option('--depth <n>', 'edges to follow, 1 to 10 (a version, the job that read it and what it wrote are 2 apart)', parsePositiveInt, 3)
    .addHelpText('after', '\nExamples:\n  kairr lineage model-01hx…@1.0.0 --direction up --depth 4\n  kairr lineage ds-01hx…@latest --query "nodes[?kind==\'job\'].name"')
    .action(async (ref, o, cmd) => {
      const c = ctx(cmd);
      const r = await c.api().get(lineagePath(ref), LineageSchema, { direction: o.direction, depth: String(o.depth) });
      await emit(c.io.out, r, c.output, () =>
        table(r.nodes, [
          { header: 'LEVEL', value: (n) => n.level, right: true },
          { header: 'WAY', value: (n) => n.direction },
          { header: 'KIND', value: (n) => (n.hidden ? 'hidden' : n.kind) },
          { header: 'SITE', value: (n) => n.site },
          { header: 'NAME', value: (n) => (n.hidden ? '(a version you may not read)' : n.version ? `${n.version.artifact}@${n.version.version}` : `${n.namespace} ${n.name}`) },
        ]),
      );
    });
}
