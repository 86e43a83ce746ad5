// Public API of the audit domain: events and their hashes, chains, export writing and verifying.
// Pure TypeScript on node:crypto/node:stream (no AWS SDK); lambdas/audit/fs-source.ts holds the local-disk adapters (node:fs stays out of the domain).
export { NotJsonError, assertJsonValue, canonicalJson, digestOf, sha256Hex } from './jcs';
export {
  AuditEventError,
  EVENT_KEYS,
  GENESIS_HASH,
  MAX_DETAILS_BYTES,
  checkEvent,
  eventHashMatches,
  hashEvent,
  hashPreimage,
  nextEvent,
  parseEvent,
  serializeEvent,
  type AuditActor,
  type AuditEvent,
  type AuditEventFields,
  type AuditSubject,
  type ChainHead,
  type FieldProblem,
} from './event';
export { ChainTracker, verifyChain, type ChainIssue, type ChainProblem } from './chain';
export { CSV_COLUMNS, CSV_HEADER, csvCellsToEvent, decodeTextCell, encodeTextCell, eventToCsvRecord, CsvParser } from './csv';
export {
  MANIFEST_FILE_NAME,
  MANIFEST_VERSION,
  checkManifestShape,
  dataFileName,
  manifestDigest,
  sealManifest,
  serializeManifest,
  type AnchorRef,
  type ExportFormat,
  type ExportManifest,
  type ManifestFile,
  type ManifestStream,
  type StreamHead,
} from './manifest';
export {
  DEFAULT_ROLLOVER,
  ExportInputError,
  createExportWriter,
  nodeWritableSink,
  writeExport,
  type ExportAnomaly,
  type ExportSink,
  type ExportWriter,
  type ExportWriterOptions,
  type Rollover,
  type SinkLike,
} from './export-writer';
export { AnchorFormatError, buildAnchor, parseAnchor, serializeAnchor, type AuditAnchor } from './anchor';
export { verifyDataFile, verifyExport, type ExportSource, type NamedAnchor, type VerifyOptions, type VerifyProblem, type VerifyReport } from './verify';
