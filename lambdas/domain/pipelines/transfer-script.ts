// The transfer job's script: a transfer is work at a site (docs/pipelines.md, "Transfers"). KAIRR
// dispatches this bash script as an ordinary job at the destination; it
//   1. copies the version's files (the manifest's paths only) from the source site's endpoint with
//      the site's mover, checksum-based, so a re-run moves only what is missing or wrong;
//   2. checks every file's SHA-256 at the destination against the catalogue's manifest;
//   3. writes its result as JSON (atomically) to the result file, prints it on one stdout line
//      ("KAIRR-TRANSFER-RESULT {...}"), and exits with a code that tells the flow what happened.
// KAIRR never carries the bytes; only this small result comes back.
import type { ManifestEntry } from './context';
import { relativePathProblem } from './spec';
import { moverFor, shellQuote } from './movers';
import type { MoverConfig } from './storage';

/** Exit codes (sysexits.h): the flow reads them from the job's status. */
export const TRANSFER_EXIT = {
  verified: 0,
  /** The mover finished, but files are missing or their SHA-256 differs from the manifest. */
  mismatched: 65,
  /** The mover failed in a way worth retrying (network, peer, timeout). */
  retryable: 75,
  /** The mover failed otherwise, or the script could not run (no destination, no tools). */
  failed: 1,
} as const;

export type TransferOutcome = 'verified' | 'mismatched' | 'mover-failed';

/** The result file's content (and the stdout line's JSON). */
export interface TransferResult {
  transferId: string;
  state: TransferOutcome;
  mover: string;
  moverExit: number;
  files: number;
  bytes: number;
  verifiedFiles: number;
  /** Files whose SHA-256 at the destination differs from the manifest (first MAX_NAMED). */
  mismatched: string[];
  /** Files absent or unreadable at the destination (first MAX_NAMED). */
  missing: string[];
  mismatchedCount: number;
  missingCount: number;
  moved: { files: number; bytes: number };
  startedAt: string;
  endedAt: string;
}

export const MAX_NAMED = 100;
export const RESULT_LINE_PREFIX = 'KAIRR-TRANSFER-RESULT ';
const SHA256 = /^[0-9a-f]{64}$/;

export interface TransferScriptInput {
  /** KAIRR's id of this transfer (the stage run); stamped in the result. */
  transferId: string;
  /** For people reading the script, e.g. "ds-climate@3 spc → kisti6". */
  label: string;
  /** The source folder, as the destination reads it (storage.ts remoteFolder). */
  source: string;
  /** The destination folder, absolute at the destination site. */
  destination: string;
  /** Where the result JSON goes, absolute at the destination site. */
  resultFile: string;
  manifest: readonly ManifestEntry[];
  mover: MoverConfig;
}

export class TransferScriptError extends Error {}

