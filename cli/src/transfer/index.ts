// Moving files into and out of the data hub (docs/datahub.md "Getting data in", docs/cli.md).
//
// Up: each file is hashed once, SHA-256 of the whole and of each part (parts of --part-size, 8 MiB
// by default; a file of at most one part is a single PUT), registered in the version's manifest if
// it is not there yet, then uploaded part by part to the presigned URLs the API answers, with the
// headers it names (each part's x-amz-checksum-sha256, signed into the URL), and completed: the
// hub reads the object back and checks every digest. A resume state file remembers each file's
// upload id and digests (mode 0600), so running the same command again after an interruption asks
// the API which parts S3 holds (GET …/uploads/{uploadId}) and sends only the others.
//
// Down: the manifest's files, each from the hub's copy (the API's 302 to a presigned URL), streamed
// to a temporary file while hashed, and kept only when its size and SHA-256 are the manifest's; a
// file already there with the manifest's digest is not downloaded again.
// The transfer face: what the data and model commands use.
import type { Context } from '../context';
import { progressBar } from '../output';

export * from './files';
export * from './state';
export * from './upload';
export * from './download';

export const barFor = (c: Context, label: string, total: number) => progressBar(c.io.err, label, total);
