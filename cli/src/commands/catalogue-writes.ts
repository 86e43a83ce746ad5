// kairr data|model create -f FILE | version create ID@VERSION | upload (data) / push (model) ID@VERSION
// PATH... | pull ID[@VERSION]: the data hub's writes, and downloads, beside catalogue.ts's reads
// (added to the same `data` and `model` commands; one implementation for both kinds, as the API has
// one set of routes for both). The moving of bytes, the hashing and the resume state: transfer.ts.
import { type Command, InvalidArgumentError } from '@commander-js/extra-typings';
import type { Context } from '../context';
import { DraftSchema } from '../datahub-schemas';
import { CliError, UsageError } from '../errors';
import { readDocument } from '../files';
import { seg } from '../http';
import { msg, reason } from '../i18n';
import { emit, fields, table } from '../output';
import { ArtifactSchema, VersionSchema } from '../schemas';
import {
  barFor,
  DEFAULT_PART_MIB,
  destinationOf,
  digestsOf,
  downloadFile,
  isPresent,
  localFiles,
  readManifest,
  registerInManifest,
  UploadState,
  uploadFile,
  type HashedFile,
  type PullStatus,
  type Target,
  type UploadOutcome,
} from '../transfer';
import { parseRef } from './catalogue';

type Ctx = (cmd: Command<any, any, any>) => Context;

const bilingual = (b: { ko?: string; en?: string }) => [b.en, b.ko].filter(Boolean).join(' / ');

/** --part-size in MiB: S3's parts are 5 MiB to 5 GiB. */
export function parsePartSize(text: string): number {
  const n = Number(text.trim());
  if (!/^\d+$/.test(text.trim()) || n < 5 || n > 5120) throw new InvalidArgumentError(reason(msg('badPartSize')));
  return n;
}

