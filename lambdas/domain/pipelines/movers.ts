// Movers: the program a transfer job runs to copy a manifest's files from the source site's
// endpoint into the destination folder. The transfer script (transfer-script.ts) does the rest the
// same way for every mover: the file list, the SHA-256 check of every file at the destination
// against the catalogue's manifest, and the result.
//
// A mover's bash fragment runs with these variables set, and must set three:
//   $SRC    the source folder (an rsync URL, or a path on a shared file system), no trailing /
//   $DEST   the destination folder (absolute, at this site; it exists)
//   $LIST   a file of the manifest's relative paths, NUL-separated
//   $WORK   a private scratch folder
//   sets MOVER_RC (0 = the mover says it copied everything), MOVED_FILES, MOVED_BYTES
// "Moved" counts only what the mover actually sent: a re-run after a half-finished transfer moves
// what was missing or wrong, and nothing else.
//
// rclone (a Debian package) would plug in as
//   rclone copy --checksum --files-from-raw "$LIST0" "$SRC" "$DEST" --stats-one-line -v
// with the NUL list turned into lines (paths have no newlines), its remote named in the site's
// rclone.conf (endpoint "rclone://<remote>/<path>"), MOVED_* read from its final stats line, and
// exit codes 1/3/5/6 mapped to retryable. Globus would plug in as a fragment that runs
//   globus transfer --sync-level checksum --verify-checksum --submission-id "$TRANSFER_ID" \
//     --batch "$WORK/globus.batch" SRC_ENDPOINT DEST_ENDPOINT && globus task wait "$TASK"
// (the submission id makes a resubmitted job reuse the task instead of starting a second one), then
// reads bytes_transferred and files_transferred from `globus task show -F json`. Both keep the
// same contract: checksum-based sync (only what is missing or differs moves) and our own SHA-256
// verification afterwards, because the catalogue's manifest, not the mover, is the truth.
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
      '--stats',
      // plain numbers in --stats (no thousands separators)
      '--no-h',
      '--timeout=600',
      ...(config.bwlimitKiBps ? [`--bwlimit=${config.bwlimitKiBps}`] : []),
    ];
    return [
      `${cmd} ${opts.join(' ')} -- "$SRC/" "$DEST/" >"$WORK/mover.log" 2>&1`,
      'MOVER_RC=$?',
      `MOVED_FILES=$(sed -n 's/^Number of regular files transferred: \\([0-9]*\\).*/\\1/p' "$WORK/mover.log" | head -n 1)`,
      `MOVED_BYTES=$(sed -n 's/^Total transferred file size: \\([0-9]*\\).*/\\1/p' "$WORK/mover.log" | head -n 1)`,
    ].join('\n');
  },
};

const MOVERS: Record<MoverConfig['kind'], Mover> = { rsync: rsyncMover };

export function moverFor(kind: MoverConfig['kind']): Mover {
  return MOVERS[kind];
}
