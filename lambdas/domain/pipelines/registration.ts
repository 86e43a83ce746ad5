// Registration stages (docs/pipelines.md, "Registrations"): job outputs become a new version of a
// catalogue artifact. The files stay at the site: KAIRR dispatches a small job there (the
// registration job) that copies the outputs into the version's folder under the site's storage
// root (catalogue/<artifact>/<version>/, the layout transfers use too), hashes every file, and
// writes the manifest (SHA-256, bytes, relative path, one file a line) as its report. The flow
// reads the report through the site's report access (lambdas/pipelines/site-reports.ts) and
// registers the version with that manifest in the data hub. Only the manifest comes back.
import { compareVersions, VERSION_LABEL } from '../datahub/model';
import { pathProblem, SHA256_HEX } from '../datahub/manifest';
import { shellQuote } from './movers';
import type { JobStage, RegistrationStage, Stage } from './spec';

/** Exit codes (sysexits.h) the flow reads from the job's status. */
export const REGISTRATION_EXIT = {
  registered: 0,
  /** The outputs hold no file at all: there is nothing to register. */
  empty: 65,
  /** An output the stage names is not there (the job did not write it). */
  missing: 66,
} as const;

/** One output copied into the version: from the producer's working area, to a path inside the version. */
export interface RegistrationSource {
  producer: string;
  /** The output's path under the producer's working area (a folder ends with "/"). */
  outputPath: string;
  /** Where it goes inside the version (a file's path, or a folder's prefix). */
  as: string;
}

/**
 * The outputs a registration copies, and where each lands inside the version. Paths keep their
 * place under the producer's working area (model.pt, out/fields/a.csv), so a reader finds them
 * where the job wrote them; outputs of two producers are kept apart under each producer's id.
 */
export function registrationSources(stage: RegistrationStage, declared: ReadonlyMap<string, Stage>): RegistrationSource[] {
  const producers = new Set(stage.outputs.map((o) => o.stage));
  return stage.outputs.map((o) => {
    const job = declared.get(o.stage) as JobStage;
    const out = job.outputs.find((x) => x.name === o.output)!;
    const rel = out.path.replace(/\/+$/, '');
    return { producer: o.stage, outputPath: out.path, as: producers.size > 1 ? `${o.stage}/${rel}` : rel };
  });
}

/**
 * The label of the new version: the stage's own, or the next minor after the highest label the
 * artifact has (1.0.0 for its first). The flow picks it once, at the stage's first start, and keeps
 * it on the pipeline, so a retried step or stage registers the same version, never a second one.
 */
export function nextVersionLabel(existing: readonly string[]): string {
  const top = existing
    .filter((v) => VERSION_LABEL.test(v))
    .sort(compareVersions)
    .pop();
  if (!top) return '1.0.0';
  const [major, minor] = top.split('.').map(Number);
  return `${major}.${minor + 1}.0`;
}

export interface RegistrationScriptInput {
  /** KAIRR's id of this stage run; printed for people reading the job. */
  registrationId: string;
  label: string;
  /** Absolute at the site: each output and where it goes inside the version. */
  sources: { from: string; as: string }[];
  /** The version's folder, absolute at the site. */
  destination: string;
  /** Where the manifest goes, absolute at the site (written atomically). */
  reportFile: string;
}

/**
 * The registration job's script. It empties the version's folder first (the version does not exist
 * in the catalogue until the flow registers this job's manifest, so nothing registered is lost; a
 * rerun of a registered version copies the same outputs again), copies each output, then hashes
 * what it copied, in path order.
 */
