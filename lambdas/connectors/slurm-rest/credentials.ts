// Credentials for slurmrestd's JWT auth (rest_auth/jwt): a static token, or the cluster's HS256 key from
// which the driver mints short-lived tokens itself (and can then act as a member user for submit).
import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { PermanentSchedulerError } from '../driver';

export const SlurmCredentialsSchema = z.union([
  z.strictObject({
    /** The Slurm user the token belongs to (normally SlurmUser `slurm`, which may act for any user). */
    username: z.string().check(z.minLength(1)),
    token: z.string().check(z.minLength(1)),
  }),
  z.strictObject({
    username: z.string().check(z.minLength(1)),
    /** Base64 of the cluster's jwt_hs256.key (AuthAltParameters=jwt_key=…). */
    jwtKey: z.string().check(z.minLength(1)),
  }),
]);
export type SlurmCredentials = z.infer<typeof SlurmCredentialsSchema>;

/** Where the driver gets credentials; the Lambda's comes from Secrets Manager (./secrets.ts), cached. */
export type CredentialsProvider = () => Promise<SlurmCredentials>;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** An HS256 token as `scontrol token` makes it: claims iat, exp and sun (the Slurm user name). */
export function mintSlurmJwt(key: Buffer, username: string, lifetimeSeconds = 300, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat, exp: iat + lifetimeSeconds, sun: username }));
  const signature = b64url(createHmac('sha256', key).update(`${header}.${payload}`).digest());
  return `${header}.${payload}.${signature}`;
}

export interface AuthHeaders {
  'X-SLURM-USER-NAME': string;
  'X-SLURM-USER-TOKEN': string;
}

const TOKEN_LIFETIME_S = 300;
const RENEW_BEFORE_MS = 60_000;

/**
 * Turns credentials into request headers for an acting user. With a key, each acting user gets their
 * own minted token, reused until a minute before it expires. With a static token, the token's user
 * (SlurmUser) acts for the member through X-SLURM-USER-NAME.
 */
export class TokenSource {
  private readonly minted = new Map<string, { token: string; expiresAt: number }>();
  constructor(private readonly provider: CredentialsProvider) {}

  async headers(actAs?: string): Promise<AuthHeaders> {
    const creds = await this.provider();
    // ---- site accounts: the last line of defence ----
    // A member's token is never root's or the site's own service user's, whatever the caller
    // passed: with either, a job could read the site's key and mint any user's token.
    if (actAs !== undefined && (actAs === 'root' || actAs === creds.username)) {
      throw new PermanentSchedulerError(`KAIRR never acts for a member as "${actAs}" (root or the site's service user)`, { operation: 'mint-token' });
    }
    // ---- end site accounts ----
    const user = actAs ?? creds.username;
    if ('token' in creds) return { 'X-SLURM-USER-NAME': user, 'X-SLURM-USER-TOKEN': creds.token };
    const cacheKey = `${user}\u0000${creds.jwtKey}`;
    const now = Date.now();
    const hit = this.minted.get(cacheKey);
    if (hit && hit.expiresAt - RENEW_BEFORE_MS > now) return { 'X-SLURM-USER-NAME': user, 'X-SLURM-USER-TOKEN': hit.token };
    const token = mintSlurmJwt(Buffer.from(creds.jwtKey, 'base64'), user, TOKEN_LIFETIME_S, now);
    this.minted.set(cacheKey, { token, expiresAt: now + TOKEN_LIFETIME_S * 1000 });
    return { 'X-SLURM-USER-NAME': user, 'X-SLURM-USER-TOKEN': token };
  }

  /** Forget minted tokens (after the site refused one: the key may have rotated). */
  reset(): void {
    this.minted.clear();
  }
}
