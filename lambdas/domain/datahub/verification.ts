// Verifying a copy at a site (docs/datahub.md, "Verification at the sites"): a small job at the site
// hashes every file under the location's folder and writes what it found (sha256, bytes, path a
// line, the registration job's format) as a report under the site's storage root. KAIRR compares
// that with the version's manifest here, with no AWS and no file system: the bytes never leave the
// site, only the report does. A draft registered by path with no manifest yet takes the report as
// its manifest (the steward then reviews it like any other draft); every other version is compared.
import { mediaTypeOf } from '../pipelines/registration';
import { shellQuote } from '../pipelines/movers';
import { MANIFEST_LIMITS, pathProblem, SHA256_HEX, type Problem } from './manifest';
import type { ManifestFile } from './model';

/** Exit codes (sysexits.h) the job's status carries back without the report being read. */
export const VERIFY_EXIT = {
  hashed: 0,
  /** The location's folder is not there (or not a folder) at the site. */
  folderMissing: 66,
} as const;

/** running: the job is at the site; verified or failed: how it ended (the location follows). */
export const VERIFICATION_STATES = ['running', 'verified', 'failed'] as const;
export type VerificationState = (typeof VERIFICATION_STATES)[number];

/** A report line that is no regular file (a symbolic link, a socket): it may point outside the folder. */
const NOT_A_FILE = 'not-a-file';

export interface VerificationScriptInput {
  /** KAIRR's id of this verification; printed for people reading the job. */
  verificationId: string;
  label: string;
  /** The copy's folder, absolute at the site. */
  folder: string;
  /** Where the report goes, absolute at the site (written atomically). */
  reportFile: string;
  /**
   * The folders above the report's own that every login's jobs share at the site, outermost first.
   * Made as /tmp is (mode 1777) when missing: the first steward's job must not own them, or every
   * other steward's job could not make its report folder beneath.
   */
  sharedFolders: string[];
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]/g, '?');

/**
 * The job's script. It only reads the copy: symbolic links are reported, never followed, so a link
 * to a file outside the folder cannot make an outside file count as part of the copy.
 */
export function verificationScript(input: VerificationScriptInput): string {
  return `#!/bin/bash
# KAIRR data hub verification ${printable(input.verificationId)}: ${printable(input.label)}
# Made by lambdas/domain/datahub/verification.ts. Hashes every file under the copy's folder and writes
# sha256<TAB>bytes<TAB>path a line (${NOT_A_FILE} for links and special files). Exit 0 hashed,
# ${VERIFY_EXIT.folderMissing} the folder is missing, 1 otherwise.
set -uo pipefail
export LC_ALL=C TZ=UTC0
DIR=${shellQuote(input.folder)}
REPORT=${shellQuote(input.reportFile)}
[ -d "$DIR" ] || { echo "KAIRR: $DIR is not a folder at this site" >&2; exit ${VERIFY_EXIT.folderMissing}; }
for d in ${input.sharedFolders.map(shellQuote).join(' ')}; do
  [ -d "$d" ] || mkdir -m 1777 -- "$d" 2>/dev/null || [ -d "$d" ] || { echo "KAIRR: cannot create $d" >&2; exit 1; }
done
# The report's own folder is this login's: one that exists and is someone else's is refused, so no
# other login can lay a report there before the job runs (a requeued job finds its own and goes on).
OUT=$(dirname -- "$REPORT")
mkdir -m 755 -- "$OUT" 2>/dev/null || [ -O "$OUT" ] || { echo "KAIRR: $OUT exists and is not this login's" >&2; exit 1; }
TMP="$REPORT.tmp.$$"
(cd -- "$DIR" && find . -mindepth 1 ! -type d -print0 | sort -z | while IFS= read -r -d '' f; do
  if [ -f "$f" ] && [ ! -L "$f" ]; then
    sum=$(sha256sum < "$f") || exit 1
    printf '%s\\t%s\\t%s\\n' "\${sum%% *}" "$(stat -c %s -- "$f")" "\${f#./}"
  else
    printf '${NOT_A_FILE}\\t0\\t%s\\n' "\${f#./}"
  fi
done) > "$TMP" || exit 1
mv -f -- "$TMP" "$REPORT" || exit 1
echo "KAIRR-VERIFY-RESULT files=$(grep -c '' "$REPORT" || true)"
`;
}

export interface FoundFile {
  path: string;
  bytes: number;
  sha256: string;
}

/** The report, line by line: the files found, and every line that is not a plain file inside the folder. */
export function parseVerificationReport(text: string): { files: FoundFile[]; problems: Problem[] } {
  const files: FoundFile[] = [];
  const problems: Problem[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((line, i) => {
    const parts = line.split('\t');
    if (parts.length !== 3) return void problems.push({ path: `report[${i + 1}]`, problem: 'is not sha256<TAB>bytes<TAB>path' });
    const [sha256, bytes, path] = parts;
    const pp = pathProblem(path);
    if (pp) return void problems.push({ path, problem: `lies outside the location's folder (${pp})` });
    if (sha256 === NOT_A_FILE) return void problems.push({ path, problem: 'is a symbolic link or special file, not a regular file of the copy' });
    if (!SHA256_HEX.test(sha256) || !/^(0|[1-9]\d{0,15})$/.test(bytes)) return void problems.push({ path: `report[${i + 1}]`, problem: 'has no SHA-256 and size the job would write' });
    files.push({ path, bytes: Number(bytes), sha256 });
  });
  return { files, problems };
}

export interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
}