export function transferScript(input: TransferScriptInput): string {
  checkInput(input);
  const mover = moverFor(input.mover.kind);
  const manifest = input.manifest.map((e) => `${e.sha256} ${e.bytes} ${e.path}`).join('\n');
  const totalBytes = input.manifest.reduce((n, e) => n + e.bytes, 0);
  // one hashing process per batch of finished files: about 4 batches (a process start costs tens of
  // milliseconds on a busy node), at most 256 files each
  const batch = Math.min(256, Math.max(1, Math.ceil(input.manifest.length / 4)));
  return `#!/bin/bash
# KAIRR transfer ${oneLine(input.transferId)}: ${oneLine(input.label)}
# Made by lambdas/domain/pipelines/transfer-script.ts. Copies the manifest's files with ${mover.kind},
# then checks each file's SHA-256 here against the catalogue's manifest. Exit 0 verified,
# ${TRANSFER_EXIT.mismatched} files missing or different, ${TRANSFER_EXIT.retryable} mover failed (retry), ${TRANSFER_EXIT.failed} otherwise.
set -u -o pipefail
export LC_ALL=C
TRANSFER_ID=${shellQuote(input.transferId)}
SRC=${shellQuote(input.source.replace(/\/+$/, ''))}
DEST=${shellQuote(input.destination.replace(/\/+$/, ''))}
RESULT=${shellQuote(input.resultFile)}
FILES=${input.manifest.length}
BYTES=${totalBytes}
export TZ=UTC0
printf -v STARTED '%(%Y-%m-%dT%H:%M:%SZ)T' -1
WORK=$(mktemp -d "\${TMPDIR:-/tmp}/kairr-transfer.XXXXXX") || exit ${TRANSFER_EXIT.failed}
trap 'rm -rf -- "$WORK"' EXIT

# the manifest: "<sha256> <bytes> <path>", one file a line (paths hold no control characters)
cat >"$WORK/manifest" <<'KAIRR_MANIFEST_END'
${manifest}
KAIRR_MANIFEST_END

jstr() { local s=\${1//\\\\/\\\\\\\\}; s=\${s//\\"/\\\\\\"}; printf '"%s"' "$s"; }
jlist() { local first=1 x; printf '['; for x in "$@"; do [ $first = 1 ] || printf ','; first=0; jstr "$x"; done; printf ']'; }
fail() { echo "kairr-transfer: $*" >&2; exit ${TRANSFER_EXIT.failed}; }

# each file's SHA-256 and size by path, and the paths NUL-separated for the mover
declare -A WANT=() SIZE=()
while IFS= read -r line; do
  rest=\${line#* }
  p=\${rest#* }
  WANT["$p"]=\${line%% *}
  SIZE["$p"]=\${rest%% *}
  printf '%s\\0' "$p"
done <"$WORK/manifest" >"$WORK/list"
mkdir -p -- "$DEST" "\${RESULT%/*}" || fail "cannot create $DEST"
LIST="$WORK/list"

# sha_files N: the SHA-256 of the files named on stdin (NUL-separated, as ./path) as NUL-separated
# "<hex>??./path" records, N files a process: OpenSSL's (it uses the CPU's SHA instructions, about
# three times coreutils' speed) where it is installed and answers right, else coreutils'
if command -v openssl >/dev/null 2>&1 && [ "$(printf '' | openssl dgst -sha256 -r 2>/dev/null)" = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *stdin" ]; then
  sha_files() { xargs -0 -r -n "$1" openssl dgst -sha256 -r | tr '\\n' '\\0'; }
else
  sha_files() { xargs -0 -r -n "$1" sha256sum -z; }
fi

# --- copy (${mover.kind}); each file the mover reports done is hashed at once, while it goes on ---
# (in batches of ${batch}, so hashing starts while most files are still on their way)
hash_stream() {
  local n
  while IFS= read -r n; do
    if [ -n "\${WANT["$n"]+x}" ]; then printf './%s\\0' "$n"; printf '%s\\0' "$n" >&3; fi
  done 3>"$WORK/moved" | (cd -- "$DEST" && sha_files ${batch}) >"$WORK/streamed"
}
{
${mover.copyFragment(input.mover)}
} | hash_stream
MOVER_RC=$(cat "$WORK/mover.rc" 2>/dev/null || echo 1)
[ "$MOVER_RC" = 0 ] || { echo "kairr-transfer: ${mover.kind} exited $MOVER_RC" >&2; tail -n 20 "$WORK/mover.log" >&2; }
MOVED_FILES=0 MOVED_BYTES=0
while IFS= read -r -d '' p; do
  MOVED_FILES=$((MOVED_FILES + 1)); MOVED_BYTES=$((MOVED_BYTES + SIZE["$p"]))
done <"$WORK/moved"

# --- verify every file's SHA-256 at the destination against the manifest ---
cd -- "$DEST" || fail "cannot enter $DEST"
declare -A GOT=()
while IFS= read -r -d '' rec; do
  GOT["\${rec:68}"]=\${rec:0:64}
done <"$WORK/streamed"
# the files the mover did not report (there already, or moved without a word): hashed now
while IFS= read -r -d '' p; do
  if [ -z "\${GOT["$p"]+x}" ] && [ -f "$p" ] && [ -r "$p" ]; then printf './%s\\0' "$p"; fi
done <"$LIST" >"$WORK/rest"
while IFS= read -r -d '' rec; do
  GOT["\${rec:68}"]=\${rec:0:64}
done < <(sha_files 1024 <"$WORK/rest")
MISMATCHED=() MISSING=() NMIS=0 NMISS=0 OK=0
while IFS= read -r line; do
  want=\${line%% *}
  rest=\${line#* }
  p=\${rest#* }
  if [ -z "\${GOT["$p"]+x}" ]; then
    NMISS=$((NMISS + 1)); [ \${#MISSING[@]} -lt ${MAX_NAMED} ] && MISSING+=("$p")
  elif [ "\${GOT["$p"]}" != "$want" ]; then
    NMIS=$((NMIS + 1)); [ \${#MISMATCHED[@]} -lt ${MAX_NAMED} ] && MISMATCHED+=("$p")
  else
    OK=$((OK + 1))
  fi
done <"$WORK/manifest"

if [ "$OK" = "$FILES" ]; then STATE=verified CODE=${TRANSFER_EXIT.verified}
elif [ "$MOVER_RC" != 0 ]; then
  STATE=mover-failed CODE=${TRANSFER_EXIT.failed}
  case " ${mover.retryableExitCodes.join(' ')} " in *" $MOVER_RC "*) CODE=${TRANSFER_EXIT.retryable} ;; esac
else STATE=mismatched CODE=${TRANSFER_EXIT.mismatched}
fi

printf -v ENDED '%(%Y-%m-%dT%H:%M:%SZ)T' -1
printf -v JSON '{"transferId":%s,"state":"%s","mover":"${mover.kind}","moverExit":%d,"files":%d,"bytes":%d,"verifiedFiles":%d,"mismatched":%s,"missing":%s,"mismatchedCount":%d,"missingCount":%d,"moved":{"files":%d,"bytes":%d},"startedAt":"%s","endedAt":"%s"}' \\
  "$(jstr "$TRANSFER_ID")" "$STATE" "$MOVER_RC" "$FILES" "$BYTES" "$OK" "$(jlist \${MISMATCHED[@]+"\${MISMATCHED[@]}"})" "$(jlist \${MISSING[@]+"\${MISSING[@]}"})" \\
  "$NMIS" "$NMISS" "$MOVED_FILES" "$MOVED_BYTES" "$STARTED" "$ENDED"
printf '%s\\n' "$JSON" >"$RESULT.tmp" && mv -f -- "$RESULT.tmp" "$RESULT" || fail "cannot write $RESULT"
printf '${RESULT_LINE_PREFIX}%s\\n' "$JSON"
exit "$CODE"
`;
}

