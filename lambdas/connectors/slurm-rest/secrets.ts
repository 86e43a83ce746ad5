// The one place that reads Slurm credentials from Secrets Manager. The secret (named in the site's
// configuration, never its value) holds JSON: {"username":"slurm","token":"<jwt>"} or
// {"username":"slurm","jwtKey":"<base64 of the HS256 key>"}. Values are cached per secret name for a
// TTL, concurrent callers share one request, and a refused token can force a fresh read.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SlurmCredentialsSchema, type CredentialsProvider, type SlurmCredentials } from './credentials';
import { PermanentSchedulerError, TransientSchedulerError } from '../driver';

const DEFAULT_TTL_MS = 5 * 60_000;

let sharedClient: SecretsManagerClient | undefined;
function client(): SecretsManagerClient {
  sharedClient ??= new SecretsManagerClient({});
  return sharedClient;
}

interface Entry {
  value?: SlurmCredentials;
  expiresAt: number;
  inflight?: Promise<SlurmCredentials>;
}
const cache = new Map<string, Entry>();

export interface SecretsOptions {
  ttlMs?: number;
  /** For tests and for a client with its own endpoint/region. */
  client?: Pick<SecretsManagerClient, 'send'>;
  now?: () => number;
}

async function load(secretName: string, sm: Pick<SecretsManagerClient, 'send'>): Promise<SlurmCredentials> {
  let text: string | undefined;
  try {
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretName }));
    text = out.SecretString ?? (out.SecretBinary ? Buffer.from(out.SecretBinary).toString('utf8') : undefined);
  } catch (e) {
    const name = (e as { name?: string }).name ?? '';
    if (name === 'ResourceNotFoundException' || name === 'AccessDeniedException' || name === 'DecryptionFailure') {
      throw new PermanentSchedulerError(`cannot read scheduler credentials "${secretName}": ${name}`, { operation: 'secrets', cause: e });
    }
    throw new TransientSchedulerError(`cannot read scheduler credentials "${secretName}" now`, { operation: 'secrets', cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text ?? '');
  } catch {
    throw new PermanentSchedulerError(`scheduler credentials "${secretName}" are not JSON`, { operation: 'secrets' });
  }
  const parsed = SlurmCredentialsSchema.safeParse(json);
  if (!parsed.success) {
    // never echo the secret: name only the shape that was expected
    throw new PermanentSchedulerError(`scheduler credentials "${secretName}" must be {"username","token"} or {"username","jwtKey"}`, { operation: 'secrets' });
  }
  return parsed.data;
}

/** A cached credentials provider for one secret. `provider.refresh()` drops the cached value. */
export function secretsManagerCredentials(secretName: string, opts: SecretsOptions = {}): CredentialsProvider & { refresh(): void } {
  const ttl = opts.ttlMs ?? DEFAULT_TTL_MS;
  const now = opts.now ?? Date.now;
  const provider = async (): Promise<SlurmCredentials> => {
    const entry = cache.get(secretName);
    if (entry?.value && entry.expiresAt > now()) return entry.value;
    if (entry?.inflight) return entry.inflight;
    const inflight = load(secretName, opts.client ?? client())
      .then((value) => {
        cache.set(secretName, { value, expiresAt: now() + ttl });
        return value;
      })
      .catch((e: unknown) => {
        cache.delete(secretName);
        throw e;
      });
    cache.set(secretName, { ...(entry ?? { expiresAt: 0 }), inflight });
    return inflight;
  };
  return Object.assign(provider, { refresh: () => void cache.delete(secretName) });
}

/** For tests: forget every cached secret. */
export function clearSecretsCache(): void {
  cache.clear();
}
