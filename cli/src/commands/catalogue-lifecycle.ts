// kairr data|model submit | publish | return | deprecate | alias set|remove | location add|list |
// verify: a version's lifecycle in the hub (draft → curation-review → published → deprecated, the
// transitions route), its aliases, and its copies at the sites, verified by a job there
// (lambdas/datahub/verification-api.ts). Added to the same `data` and `model` commands as
// catalogue.ts's reads; one implementation for both kinds, as the API has one set of routes.
import { Argument, type Command, InvalidArgumentError } from '@commander-js/extra-typings';
import * as z from 'zod/mini';
import type { Context } from '../context';
import { LocationSchema, VerificationSchema, type Location, type Verification } from '../access-schemas';
import { parseMinutes, parsePositiveInt } from '../duration';
import { ExitWith, UsageError } from '../errors';
import { seg } from '../http';
import { msg, reason } from '../i18n';
import { emit, fields, progress, table } from '../output';
import { VersionSchema } from '../schemas';
import { matchRef, parseRef } from './catalogue';

type Ctx = (cmd: Command<any, any, any>) => Context;

const AliasesSchema = z.looseObject({ id: z.string(), aliases: z.record(z.string(), z.string()) });
const LOCATION_ID = /^(hub|[a-z][a-z0-9-]{0,31}\.[a-z][a-z0-9-]{0,31})$/;
/** The verify route asks for a retry with the same key on 503 (the site cannot be reached now). */
const VERIFY_RETRY_ON = [429, 502, 503, 504];

function parseLocationId(text: string): string {
  if (!LOCATION_ID.test(text)) throw new InvalidArgumentError(reason(msg('notLocationId', { ref: text })));
  return text;
}

/** --successor: a published version, of this artifact or another, named exactly (no alias). */
function parseSuccessor(text: string): { artifactId: string; version: string } {
  const r = matchRef(text);
  if (!r?.version || !/^\d{1,6}\.\d{1,6}\.\d{1,6}$/.test(r.version)) throw new InvalidArgumentError(reason(msg('notArtifactVersion', { ref: text })));
  return { artifactId: r.id, version: r.version };
}

export function showVerification(v: Verification): string {
  return fields([
    ['verification', v.verificationId],
    ['copy', `${v.artifactId}@${v.version} ${v.locationId} (${v.sitePath})`],
    ['mode', v.mode],
    ['state', v.state],
    ['job', v.schedulerJobId ? `${v.jobId} (scheduler ${v.schedulerJobId})` : v.jobId],
    ['files', v.files],
    ['bytes', v.bytes],
    ['reason', v.code ? `${v.reason ?? ''} (${v.code})` : v.reason],
    ...(v.problems ?? []).map((p, i): [string, unknown] => [i ? '' : 'problems', `${p.path}: ${p.problem}`]),
    ['problem count', v.problemCount],
    ['report', v.reportPath],
  ]);
}

const locationColumns = [
  { header: 'LOCATION', value: (l: Location) => l.locationId },
  { header: 'KIND', value: (l: Location) => l.kind },
  { header: 'STATE', value: (l: Location) => l.state },
  { header: 'PATH', value: (l: Location) => l.sitePath ?? l.path },
  { header: 'VERIFIED', value: (l: Location) => l.lastVerifiedAt?.slice(0, 19) },
  { header: 'REASON', value: (l: Location) => l.reason },
];

