// The public shapes of offline verification (verify.ts): its options, what it reads, and its report.
import type { ExportFormat, ManifestStream } from './manifest';
import type { AuditAnchor } from './anchor';

export interface VerifyProblem {
  /** Data file (or manifest.json) the problem is in. */
  file: string;
  /** 1-based physical line where the record starts (CSV: the header is line 1). */
  line?: number;
  /** 1-based record number within the file (CSV: header not counted). */
  record?: number;
  stream?: string;
  seq?: number;
  /** The event member ("hash", "prevHash", "seq", "stream", "actor.role", ...) or manifest path ("files[0].sha256"). */
  field: string;
  problem: string;
}

export interface VerifiedFile {
  name: string;
  records: number;
  bytes: number;
  sha256: string;
}

export interface VerifyReport {
  ok: boolean;
  /** "export": a folder with manifest.json; "file": one data file, chain and hashes only. */
  mode: 'export' | 'file';
  format: ExportFormat | null;
  exportId: string | null;
  records: number;
  files: VerifiedFile[];
  /** What the data holds, per stream, in export order. */
  streams: ManifestStream[];
  /** How many anchored heads fell inside the export and were compared. */
  anchorHeadsChecked: number;
  /** The first maxProblems problems, in the order found. */
  problems: VerifyProblem[];
  problemCount: number;
  /** What could not be checked, and why (not failures). */
  notes: string[];
}

/** Where an export's files come from: a local folder (see lambdas/audit/fs-source.ts), S3, memory. */
export interface ExportSource {
  /** Names of the files in the export folder. */
  list(): Promise<string[]>;
  /** The file's bytes, in chunks of any size. */
  read(name: string): AsyncIterable<Uint8Array>;
}

export interface NamedAnchor {
  /** Where the anchor came from (file name or object key), for messages. */
  name: string;
  anchor: AuditAnchor;
}

export interface VerifyOptions {
  /** Anchor objects fetched from the Object Lock bucket; their heads are checked against the data. */
  anchors?: readonly NamedAnchor[];
  /** Problems kept in the report (all are counted). Default 1000. */
  maxProblems?: number;
}
