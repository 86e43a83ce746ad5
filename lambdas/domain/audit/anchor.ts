// Anchors: snapshots of chain heads written to an S3 bucket under Object Lock (compliance mode),
// where nobody, not even the account root, can change or delete them before retention ends.
// An export can be rewritten end to end by someone with write access to the export bucket, digests
// and all; it cannot be made to agree with a head that was locked before the forgery. The verifier
// checks every anchored head that falls inside an export against the exported event at that seq.
import { HEX64, canonicalJson, sha256Hex } from './jcs';
import { isIsoMillis } from './event';
import { normaliseHeads, type StreamHead } from './manifest';

export const ANCHOR_VERSION = 1;

export interface AuditAnchor {
  anchorVersion: 1;
  createdAt: string;
  /** Heads of the anchored streams, ascending stream id. */
  heads: StreamHead[];
  /** SHA-256 (hex) of JCS(this anchor without anchorHash). */
  anchorHash: string;
}

export function anchorDigest(anchor: Omit<AuditAnchor, 'anchorHash'> | AuditAnchor): string {
  const { anchorHash: _ignored, ...rest } = anchor as AuditAnchor;
  return sha256Hex(canonicalJson(rest));
}

/** Builds the anchor object for a set of heads (e.g. every stream changed since the last anchor). */
export function buildAnchor(heads: ReadonlyArray<StreamHead> | Readonly<Record<string, { seq: number; hash: string }>>, createdAt: string): AuditAnchor {
  if (!isIsoMillis(createdAt)) throw new TypeError('createdAt must be ISO 8601 UTC with milliseconds');
  const body = { anchorVersion: ANCHOR_VERSION as 1, createdAt, heads: normaliseHeads(heads) };
  return { ...body, anchorHash: anchorDigest(body) };
}

/** The anchor object's bytes: canonical JSON with a final newline. */
export function serializeAnchor(anchor: AuditAnchor): string {
  return canonicalJson(anchor) + '\n';
}

export class AnchorFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AnchorFormatError';
  }
}

/** Parses and checks an anchor object (shape and its own digest). */
export function parseAnchor(text: string): AuditAnchor {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AnchorFormatError('anchor is not valid JSON');
  }
  const a = v as Partial<AuditAnchor> | null;
  if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new AnchorFormatError('anchor must be a JSON object');
  if (a.anchorVersion !== ANCHOR_VERSION) throw new AnchorFormatError(`anchorVersion must be ${ANCHOR_VERSION}`);
  if (!isIsoMillis(a.createdAt)) throw new AnchorFormatError('createdAt must be ISO 8601 UTC with milliseconds');
  if (!Array.isArray(a.heads)) throw new AnchorFormatError('heads must be an array');
  let heads: StreamHead[];
  try {
    heads = normaliseHeads(a.heads);
  } catch (err) {
    throw new AnchorFormatError((err as Error).message.replace(/^chainHeads/, 'heads'));
  }
  if (typeof a.anchorHash !== 'string' || !HEX64.test(a.anchorHash)) throw new AnchorFormatError('anchorHash must be 64 lower-case hex digits');
  const extra = Object.keys(a).filter((k) => !['anchorVersion', 'createdAt', 'heads', 'anchorHash'].includes(k));
  if (extra.length) throw new AnchorFormatError(`unknown member ${extra[0]}`);
  if (anchorDigest(a as AuditAnchor) !== a.anchorHash) throw new AnchorFormatError('anchorHash does not match the anchor content');
  return { anchorVersion: 1, createdAt: a.createdAt, heads, anchorHash: a.anchorHash };
}
