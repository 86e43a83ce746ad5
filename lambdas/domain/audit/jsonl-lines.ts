// JSONL lines straight from a data file's bytes, for the verifier. Splitting the decoded text was
// its slowest step: String#indexOf over a (rest + chunk) concatenation cost about 1 s per 200,000
// records. Buffer#indexOf is a native byte search, and each line is then decoded on its own.
// An LF byte never occurs inside a multi-byte UTF-8 sequence, so cutting at LF never splits a
// character; the bytes are checked to be UTF-8 (as the fatal TextDecoder this replaces did) before
// any line from them is handed out, and a leading BOM is dropped from line 1, as TextDecoder drops it.
import { isUtf8 } from 'node:buffer';

export const MAX_LINE_CHARS = 16 * 1024 * 1024;

export class LineTooLongError extends Error {
  constructor(readonly line: number) {
    super(`line ${line} is longer than ${MAX_LINE_CHARS} characters`);
  }
}

/** Bytes from..to (file offsets) hold something that is not UTF-8. */
export class NotUtf8Error extends Error {
  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    super(`is not valid UTF-8 (within bytes ${from}..${to})`);
  }
}

export interface Line {
  text: string;
  line: number;
}

/** UTF-16 code units the UTF-8 bytes decode to (exact for valid UTF-8): the unit MAX_LINE_CHARS counts. */
function utf16Units(b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if ((c & 0xc0) !== 0x80) n++;
    if (c >= 0xf0) n++;
  }
  return n;
}

export class JsonlLines {
  /** The unterminated line so far (copies: a source may reuse its chunk buffers). */
  private parts: Buffer[] = [];
  private partUnits = 0;
  private line = 1;
  /** File offset of the first byte not yet handed out as part of a line. */
  private offset = 0;

  /** Complete lines ending in this chunk. Throws NotUtf8Error or LineTooLongError. */
  push(chunk: Uint8Array): Line[] {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const out: Line[] = [];
    let start = 0;
    let nl = buf.indexOf(10);
    if (nl >= 0 && this.parts.length > 0) {
      this.parts.push(buf.subarray(0, nl));
      out.push(this.take(Buffer.concat(this.parts)));
      start = nl + 1;
      nl = buf.indexOf(10, start);
    }
    if (nl >= 0) {
      const last = buf.lastIndexOf(10);
      if (!isUtf8(buf.subarray(start, last))) throw new NotUtf8Error(this.offset, this.offset + last - start);
      for (; nl >= 0; nl = buf.indexOf(10, start)) {
        out.push(this.decoded(buf.toString('utf8', start, nl)));
        this.offset += nl + 1 - start;
        start = nl + 1;
      }
    }
    if (start < buf.length) {
      const rest = Buffer.from(buf.subarray(start));
      this.parts.push(rest);
      this.partUnits += utf16Units(rest);
      if (this.partUnits > MAX_LINE_CHARS) throw new LineTooLongError(this.line);
    }
    return out;
  }

  /** The unterminated last line, if any (a file that is only a BOM has none, as after TextDecoder). */
  end(): Line | null {
    if (this.parts.length === 0) return null;
    const tail = this.take(Buffer.concat(this.parts));
    return tail.text.length > 0 ? tail : null;
  }

  /** One whole line assembled from kept parts. */
  private take(bytes: Buffer): Line {
    if (!isUtf8(bytes)) throw new NotUtf8Error(this.offset, this.offset + bytes.length);
    this.offset += bytes.length + 1;
    this.parts = [];
    this.partUnits = 0;
    return this.decoded(bytes.toString('utf8'));
  }

  private decoded(text: string): Line {
    const line = this.line++;
    return { text: line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, line };
  }
}
