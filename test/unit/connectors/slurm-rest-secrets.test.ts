import { clearSecretsCache, secretsManagerCredentials } from '../../../lambdas/connectors/slurm-rest/secrets';

function fakeClient(values: (string | Error)[]) {
  const calls: string[] = [];
  return {
    calls,
    send: async (cmd: { input: { SecretId?: string } }) => {
      calls.push(cmd.input.SecretId ?? '');
      const v = values[Math.min(calls.length - 1, values.length - 1)];
      if (v instanceof Error) throw v;
      return { SecretString: v };
    },
  };
}

describe('secretsManagerCredentials', () => {
  beforeEach(() => clearSecretsCache());

  test('reads once, shares concurrent reads, and caches until the TTL', async () => {
    let now = 0;
    const client = fakeClient(['{"username":"slurm","jwtKey":"a2V5"}', '{"username":"slurm","token":"t2"}']);
    const creds = secretsManagerCredentials('kairr/local/sites/spc/slurm', { client: client as never, ttlMs: 1000, now: () => now });

    const [a, b] = await Promise.all([creds(), creds()]);
    now = 999;
    const c = await creds();
    now = 1001;
    const d = await creds();

    expect(a).toEqual({ username: 'slurm', jwtKey: 'a2V5' });
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(d).toEqual({ username: 'slurm', token: 't2' });
    expect(client.calls).toEqual(['kairr/local/sites/spc/slurm', 'kairr/local/sites/spc/slurm']);
  });

  test('a malformed secret is a permanent error that does not echo the secret', async () => {
    const creds = secretsManagerCredentials('s', { client: fakeClient(['{"username":"slurm","password":"hunter2"}']) as never });
    const err = await creds().catch((e: Error) => e);
    expect(err).toMatchObject({ kind: 'permanent' });
    expect((err as Error).message).not.toContain('hunter2');
  });

  test('a missing secret is permanent, a throttled read transient', async () => {
    const notFound = Object.assign(new Error('no'), { name: 'ResourceNotFoundException' });
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    await expect(secretsManagerCredentials('a', { client: fakeClient([notFound]) as never })()).rejects.toMatchObject({ kind: 'permanent' });
    await expect(secretsManagerCredentials('b', { client: fakeClient([throttled]) as never })()).rejects.toMatchObject({ kind: 'transient', retryable: true });
  });
});
