// Movers: the program a transfer job runs to copy a manifest's files from the source site's
// endpoint into the destination folder. The transfer script (transfer-script.ts) does the rest the
// same way for every mover: the file list, the SHA-256 check of every file at the destination
// against the catalogue's manifest, and the result.
//
// A mover's bash fragment runs with these variables set:
//   $SRC    the source folder (an rsync URL, or a path on a shared file system), no trailing /
//   $DEST   the destination folder (absolute, at this site; it exists)
//   $LIST   a file of the manifest's relative paths, NUL-separated
//   $WORK   a private scratch folder
// and must write its exit code to "$WORK/mover.rc" (0 = it says it copied everything) and its own
// messages to "$WORK/mover.log". On stdout it prints each file it has finished, one relative path
// a line: the script hashes those at once, while the mover goes on with the next (both cores
// busy), and counts them as moved. A re-run after a half-finished transfer moves, and so prints,
// only what was missing or wrong. A mover that prints nothing still works: every file is then
// hashed after it ends, and nothing counts as moved.
//
// rclone (a Debian package) would plug in as
//   rclone copy --checksum --files-from-raw "$WORK/list.lines" "$SRC" "$DEST" --use-json-log -v
// with the NUL list turned into lines (paths have no newlines), its remote named in the site's
// rclone.conf (endpoint "rclone://<remote>/<path>"), each "Copied" log record's object printed on
// stdout, and its exit codes 1/3/5/6 mapped to retryable. Globus would plug in as a fragment that
// runs, at a site with a Globus endpoint,
//   globus transfer --sync-level checksum --verify-checksum --submission-id "$TRANSFER_ID" \
//     --batch "$WORK/globus.batch" SRC_ENDPOINT DEST_ENDPOINT && globus task wait "$TASK"
// (the submission id makes a resubmitted job reuse its task instead of starting a second one) and
// prints the successful transfers' destination paths from `globus task successful-transfers`.
// All keep the same contract: checksum-based sync (only what is missing or differs moves), then
// our own SHA-256 check against the manifest, because the catalogue, not the mover, is the truth.
import type { MoverConfig } from './storage';

export interface Mover {
  readonly kind: MoverConfig['kind'];
  /** The bash fragment that copies the listed files (see above). */
  copyFragment(config: MoverConfig): string;
  /** Exit codes of the mover that mean "try the same transfer again later" (network, timeouts). */
  readonly retryableExitCodes: readonly number[];
}

/** Single-quotes a value for bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export const rsyncMover: Mover = {
  kind: 'rsync',
  // 5 starting the protocol, 10 socket I/O, 12 protocol stream, 30 timeout, 35 daemon connect
  // timeout: the network or the peer; 23/24 (partial, vanished) are judged by the verification.
  retryableExitCodes: [5, 10, 12, 30, 35],
  copyFragment(config) {
    const cmd = config.command ? shellQuote(config.command) : 'rsync';
    const opts = [
      // recurse into listed folders, keep modification times (so a later size+time check also works)
      '-rt',
      // decide what to send by content, not size and time: a re-run moves only missing or wrong files
      '--checksum',
      // a half-sent file is kept aside and used as the basis when the transfer runs again
      '--partial-dir=.kairr-partial',
      '--from0',
      '--files-from="$LIST"',
      // one line per file, printed by the receiver once the file is in place; names as they are (-8)
      "--out-format='%n'",
      '-8',
      '--timeout=600',
      ...(config.bwlimitKiBps ? [`--bwlimit=${config.bwlimitKiBps}`] : []),
    ];
    // A receiver killed mid-file can leave its temporary file (".<name>.XXXXXX") beside the
    // destination, which a later run neither reuses nor removes: once a run succeeds, remove such
    // leftovers of the listed files only (the same six-character suffix rsync's mkstemp uses).
    const leftovers = `if [ "$(cat "$WORK/mover.rc")" = 0 ]; then while IFS= read -r -d '' f; do rm -f -- "$DEST/$(dirname -- "$f")/.$(basename -- "$f")."??????; done <"$LIST"; fi`;
    return `${cmd} ${opts.join(' ')} -- "$SRC/" "$DEST/" 2>"$WORK/mover.log"; echo $? >"$WORK/mover.rc"; ${leftovers}`;
  },
};

const MOVERS: Record<MoverConfig['kind'], Mover> = { rsync: rsyncMover };

export function moverFor(kind: MoverConfig['kind']): Mover {
  return MOVERS[kind];
}