export function addCatalogueWrites(ctx: Ctx, cmd: Command<any, any, any>): Command<any, any, any> {
  const name = cmd.name() as 'data' | 'model';
  const route = name === 'data' ? 'datasets' : 'models';
  const prefix = name === 'data' ? 'ds' : 'model';
  const what = name === 'data' ? 'dataset' : 'model';
  const send = name === 'data' ? 'upload' : 'push';
  const versioned = (ref: string) => {
    const r = parseRef(ref, prefix);
    if (!r.version) throw new UsageError(msg('notArtifactVersion', { ref }));
    return { id: r.id, version: r.version };
  };

  cmd
    .command('create')
    .description(`Register a ${what} from a YAML or JSON file (the body of POST /v1/${route}); you become its steward`)
    .requiredOption('-f, --file <file>', `the ${what}: name, description, fieldOfScience, licence, accessLevel, ... ("-" for standard input)`)
    .addHelpText('after', `\nExamples (${what}.yaml holds name: {ko, en}, description, fieldOfScience, licence, accessLevel):\n  kairr ${name} create -f ${what}.yaml\n  ID=$(kairr ${name} create -f ${what}.yaml --query id)`)
    .action(async (o, c0) => {
      const c = ctx(c0);
      const body = await readDocument(o.file, c.io.stdin);
      const a = await c.api().request('POST', `/v1/${route}`, { body, schema: ArtifactSchema, idempotent: true });
      await emit(c.io.out, a, c.output, () =>
        fields([
          ['id', a.id],
          ['name', bilingual(a.name)],
          ['licence', a.licence],
          ['access', a.accessLevel],
          ['next', `kairr ${name} version create ${a.id}@1.0.0`],
        ]),
      );
    });

  const version = cmd.command('version').description(`Versions of a ${what}: start a draft`);
  version
    .command('create')
    .description(`Start a draft version of a ${what} (the body of POST /v1/${route}/{id}/versions from a file, if given)`)
    .argument('<ref>', `${prefix}-…@MAJOR.MINOR.PATCH (the version may come from the file instead)`)
    .option('-f, --file <file>', 'changelog, derivedFrom, modelCard, ... (YAML or JSON; "-" for standard input)')
    .option('--changelog <text>', 'what changed (wins over the file)')
    .option('--derived-from <ref...>', 'versions it was made from, as ID@VERSION (wins over the file)')
    .addHelpText('after', `\nExamples:\n  kairr ${name} version create ${prefix}-01hx…@1.0.0 --changelog "first release"\n  kairr ${name} version create ${prefix}-01hx…@1.1.0 -f version.yaml`)
    .action(async (ref, o, c0) => {
      const c = ctx(c0);
      const r = parseRef(ref, prefix);
      const doc = o.file ? await readDocument(o.file, c.io.stdin) : {};
      const v = r.version ?? (typeof doc.version === 'string' ? doc.version : undefined);
      if (!v) throw new UsageError(msg('versionNeeded', { ref }));
      const derivedFrom = o.derivedFrom?.map((d) => {
        const m = /^((?:ds|model)-[0-9a-z]{26})@([^@/\s]{1,20})$/.exec(d);
        if (!m) throw new UsageError(msg('notArtifactVersion', { ref: d }));
        return { artifactId: m[1], version: m[2] };
      });
      const body = { ...doc, version: v, ...(o.changelog !== undefined ? { changelog: o.changelog } : {}), ...(derivedFrom ? { derivedFrom } : {}) };
      const created = await c.api().request('POST', `/v1/${route}/${seg(r.id)}/versions`, { body, schema: VersionSchema, idempotent: true });
      await emit(c.io.out, created, c.output, () =>
        fields([
          ['id', `${created.artifactId}@${created.version}`],
          ['state', created.state],
          ['next', `kairr ${name} ${send} ${created.artifactId}@${created.version} PATH...`],
        ]),
      );
    });

  cmd
    .command(send)
    .description(
      `Upload files into a draft version of a ${what} in the hub: each is hashed (SHA-256 per part and per file), added to the manifest if it is not there, sent part by part, and checked by the hub. Interrupted, the same command again sends only what S3 does not hold yet`,
    )
    .argument('<ref>', `${prefix}-…@VERSION (a draft)`)
    .argument('<paths...>', 'files (each under its name) and folders (their files, by their paths inside)')
    .option('--prefix <path>', 'put them under this folder of the version')
    .option('--part-size <MiB>', `bytes per part, in MiB (5 to 5120; default ${DEFAULT_PART_MIB}); a smaller file is one PUT`, parsePartSize, DEFAULT_PART_MIB)
    .addHelpText('after', `\nExamples:\n  kairr ${name} ${send} ${prefix}-01hx…@1.0.0 ./${name === 'data' ? 'corpus' : 'checkpoint'} README.md\n  kairr ${name} ${send} ${prefix}-01hx…@1.0.0 train.jsonl --prefix data --json`)
    .action(async (ref, paths, o, c0) => {
      const c = ctx(c0);
      const r = versioned(ref);
      const files = localFiles(paths, o.prefix);
      const api = c.api();
      const base = `/v1/${route}/${seg(r.id)}/versions/${seg(r.version)}`;
      const v = await api.get(base, DraftSchema);
      const t: Target = { api, base: `/v1/${route}/${seg(v.artifactId)}/versions/${seg(v.version)}` };
      const state = new UploadState(c.io.env, c.apiUrl(), v.artifactId, v.version);
      const hashing = barFor(
        c,
        'hashing',
        files.reduce((s, f) => s + f.bytes, 0),
      );
      const hashed: HashedFile[] = [];
      for (const f of files) hashed.push(await digestsOf(f, o.partSize, state, (n) => hashing.add(n)));
      hashing.done();
      await registerInManifest(t, hashed, Object.keys(v.pages ?? {}));
      const bar = barFor(
        c,
        'uploading',
        hashed.reduce((s, f) => s + f.bytes, 0),
      );
      const outcomes: UploadOutcome[] = [];
      for (const [i, f] of hashed.entries()) {
        bar.add(0, `file ${i + 1}/${hashed.length}`);
        outcomes.push(await uploadFile(c, t, f, state, bar));
      }
      bar.done();
      state.remove();
      const items = outcomes.map((x) => x.upload);
      c.io.err.write(c.t(msg('uploadedFiles', { count: items.length, ref: `${v.artifactId}@${v.version}`, sent: outcomes.reduce((s, x) => s + x.sent, 0), resumed: outcomes.filter((x) => x.resumed).length })));
      await emit(c.io.out, { items }, c.output, () =>
        table(outcomes, [
          { header: 'PATH', value: (x) => x.upload.path },
          { header: 'STATE', value: (x) => x.upload.state },
          { header: 'BYTES', value: (x) => x.upload.bytes, right: true },
          { header: 'PARTS', value: (x) => (x.upload.parts as unknown[]).length, right: true },
          { header: 'SENT NOW', value: (x) => x.sent, right: true },
          { header: 'UPLOAD', value: (x) => x.upload.uploadId },
        ]),
      );
    });

  cmd
    .command('pull')
    .description(`Download a version of a ${what} from the hub's copy, checking each file's SHA-256 against the manifest; files already there with the right digest are kept`)
    .argument('<ref>', `${prefix}-…[@VERSION] (default @latest; an alias names one too)`)
    .option('--out <dir>', 'where to put the files (default ./ID@VERSION)')
    .addHelpText('after', `\nExamples:\n  kairr ${name} pull ${prefix}-01hx…@1.0.0 --out ./${name === 'data' ? 'corpus' : 'checkpoint'}\n  kairr ${name} pull ${prefix}-01hx…@production --json`)
    .action(async (ref, o, c0) => {
      const c = ctx(c0);
      const r = parseRef(ref, prefix);
      const api = c.api();
      const v = await api.get(`/v1/${route}/${seg(r.id)}/versions/${seg(r.version ?? 'latest')}`, DraftSchema);
      const t: Target = { api, base: `/v1/${route}/${seg(v.artifactId)}/versions/${seg(v.version)}` };
      const dir = o.out ?? `${v.artifactId}@${v.version}`;
      const manifest = await readManifest(t);
      const dests = manifest.map((f) => destinationOf(dir, f.path));
      const bar = barFor(
        c,
        'downloading',
        manifest.reduce((s, f) => s + f.bytes, 0),
      );
      const items: { path: string; bytes: number; sha256: string; status: PullStatus }[] = [];
      const refused: string[] = [];
      for (const [i, f] of manifest.entries()) {
        bar.add(0, `file ${i + 1}/${manifest.length}`);
        let status: PullStatus = 'present';
        if (await isPresent(dests[i], f)) bar.add(f.bytes);
        else {
          try {
            await downloadFile(c, t, f, dests[i], bar);
            status = 'downloaded';
          } catch (e) {
            // a file that arrived other than the manifest says is refused; the others still come
            if (!(e instanceof CliError)) throw e;
            c.io.err.write(c.t(msg('error', { message: e.msg ? c.t(e.msg) : e.message })) + '\n');
            refused.push(f.path);
            continue;
          }
        }
        items.push({ path: f.path, bytes: f.bytes, sha256: f.sha256, status });
      }
      bar.done();
      if (refused.length) throw new CliError(msg('pullRefused', { count: refused.length, paths: refused.join(', ') }));
      c.io.err.write(c.t(msg('pulledFiles', { count: items.length, downloaded: items.filter((x) => x.status === 'downloaded').length, dir })));
      await emit(c.io.out, { artifactId: v.artifactId, version: v.version, dir, items }, c.output, () =>
        table(items, [
          { header: 'PATH', value: (x) => x.path },
          { header: 'BYTES', value: (x) => x.bytes, right: true },
          { header: 'STATUS', value: (x) => x.status },
        ]),
      );
    });
  return cmd;
}
