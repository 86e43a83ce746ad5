// The resume state of uploads: each file's upload id and digests (mode 0600), so the same command
// run again after an interruption sends only what S3 does not hold.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { configDir } from '../config';
import { hashFile, partSizeFor, type HashedFile, type LocalFile } from './files';

// ---- the resume state ---------------------------------------------------------------------------

const FileStateSchema = z.object({
  file: z.string(),
  bytes: z.number(),
  mtimeMs: z.number(),
  sha256: z.string(),
  partSize: z.number(),
  parts: z.array(z.object({ bytes: z.number(), sha256: z.string() })),
  /** The open upload of this file, once started. */
  uploadId: z.optional(z.string()),
  /** The verified upload, as the API answered it, once complete. */
  done: z.optional(z.record(z.string(), z.unknown())),
});
type FileState = z.infer<typeof FileStateSchema>;
const StateSchema = z.object({ version: z.literal(1), api: z.string(), artifactId: z.string(), artifactVersion: z.string(), files: z.record(z.string(), FileStateSchema) });
type StateData = z.infer<typeof StateSchema>;

/**
 * Where resume states are kept: $XDG_STATE_HOME/kairr/uploads/ when XDG_STATE_HOME is set, else the
 * CLI's config folder's uploads/ (beside credentials.json), as `gh` keeps its state in its config.
 */
export function uploadStateDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_STATE_HOME;
  if (xdg?.startsWith('/')) return join(xdg, 'kairr', 'uploads');
  return join(configDir(env), 'uploads');
}

/** One upload command's memory, per API and version: each file's digests, its upload id, and whether it is done. */
export class UploadState {
  readonly file: string;
  private data: StateData;

  constructor(env: NodeJS.ProcessEnv, api: string, artifactId: string, artifactVersion: string) {
    const key = createHash('sha256').update(`${api}\n${artifactId}@${artifactVersion}`).digest('hex').slice(0, 32);
    this.file = join(uploadStateDir(env), `${artifactId}@${artifactVersion}-${key}.json`);
    const empty: StateData = { version: 1, api, artifactId, artifactVersion, files: {} };
    let data = empty;
    if (existsSync(this.file)) {
      // an unreadable state only costs the resumption: the upload starts over
      try {
        const parsed = StateSchema.safeParse(JSON.parse(readFileSync(this.file, 'utf8')));
        if (parsed.success && parsed.data.api === api && parsed.data.artifactId === artifactId && parsed.data.artifactVersion === artifactVersion) data = parsed.data;
      } catch {
        data = empty;
      }
    }
    this.data = data;
  }

  get(path: string): FileState | undefined {
    return this.data.files[path];
  }

  put(path: string, s: FileState): void {
    this.data.files[path] = s;
    this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  /** Every file is uploaded: nothing left to resume. */
  remove(): void {
    rmSync(this.file, { force: true });
  }
}

/** The file's digests: remembered from an earlier run when the file is unchanged (size, time), else read. */
export async function digestsOf(f: LocalFile, partMiB: number, state: UploadState, onBytes: (n: number) => void): Promise<HashedFile> {
  const partSize = partSizeFor(f.bytes, partMiB);
  const s = state.get(f.path);
  if (s && s.file === f.file && s.bytes === f.bytes && s.mtimeMs === f.mtimeMs && s.partSize === partSize) {
    onBytes(f.bytes);
    return { ...f, sha256: s.sha256, partSize, parts: s.parts };
  }
  const h = await hashFile(f, partSize, onBytes);
  // a changed file forgets its earlier upload
  state.put(f.path, { file: f.file, bytes: f.bytes, mtimeMs: f.mtimeMs, sha256: h.sha256, partSize, parts: h.parts });
  return h;
}
