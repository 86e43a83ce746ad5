// Where the CLI keeps its logins: one file, $XDG_CONFIG_HOME/kairr/credentials.json (else
// ~/.config/kairr/), mode 0600 in a folder of mode 0700, with one entry per profile (a stage, a
// deployment: `--profile`, KAIRR_PROFILE; default "default"). Written to a temporary file of mode
// 0600 and renamed, so a crash never leaves half a file and the token is never world-readable, not
// even for a moment. Read through a schema: a file edited by hand into something else is refused
// with the field that is wrong, not half-used.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod/mini';
import { CliError } from './errors';
import { msg } from './i18n';

export const ProfileSchema = z.object({
  /** The API's base URL (paths start with /v1). */
  api: z.string(),
  /** How the token was obtained: the device grant, authorization code with PKCE, or given (--with-token). */
  method: z.enum(['device', 'pkce', 'token']),
  accessToken: z.string(),
  refreshToken: z.optional(z.string()),
  /** ISO time the access token expires (from the token response's expires_in or the JWT's exp). */
  expiresAt: z.optional(z.string()),
  /** Where a refresh goes, and as which client. */
  tokenEndpoint: z.optional(z.string()),
  clientId: z.optional(z.string()),
  issuer: z.optional(z.string()),
  /** The KAIRR subject at login (from GET /v1/me), for `auth status`. */
  sub: z.optional(z.string()),
  loggedInAt: z.string(),
});
export type Profile = z.infer<typeof ProfileSchema>;

const FileSchema = z.object({ version: z.literal(1), profiles: z.record(z.string(), ProfileSchema) });
type CredentialsFile = z.infer<typeof FileSchema>;

export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME! : join(env.HOME || homedir(), '.config');
  return join(base, 'kairr');
}

export const credentialsFile = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'credentials.json');

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class CredentialStore {
  constructor(readonly file: string) {}

  private read(): CredentialsFile {
    if (!existsSync(this.file)) return { version: 1, profiles: {} };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (e) {
      throw new CliError(msg('credentialsNotJson', { file: this.file, reason: (e as Error).message }));
    }
    const parsed = FileSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CliError(msg('credentialsBadField', { file: this.file, field: issue.path.join('.') || '(file)', reason: issue.message }));
    }
    return parsed.data;
  }

  private write(data: CredentialsFile): void {
    const dir = join(this.file, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    // mode on create is masked by the umask; set it explicitly before the file takes the real name
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }

  get(profile: string): Profile | undefined {
    return this.read().profiles[profile];
  }

  list(): Record<string, Profile> {
    return this.read().profiles;
  }

  put(profile: string, value: Profile): void {
    if (!PROFILE_NAME.test(profile)) throw new CliError(msg('badProfileName', { profile }));
    const data = this.read();
    data.profiles[profile] = ProfileSchema.parse(value);
    this.write(data);
  }

  /** Forgets a profile's login; true if there was one. Removes the file when no profile is left. */
  remove(profile: string): boolean {
    const data = this.read();
    if (!data.profiles[profile]) return false;
    delete data.profiles[profile];
    if (Object.keys(data.profiles).length === 0) rmSync(this.file, { force: true });
    else this.write(data);
    return true;
  }
}