export function registrationScript(input: RegistrationScriptInput): string {
  const copies = input.sources.map((s) => `copy_output ${shellQuote(s.from)} ${shellQuote(s.as)}`).join('\n');
  return `#!/bin/bash
# KAIRR registration ${input.registrationId.replace(/[^\x20-\x7e]/g, '?')}: ${input.label.replace(/[^\x20-\x7e]/g, '?')}
# Made by lambdas/domain/pipelines/registration.ts. Copies the stage's outputs into the version's
# folder, hashes every file, writes the manifest (sha256<TAB>bytes<TAB>path). Exit 0 registered,
# ${REGISTRATION_EXIT.empty} no file to register, ${REGISTRATION_EXIT.missing} an output is missing, 1 otherwise.
set -uo pipefail
export LC_ALL=C TZ=UTC0
DEST=${shellQuote(input.destination)}
REPORT=${shellQuote(input.reportFile)}
missing=0
rm -rf -- "$DEST" && mkdir -p -- "$DEST" "$(dirname -- "$REPORT")" || exit 1
copy_output() {
  local src="$1" as="$2"
  if [ -d "$src" ]; then
    mkdir -p -- "$DEST/$as" && cp -R --no-dereference --preserve=timestamps -- "$src/." "$DEST/$as/" || exit 1
  elif [ -f "$src" ]; then
    mkdir -p -- "$(dirname -- "$DEST/$as")" && cp --preserve=timestamps -- "$src" "$DEST/$as" || exit 1
  else
    echo "KAIRR: output $src is missing" >&2
    missing=1
  fi
}
${copies}
[ "$missing" = 0 ] || exit ${REGISTRATION_EXIT.missing}
TMP="$REPORT.tmp.$$"
(cd -- "$DEST" && find . -type f -print0 | sort -z | while IFS= read -r -d '' f; do
  sum=$(sha256sum < "$f") || exit 1
  printf '%s\\t%s\\t%s\\n' "\${sum%% *}" "$(stat -c %s -- "$f")" "\${f#./}"
done) > "$TMP" || exit 1
files=$(grep -c '' "$TMP" || true)
[ "$files" -gt 0 ] || { rm -f -- "$TMP"; echo "KAIRR: the outputs hold no file" >&2; exit ${REGISTRATION_EXIT.empty}; }
mv -f -- "$TMP" "$REPORT" || exit 1
echo "KAIRR-REGISTRATION-RESULT files=$files"
`;
}

export interface RegisteredFile {
  path: string;
  bytes: number;
  sha256: string;
  mediaType: string;
}

const MEDIA_TYPES: Record<string, string> = {
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  txt: 'text/plain',
  sha256: 'text/plain',
  log: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  yaml: 'application/yaml',
  yml: 'application/yaml',
  nc: 'application/x-netcdf',
  h5: 'application/x-hdf5',
  parquet: 'application/vnd.apache.parquet',
};

/** A media type from the file's extension; application/octet-stream when unknown (model weights, binaries). */
export function mediaTypeOf(path: string): string {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  return (ext && MEDIA_TYPES[ext]) || 'application/octet-stream';
}

/** The registration job's report, checked line by line: the files, or every problem named by its line. */
export function parseRegistrationReport(text: string): { files: RegisteredFile[]; problems: { path: string; problem: string }[] } {
  const files: RegisteredFile[] = [];
  const problems: { path: string; problem: string }[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const at = `report[${i + 1}]`;
    const parts = line.split('\t');
    if (parts.length !== 3) return void problems.push({ path: at, problem: 'is not sha256<TAB>bytes<TAB>path' });
    const [sha256, bytes, path] = parts;
    if (!SHA256_HEX.test(sha256)) problems.push({ path: `${at}.sha256`, problem: 'is not a SHA-256 digest' });
    if (!/^(0|[1-9]\d{0,15})$/.test(bytes)) problems.push({ path: `${at}.bytes`, problem: 'is not a number of bytes' });
    const pp = pathProblem(path);
    if (pp) problems.push({ path: `${at}.path`, problem: `"${path}" ${pp}` });
    files.push({ path, bytes: Number(bytes), sha256, mediaType: mediaTypeOf(path) });
  });
  if (lines.length === 0) problems.push({ path: 'report', problem: 'lists no file' });
  return { files, problems };
}