export type VerificationCode = 'copy_mismatch' | 'copy_empty' | 'folder_missing' | 'manifest_too_large' | 'job_failed' | 'report_unreachable';

export interface VerificationResult {
  state: 'verified' | 'failed';
  code?: VerificationCode;
  /** One sentence for the location's `reason`: the first problem, and how many more. */
  reason?: string;
  /** Named problems, the first 100 (problemCount has them all). */
  problems: Problem[];
  problemCount: number;
  files: number;
  bytes: number;
  /** A draft without a manifest: the files found become its manifest. */
  adopt?: ManifestFile[];
}

/** Failures that say something about the copy itself fail the location; the others leave it as it was. */
export const COPY_FAULTS: ReadonlySet<VerificationCode> = new Set(['copy_mismatch', 'copy_empty', 'folder_missing', 'manifest_too_large']);

const SHOWN = 100;
const short = (h: string) => `${h.slice(0, 12)}…`;

function failed(code: VerificationCode, problems: Problem[], found: FoundFile[], lead: string): VerificationResult {
  const first = problems[0];
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return {
    state: 'failed',
    code,
    reason: first ? `${lead}: ${first.path} ${first.problem}${more}` : lead,
    problems: problems.slice(0, SHOWN),
    problemCount: problems.length,
    files: found.length,
    bytes: found.reduce((n, f) => n + f.bytes, 0),
  };
}

/**
 * The report against the manifest. `manifest` null: a draft without files, which adopts what was
 * found. Every file must match by path, size and SHA-256, and nothing else may be in the folder.
 */
export function compareCopy(manifest: readonly ManifestEntry[] | null, reportText: string): VerificationResult {
  const report = parseVerificationReport(reportText);
  const found = report.files;
  const bytes = found.reduce((n, f) => n + f.bytes, 0);
  if (!manifest) {
    if (report.problems.length) return failed('copy_mismatch', report.problems, found, 'the copy holds what a manifest cannot name');
    if (!found.length) return failed('copy_empty', [], found, 'the folder holds no file');
    if (found.length > MANIFEST_LIMITS.maxFiles) return failed('manifest_too_large', [], found, `the folder holds ${found.length} files, more than a version takes (${MANIFEST_LIMITS.maxFiles})`);
    return { state: 'verified', problems: [], problemCount: 0, files: found.length, bytes, adopt: found.map((f) => ({ ...f, mediaType: mediaTypeOf(f.path) })) };
  }
  const problems = [...report.problems];
  const atSite = new Map(found.map((f) => [f.path, f]));
  for (const m of manifest) {
    const f = atSite.get(m.path);
    atSite.delete(m.path);
    if (!f) problems.push({ path: m.path, problem: 'is in the manifest but missing at the site' });
    else if (f.bytes !== m.bytes) problems.push({ path: m.path, problem: `has ${f.bytes} bytes at the site, the manifest says ${m.bytes}` });
    else if (f.sha256 !== m.sha256) problems.push({ path: m.path, problem: `SHA-256 differs: ${short(f.sha256)} at the site, ${short(m.sha256)} in the manifest` });
  }
  for (const extra of atSite.keys()) problems.push({ path: extra, problem: 'is at the site but not in the manifest' });
  if (problems.length) return failed('copy_mismatch', problems, found, `the copy differs from the manifest in ${problems.length} file${problems.length === 1 ? '' : 's'}`);
  return { state: 'verified', problems: [], problemCount: 0, files: found.length, bytes };
}

export interface JobEnd {
  state: string;
  schedulerState?: string;
  exitCode?: number;
  site: string;
  schedulerJobId?: string;
}

/**
 * What a finished job says before any report is read: 'read-report' when it hashed the folder, a
 * result when it could not; undefined while it has not finished.
 */
export function jobOutcome(j: JobEnd): 'read-report' | VerificationResult | undefined {
  const done = j.state === 'cancelled' || j.state === 'rejected' || j.state === 'not-submitted' || j.state === 'finished';
  if (!done) return undefined;
  const exit = j.exitCode ?? (j.schedulerState === 'COMPLETED' ? 0 : undefined);
  if (j.state === 'finished' && j.schedulerState === 'COMPLETED' && exit === VERIFY_EXIT.hashed) return 'read-report';
  if (j.state === 'finished' && exit === VERIFY_EXIT.folderMissing) return failed('folder_missing', [], [], `the location's folder is not there at ${j.site}`);
  const how = `${j.schedulerState ?? j.state}${exit !== undefined ? `, exit code ${exit}` : ''}`;
  return failed('job_failed', [], [], `the verification job ended ${how} (${j.site} job ${j.schedulerJobId ?? 'not submitted'}); the copy was not checked`);
}
