// kairr data pull against the fake data hub (fake-hub.ts): each file through the API's redirect,
// its SHA-256 checked, files already there skipped, a corrupted one refused.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kairr } from './harness';
import { DS, sha, tmp, FakeHub } from './fake-hub';

describe('pull', () => {
  function published() {
    const hub = new FakeHub();
    hub.state = 'published';
    const files = { 'README.md': Buffer.from('# corpus\n'), 'data/train.jsonl': Buffer.from('{"text":"한국어"}\n'.repeat(1000)) };
    for (const [path, data] of Object.entries(files)) {
      hub.manifest.set(path, { path, bytes: data.length, sha256: sha(data), mediaType: 'application/octet-stream' });
      hub.objects.set(`${DS}/1.0.0/${path}`, data);
    }
    hub.pages['1'] = { files: 2, bytes: 0, digest: 'x' };
    return { hub, files, env: { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' } };
  }

  it("downloads each manifest file through the API's redirect (the token to the API only), checks its SHA-256, and skips files already there", async () => {
    const { hub, files, env } = published();
    const out = join(tmp('pull'), 'corpus');
    const r = await kairr(['data', 'pull', DS, '--out', out, '--json'], { env, fetch: hub.fetch });
    expect(hub.violations).toEqual([]);
    expect(r.code).toBe(0);
    for (const [path, data] of Object.entries(files)) expect(readFileSync(join(out, path)).equals(data)).toBe(true);
    expect(JSON.parse(r.out)).toEqual({
      artifactId: DS,
      version: '1.0.0',
      dir: out,
      items: [
        { path: 'README.md', bytes: files['README.md'].length, sha256: sha(files['README.md']), status: 'downloaded' },
        { path: 'data/train.jsonl', bytes: files['data/train.jsonl'].length, sha256: sha(files['data/train.jsonl']), status: 'downloaded' },
      ],
    });
    expect(r.err).toBe(`2 files in ${out} match the manifest (2 downloaded now)\n`);
    // @latest by default; the API gets the token, the presigned URL does not
    expect(new URL(hub.api.calls[0].url).pathname).toBe(`/v1/datasets/${DS}/versions/latest`);
    const fileCall = hub.api.calls.find((c) => c.url.includes('/files/data/train.jsonl'))!;
    expect(fileCall.headers.authorization).toBe('Bearer tok');
    expect(hub.s3.every((s) => s.method === 'GET' && !('authorization' in s.headers))).toBe(true);
    // again: every file is there with its digest; one changed locally is downloaded again
    writeFileSync(join(out, 'README.md'), '# changed\n');
    const before = hub.s3.length;
    const again = await kairr(['data', 'pull', `${DS}@1.0.0`, '--out', out, '--json'], { env, fetch: hub.fetch });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out).items.map((i: { status: string }) => i.status)).toEqual(['downloaded', 'present']);
    expect(hub.s3.slice(before).map((s) => s.key)).toEqual([`${DS}/1.0.0/README.md`]);
    expect(readFileSync(join(out, 'README.md')).equals(files['README.md'])).toBe(true);
  });

  it('refuses a file that arrives corrupted (exit 1, not kept, named with both digests); the others are kept', async () => {
    const { hub, files, env } = published();
    hub.corrupt = (key) => key.endsWith('train.jsonl');
    const out = join(tmp('pull'), 'corpus');
    const r = await kairr(['data', 'pull', `${DS}@1.0.0`, '--out', out], { env, fetch: hub.fetch, tty: true });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`error: data/train.jsonl arrived as ${files['data/train.jsonl'].length} bytes with SHA-256 `);
    expect(r.err).toContain(`but the manifest says ${files['data/train.jsonl'].length} bytes, ${sha(files['data/train.jsonl'])}; not kept`);
    expect(r.err).toContain('error: 1 files did not match the manifest and were not kept: data/train.jsonl');
    expect(existsSync(join(out, 'data', 'train.jsonl'))).toBe(false);
    expect(readdirSync(join(out, 'data'))).toEqual([]);
    expect(readFileSync(join(out, 'README.md')).equals(files['README.md'])).toBe(true);
    expect(r.err).toContain('\rdownloading');
  });
});