export function addCatalogueLifecycle(ctx: Ctx, cmd: Command<any, any, any>): Command<any, any, any> {
  const name = cmd.name() as 'data' | 'model';
  const route = name === 'data' ? 'datasets' : 'models';
  const prefix = name === 'data' ? 'ds' : 'model';
  const what = name === 'data' ? 'dataset' : 'model';
  const ex = `${prefix}-01hx…`;
  const versioned = (ref: string) => {
    const r = parseRef(ref, prefix);
    if (!r.version) throw new UsageError(msg('notArtifactVersion', { ref }));
    return { id: r.id, version: r.version, base: `/v1/${route}/${seg(r.id)}/versions/${seg(r.version)}` };
  };
  const transition = (verb: 'submit' | 'publish' | 'return' | 'deprecate', description: string, examples: string[], next: (id: string) => string | undefined) => {
    const c1 = cmd.command(verb).description(description).argument('<ref>', `${prefix}-…@VERSION`);
    if (verb === 'publish') c1.option('--note <text>', "the curator's note, kept with the version");
    if (verb === 'return') c1.requiredOption('--note <text>', 'what to change, shown to the stewards');
    if (verb === 'deprecate') c1.requiredOption('--successor <id@version>', 'the published version to use instead (of this or another artifact)', parseSuccessor).requiredOption('--reason <text>', 'why, shown with the version');
    c1.addHelpText('after', `\nExample${examples.length > 1 ? 's' : ''}:\n${examples.map((e) => `  kairr ${name} ${verb} ${e}`).join('\n')}`).action(
      async (ref: string, o: { note?: string; reason?: string; successor?: { artifactId: string; version: string } }, c0: Command<any, any, any>) => {
        const c = ctx(c0);
        const r = versioned(ref);
        const body = { action: verb, ...(o.note !== undefined ? { note: o.note } : {}), ...(o.reason !== undefined ? { reason: o.reason } : {}), ...(o.successor ? { successor: o.successor } : {}) };
        const v = await c.api().request('POST', `${r.base}/transitions`, { body, schema: VersionSchema });
        const id = `${v.artifactId}@${v.version}`;
        await emit(c.io.out, v, c.output, () =>
          fields([
            ['id', id],
            ['state', v.state],
            ['published', v.publishedAt],
            ['next', next(id)],
          ]),
        );
      },
    );
  };
  transition(
    'submit',
    `Submit a draft version of a ${what} to curation review: every hub upload is checked against the manifest, then a curator publishes or returns it`,
    [`${ex}@1.0.0`],
    (id) => `a curator publishes it: kairr ${name} publish ${id}`,
  );
  transition('publish', `Publish a version in curation review (a curator, never of an artifact they steward)`, [`${ex}@1.0.0`, `${ex}@1.0.0 --note "Checked the licence and the card"`], (id) => `kairr ${name} alias set ${id} production`);
  transition('return', `Return a version in curation review to draft, saying what to change (a curator)`, [`${ex}@1.0.0 --note "The README names no licence"`], (id) => `the stewards change it and run: kairr ${name} submit ${id}`);
  transition('deprecate', `Deprecate a published version, naming its successor`, [`${ex}@1.0.0 --successor ${ex}@1.1.0 --reason "Labels fixed in 1.1.0"`], () => undefined);

  const alias = cmd.command('alias').description(`Aliases of a ${what} (e.g. production): set, remove`);
  alias
    .command('set')
    .description('Point an alias at a published version (a steward; atomic and audited)')
    .argument('<ref>', `${prefix}-…@MAJOR.MINOR.PATCH`)
    .argument('<alias>', 'e.g. production or stable')
    .addHelpText('after', `\nExample:\n  kairr ${name} alias set ${ex}@1.1.0 production`)
    .action(async (ref, aliasName, _o, c0) => {
      const c = ctx(c0);
      const r = versioned(ref);
      // an alias names a version exactly: the route takes no alias of an alias
      if (!/^\d{1,6}\.\d{1,6}\.\d{1,6}$/.test(r.version)) throw new UsageError(msg('notArtifactVersion', { ref }));
      const a = await c.api().request('PUT', `/v1/${route}/${seg(r.id)}/aliases/${seg(aliasName)}`, { body: { version: r.version }, schema: AliasesSchema });
      await emit(c.io.out, a, c.output, () => fields(Object.entries(a.aliases)));
    });
  alias
    .command('remove')
    .description('Remove an alias (a steward)')
    .argument('<id>', `${prefix}-…`)
    .argument('<alias>', 'the alias')
    .addHelpText('after', `\nExample:\n  kairr ${name} alias remove ${ex} staging`)
    .action(async (id, aliasName, _o, c0) => {
      const c = ctx(c0);
      const r = parseRef(id, prefix);
      const a = await c.api().request('DELETE', `/v1/${route}/${seg(r.id)}/aliases/${seg(aliasName)}`, { schema: AliasesSchema });
      await emit(c.io.out, a, c.output, () => (Object.keys(a.aliases).length ? fields(Object.entries(a.aliases)) : ''));
    });

  const location = cmd.command('location').description(`Copies of a ${what} version: at the hub and under the sites' storage roots`);
  location
    .command('add')
    .description("Register a copy under a site's storage root (a steward): pending until verified there")
    .argument('<ref>', `${prefix}-…@VERSION`)
    .requiredOption('--site <site>', 'the site, e.g. kisti6')
    .requiredOption('--root <root>', "a storage root of the site, as the stage's config names it (e.g. scratch)")
    .requiredOption('--path <path>', "the version's folder under that root, relative")
    .addHelpText('after', `\nExample:\n  kairr ${name} location add ${ex}@1.0.0 --site kisti6 --root scratch --path corpora/ko-news/1.0.0`)
    .action(async (ref, o, c0) => {
      const c = ctx(c0);
      const r = versioned(ref);
      const l = await c.api().request('POST', `${r.base}/locations`, { body: { siteId: o.site, root: o.root, path: o.path }, schema: LocationSchema });
      await emit(c.io.out, l, c.output, () => table([l], locationColumns) + `next: kairr ${name} verify ${r.id}@${r.version} ${l.locationId} --alloc ALLOC --resource RESOURCE --wait\n`);
    });
  location
    .command('list')
    .description('Where copies of the version are, and whether each is verified (for callers permitted to use the data)')
    .argument('<ref>', `${prefix}-…@VERSION`)
    .addHelpText('after', `\nExample:\n  kairr ${name} location list ${ex}@1.0.0 --query "items[?state=='verified'].locationId"`)
    .action(async (ref, _o, c0) => {
      const c = ctx(c0);
      const body = await c.api().get(`${versioned(ref).base}/locations`, z.looseObject({ items: z.array(LocationSchema) }));
      await emit(c.io.out, body, c.output, () => table(body.items, locationColumns));
    });

  cmd
    .command('verify')
    .description(`Verify a copy at a site with a job there, under your allocation: it hashes every file and compares them with the manifest (a draft without files takes the copy's)`)
    .argument('<ref>', `${prefix}-…@VERSION`)
    .addArgument(new Argument('<location>', 'the copy: SITE.ROOT, as location add answered').argParser(parseLocationId))
    .requiredOption('--alloc <id>', 'your allocation at the copy’s site (the job is charged to it)')
    .requiredOption('--resource <resource>', 'a resource of that allocation there, e.g. gh200')
    .option('--time <limit>', "the job's time limit: 90 (minutes), 2h, ... (default 30 minutes, or less if the resource's maximum is)", parseMinutes)
    .option('--wait', 'follow the verification until it ends; exit 0 if the copy is verified, 1 if not')
    .option('--poll <seconds>', 'with --wait: seconds between looks', parsePositiveInt, 5)
    .addHelpText(
      'after',
      `\nExamples:\n  kairr ${name} verify ${ex}@1.0.0 kisti6.scratch --alloc alloc-01j… --resource gh200 --wait\n  kairr ${name} verify ${ex}@1.0.0 spc.project --alloc alloc-01j… --resource h200 --time 2h --query verificationId`,
    )
    .action(async (ref, locationId, o, c0) => {
      const c = ctx(c0);
      const r = versioned(ref);
      const api = c.api();
      const base = `${r.base}/locations/${seg(locationId)}`;
      const body = { allocationId: o.alloc, resource: o.resource, ...(o.time ? { timeLimit: o.time } : {}) };
      let v = await api.request('POST', `${base}/verify`, { body, schema: VerificationSchema, idempotent: true, retryOn: VERIFY_RETRY_ON });
      if (o.wait) {
        progress(c.io.err, c.t(msg('verificationState', { id: v.verificationId, state: v.state, job: v.jobId })));
        // the verification's job has a time limit: the site ends it, and the state with it
        while (v.state === 'running') {
          await c.io.sleep(o.poll * 1000);
          const next = await api.get(`${base}/verifications/${seg(v.verificationId)}`, VerificationSchema);
          if (next.state !== v.state) progress(c.io.err, c.t(msg('verificationState', { id: next.verificationId, state: next.state, job: next.jobId })));
          v = next;
        }
      }
      await emit(c.io.out, v, c.output, () => showVerification(v));
      if (o.wait && v.state !== 'verified') throw new ExitWith(1);
    });
  return cmd;
}
