// Following chains through a sequence of events in export order: streams ascending (by JS string
// comparison, which for the printable-ASCII stream ids equals byte order), each stream's events
// contiguous and in seq order. The writer and the verifier use the same tracker, so what one
// produces is exactly what the other accepts.
import { canonicalEventText, checkEvent, type AuditEvent } from './event';
import { sha256Hex } from './jcs';
import type { ManifestStream } from './manifest';

export interface ChainProblem {
  /** "stream" (order), "seq" (gap, duplicate or reorder), "prevHash" (broken link). */
  field: 'stream' | 'seq' | 'prevHash';
  problem: string;
  /** order problems make an export unwritable; gaps and broken links are evidence to report. */
  kind: 'order' | 'gap' | 'link';
}

interface Run extends ManifestStream {}

// Strings cut from a parser's buffer (CSV cells) are V8 slices that keep the whole buffer alive.
// A run summary outlives its record, so it keeps copies, or a verifier holding one summary per
// stream would hold a megabyte chunk per stream.
const detach = (s: string): string => Buffer.from(s, 'utf8').toString('utf8');

function summary(run: Run): ManifestStream {
  return {
    stream: detach(run.stream),
    firstSeq: run.firstSeq,
    lastSeq: run.lastSeq,
    firstPrevHash: detach(run.firstPrevHash),
    lastHash: detach(run.lastHash),
    records: run.records,
  };
}

export class ChainTracker {
  private run: Run | null = null;

  /** The stream run in progress, if any. */
  get current(): Readonly<ManifestStream> | null {
    return this.run;
  }

  /**
   * Takes the next event (already validated and hash-checked by the caller). Returns what is wrong
   * with its place in the chain, and the summary of the previous stream's run when this event
   * starts a new one. After a problem the tracker carries on from this event, so one bad record
   * produces one problem rather than a cascade.
   */
  push(e: AuditEvent): { problems: ChainProblem[]; closed: ManifestStream | null } {
    const problems: ChainProblem[] = [];
    const run = this.run;
    if (run === null || e.stream !== run.stream) {
      if (run !== null && e.stream < run.stream) {
        problems.push({
          field: 'stream',
          kind: 'order',
          problem: `stream ${e.stream} comes after ${run.stream}: streams must ascend and each stream's events must be contiguous (swapped or moved record?)`,
        });
      }
      this.run = { stream: e.stream, firstSeq: e.seq, lastSeq: e.seq, firstPrevHash: e.prevHash, lastHash: e.hash, records: 1 };
      return { problems, closed: run && summary(run) };
    }
    if (e.seq !== run.lastSeq + 1) {
      if (e.seq <= run.lastSeq) {
        problems.push({ field: 'seq', kind: 'order', problem: `seq ${e.seq} comes after seq ${run.lastSeq}: out of order or duplicated (swapped or moved record?)` });
      } else {
        const missing = e.seq - run.lastSeq - 1;
        problems.push({
          field: 'seq',
          kind: 'gap',
          problem: `gap: expected seq ${run.lastSeq + 1}, found ${e.seq} (${missing === 1 ? `seq ${run.lastSeq + 1} is` : `seq ${run.lastSeq + 1}..${e.seq - 1} are`} missing or out of place)`,
        });
      }
    } else if (e.prevHash !== run.lastHash) {
      problems.push({ field: 'prevHash', kind: 'link', problem: `broken link: prevHash is not the hash of seq ${run.lastSeq} (${run.lastHash})` });
    }
    run.lastSeq = e.seq;
    run.lastHash = e.hash;
    run.records++;
    return { problems, closed: null };
  }

  /** Closes the last run and returns its summary. */
  end(): ManifestStream | null {
    const run = this.run;
    this.run = null;
    return run && summary(run);
  }
}

export interface ChainIssue {
  index: number;
  stream: string;
  seq: number;
  /** "hash", a chain field, or the member a malformed event got wrong. */
  field: string;
  problem: string;
}

/**
 * Checks events in export order (or the events of one stream in seq order): every hash, every
 * link, no gaps. Returns every issue found, first one first; an empty list means the chain holds.
 * Malformed events are reported (and skipped), never thrown.
 */
export function verifyChain(events: Iterable<AuditEvent>): ChainIssue[] {
  const issues: ChainIssue[] = [];
  const tracker = new ChainTracker();
  let index = 0;
  for (const e of events) {
    const malformed = checkEvent(e);
    if (malformed) {
      issues.push({ index, stream: String(e?.stream), seq: Number(e?.seq), field: malformed.field, problem: malformed.problem });
      index++;
      continue;
    }
    const computed = sha256Hex(canonicalEventText(e, false));
    if (computed !== e.hash) {
      issues.push({ index, stream: e.stream, seq: e.seq, field: 'hash', problem: `content does not match its hash (computed ${computed})` });
    }
    for (const p of tracker.push(e).problems) issues.push({ index, stream: e.stream, seq: e.seq, field: p.field, problem: p.problem });
    index++;
  }
  return issues;
}
