// kairr data search | show and kairr model search | show: the data hub's catalogue, read-only.
// One implementation for both kinds, as the API has one set of routes for both ({kind}).
// The writes (create, version create, upload/push, pull) are added to the same commands by catalogue-writes.ts,
// the lifecycle and copies by catalogue-lifecycle.ts, and access to restricted data (data only) by access.ts.
import { Command, Option } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { parsePositiveInt } from '../duration';
import { UsageError } from '../errors';
import { seg } from '../http';
import { emit, fields, pageTable } from '../output';
import { ArtifactSchema, CatalogueHitSchema, VersionSchema, page } from '../schemas';
import { msg } from '../i18n';

type Ctx = (cmd: Command<any, any, any>) => Context;

const bilingual = (b: { ko?: string; en?: string }) => [b.en, b.ko].filter(Boolean).join(' / ');

/** "ID" or "ID@VERSION" (a version label or an alias such as latest), with the kind its prefix names. */
export function matchRef(ref: string): { id: string; kind: 'ds' | 'model'; version?: string } | undefined {
  const m = /^((ds|model)-[0-9a-z]{26})(?:@([^@/\s]{1,20}))?$/.exec(ref);
  return m ? { id: m[1], kind: m[2] as 'ds' | 'model', ...(m[3] ? { version: m[3] } : {}) } : undefined;
}

export function parseRef(ref: string, prefix: 'ds' | 'model'): { id: string; version?: string } {
  const r = matchRef(ref);
  if (r?.kind !== prefix) throw new UsageError(msg('notArtifactId', { ref, kind: prefix, prefix }));
  return { id: r.id, ...(r.version ? { version: r.version } : {}) };
}

function kindCommand(ctx: Ctx, name: 'data' | 'model'): Command<any, any, any> {
  const route = name === 'data' ? 'datasets' : 'models';
  const prefix = name === 'data' ? 'ds' : 'model';
  const what = name === 'data' ? 'dataset' : 'model';
  const cmd = new Command(name).description(
    `The catalogue's ${route}: search, show, create, version create, ${name === 'data' ? 'upload' : 'push'}, pull, submit, publish, deprecate, alias, location, verify${name === 'data' ? ', request-access, access, permits' : ''}`,
  );
  cmd
    .command('search')
    .description(`Search published ${route} in Korean and English (every word must match)`)
    .argument('[words...]', 'what to look for')
    .option('--field <code>', 'field of science (FOS code, e.g. 1.2)')
    .option('--licence <spdx>', 'e.g. cc-by-4.0')
    .addOption(new Option('--access <level>', 'access level').choices(['public', 'registered', 'restricted'] as const))
    .option('--site <site>', 'a site that holds a verified copy')
    .option('--limit <n>', 'at most this many', parsePositiveInt)
    .option('--next-token <t>', 'the next page')
    .addHelpText('after', `\nExamples:\n  kairr ${name} search 한국어 말뭉치 --site kisti6\n  kairr ${name} search weather --query "items[].id"`)
    .action(async (words, o, c0) => {
      const c = ctx(c0);
      const body = await c.api().get(`/v1/${route}`, page(CatalogueHitSchema), { q: words.length ? words.join(' ') : undefined, field: o.field, licence: o.licence, access: o.access, site: o.site, limit: o.limit, nextToken: o.nextToken });
      await emit(c.io.out, body, c.output, () =>
        pageTable(body, [
          { header: 'ID', value: (h) => h.id },
          { header: 'NAME', value: (h) => bilingual(h.name) },
          { header: 'LATEST', value: (h) => h.latestVersion },
          { header: 'ACCESS', value: (h) => h.accessLevel },
          { header: 'SITES', value: (h) => h.sites.join(',') },
        ]),
      );
    });
  cmd
    .command('show')
    .description(`A ${what}, or one of its versions (ID@VERSION; an alias such as latest names one too)`)
    .argument('<ref>', `${prefix}-… or ${prefix}-…@VERSION`)
    .addHelpText('after', `\nExamples:\n  kairr ${name} show ${prefix}-01hx…\n  kairr ${name} show ${prefix}-01hx…@latest --json`)
    .action(async (ref, _o, c0) => {
      const c = ctx(c0);
      const r = parseRef(ref, prefix);
      if (!r.version) {
        const a = await c.api().get(`/v1/${route}/${seg(r.id)}`, ArtifactSchema);
        await emit(c.io.out, a, c.output, () =>
          fields([
            ['id', a.id],
            ['name', bilingual(a.name)],
            ['licence', a.licence],
            ['access', a.accessLevel],
            ['latest', a.latestVersion],
            ['published', a.publishedVersions.join(', ') || undefined],
            ['sites', a.sites.join(', ') || undefined],
          ]),
        );
        return;
      }
      const v = await c.api().get(`/v1/${route}/${seg(r.id)}/versions/${seg(r.version)}`, VersionSchema);
      await emit(c.io.out, v, c.output, () =>
        fields([
          ['id', `${v.artifactId}@${v.version}`],
          ['state', v.state],
          ['files', v.files],
          ['bytes', v.bytes],
          ['derived from', v.derivedFrom.map((d) => `${d.artifactId}@${d.version}`).join(', ') || undefined],
          ['published', v.publishedAt],
          ['lineage', `kairr lineage ${v.artifactId}@${v.version}`],
        ]),
      );
    });
  return cmd;
}

export function catalogueCommands(ctx: Ctx): Command<any, any, any>[] {
  return [kindCommand(ctx, 'data'), kindCommand(ctx, 'model')];
}