function checkInput(input: TransferScriptInput): void {
  const problems: string[] = [];
  if (!input.destination.startsWith('/')) problems.push('destination must be absolute');
  if (!input.resultFile.startsWith('/')) problems.push('resultFile must be absolute');
  if (input.manifest.length === 0) problems.push('the manifest is empty');
  const seen = new Set<string>();
  input.manifest.forEach((e, i) => {
    const bad = relativePathProblem(e.path);
    if (bad) problems.push(`manifest[${i}].path ${bad}`);
    if (e.path.endsWith('/')) problems.push(`manifest[${i}].path must name a file, not a folder`);
    if (seen.has(e.path)) problems.push(`manifest[${i}].path duplicates an earlier entry`);
    seen.add(e.path);
    if (!SHA256.test(e.sha256)) problems.push(`manifest[${i}].sha256 must be 64 lower-case hex digits`);
    if (!Number.isSafeInteger(e.bytes) || e.bytes < 0) problems.push(`manifest[${i}].bytes must be a whole number of bytes`);
  });
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters in order to refuse them
  for (const [k, v] of Object.entries({ source: input.source, destination: input.destination, resultFile: input.resultFile })) if (/[\u0000-\u001f]/.test(v)) problems.push(`${k} must not contain control characters`);
  if (problems.length) throw new TransferScriptError(`cannot make the transfer script: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`);
}

function oneLine(s: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: it matches control characters in order to refuse them
  return s.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** The result from a job's stdout (the last result line), or undefined. */
export function parseResultLine(stdout: string): TransferResult | undefined {
  const lines = stdout.split('\n').filter((l) => l.startsWith(RESULT_LINE_PREFIX));
  if (!lines.length) return undefined;
  return JSON.parse(lines[lines.length - 1].slice(RESULT_LINE_PREFIX.length)) as TransferResult;
}
