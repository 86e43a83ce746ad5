// kairr data|model upload | push against the fake data hub (fake-hub.ts): hashing and part
// splitting, progress on a terminal only, an upload interrupted by a part PUT that fails and a
// re-run that sends only the missing parts (the resume route says which S3 holds), an upload S3 no
// longer holds started over; model push and pull as the same commands under /v1/models.
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile, localFiles, MiB, partSizeFor } from '../src/transfer';
import { kairr } from './harness';
import { DS, MODEL, BASE, sha, b64, tmp, route, FakeHub, workspace } from './fake-hub';

describe('hashing and cutting', () => {
  it('SHA-256 per part and per file, parts of the size asked (the last shorter); a file of one part or less is one part', async () => {
    const w = workspace();
    const [big] = localFiles([join(w.dir, 'data', 'big.bin')]);
    const h = await hashFile(big, 5 * MiB);
    expect(h.sha256).toBe(sha(w.big));
    expect(h.parts).toEqual([
      { bytes: 5 * MiB, sha256: sha(w.big.subarray(0, 5 * MiB)) },
      { bytes: 5 * MiB, sha256: sha(w.big.subarray(5 * MiB, 10 * MiB)) },
      { bytes: MiB + 5, sha256: sha(w.big.subarray(10 * MiB)) },
    ]);
    const [small] = localFiles([join(w.dir, 'data', 'small.txt')]);
    expect((await hashFile(small, 5 * MiB)).parts).toEqual([{ bytes: w.small.length, sha256: sha(w.small) }]);
    const empty = join(tmp('empty'), 'empty');
    writeFileSync(empty, '');
    expect((await hashFile(localFiles([empty])[0], 5 * MiB)).parts).toEqual([{ bytes: 0, sha256: sha('') }]);
    // S3 takes at most 10,000 parts: a larger file gets larger parts
    expect(partSizeFor(100 * 1024 * MiB, 8)).toBe(11 * MiB);
    expect(localFiles([w.dir], 'x/').map((f) => f.path)).toEqual(['x/README.md', 'x/data/big.bin', 'x/data/small.txt']);
  });
});

describe('upload', () => {
  it('registers the files in the manifest, starts each upload, PUTs every part with the headers the API names, and completes; --json is the final upload views', async () => {
    const w = workspace();
    const hub = new FakeHub();
    const r = await kairr([...w.args, '--json'], { env: w.env, fetch: hub.fetch });
    expect(hub.violations).toEqual([]);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.stringMatching(/^Uploaded 3 files to ds-a+@1\.0\.0 \(\d+ bytes sent now\); the hub checked each SHA-256\n$/) });
    const calls = hub.api.calls.map((c) => `${c.method} ${new URL(c.url).pathname}`);
    expect(calls.slice(0, 3)).toEqual([`GET ${BASE}`, `GET ${BASE}/manifest`, `PUT ${BASE}/manifest/pages/1`]);
    expect(hub.api.calls[2].body).toEqual({
      files: [
        { path: 'v1/README.md', bytes: w.readme.length, sha256: sha(w.readme), mediaType: 'text/markdown' },
        { path: 'v1/big.bin', bytes: w.big.length, sha256: sha(w.big), mediaType: 'application/octet-stream' },
        { path: 'v1/small.txt', bytes: w.small.length, sha256: sha(w.small), mediaType: 'text/plain' },
      ],
    });
    const starts = hub.api.calls.filter((c) => c.method === 'POST' && c.url.endsWith('/uploads'));
    expect(starts.map((c) => c.body)).toEqual([
      { path: 'v1/README.md', parts: [{ bytes: w.readme.length, sha256: sha(w.readme) }] },
      {
        path: 'v1/big.bin',
        parts: [
          { bytes: 5 * MiB, sha256: sha(w.big.subarray(0, 5 * MiB)) },
          { bytes: 5 * MiB, sha256: sha(w.big.subarray(5 * MiB, 10 * MiB)) },
          { bytes: MiB + 5, sha256: sha(w.big.subarray(10 * MiB)) },
        ],
      },
      { path: 'v1/small.txt', parts: [{ bytes: w.small.length, sha256: sha(w.small) }] },
    ]);
    expect(hub.s3.map((s) => [s.key.replace(`${DS}/1.0.0/`, ''), s.partNumber, s.bytes])).toEqual([
      ['v1/README.md', 0, w.readme.length],
      ['v1/big.bin', 1, 5 * MiB],
      ['v1/big.bin', 2, 5 * MiB],
      ['v1/big.bin', 3, MiB + 5],
      ['v1/small.txt', 0, w.small.length],
    ]);
    expect(hub.s3[2].headers).toEqual({ 'x-amz-checksum-sha256': b64(sha(w.big.subarray(5 * MiB, 10 * MiB))), 'content-length': String(5 * MiB) });
    const completes = hub.api.calls.filter((c) => c.method === 'POST' && /uploads\/upl-/.test(c.url));
    expect(completes.map((c) => c.body)).toEqual([
      {},
      {
        etags: [1, 2, 3].map(
          (n) =>
            `"${createHash('md5')
              .update(hub.uploads.get(`upl-${'0'.repeat(25)}2`)!.parts.get(n)!)
              .digest('hex')}"`,
        ),
      },
      {},
    ]);
    expect(hub.objects.get(`${DS}/1.0.0/v1/big.bin`)!.equals(w.big)).toBe(true);
    const out = JSON.parse(r.out) as { items: unknown[] };
    expect(out.items).toHaveLength(3);
    for (const u of out.items) expect(route('completeArtifactUpload').responses[200].schema!.safeParse(u).success).toBe(true);
    expect(out.items.map((u) => (u as { state: string }).state)).toEqual(['verified', 'verified', 'verified']);
    // done: nothing left to resume
    expect(w.stateFiles()).toEqual([]);
    // an upload again of the same files registers nothing new in the manifest
    const again = await kairr(w.args, { env: w.env, fetch: hub.fetch });
    expect(again.code).toBe(0);
    expect(hub.api.calls.filter((c) => c.method === 'PUT')).toHaveLength(1);
  });

  it('shows progress on stderr only when it is a terminal', async () => {
    const w = workspace();
    const piped = await kairr(w.args, { env: w.env, fetch: new FakeHub().fetch });
    expect(piped.code).toBe(0);
    expect(piped.err).not.toMatch(/\r|hashing|uploading|%/);
    expect(piped.out).toMatch(/^PATH\s+STATE\s+BYTES\s+PARTS\s+SENT NOW\s+UPLOAD\n/);
    const w2 = workspace();
    const tty = await kairr(w2.args, { env: w2.env, fetch: new FakeHub().fetch, tty: true, columns: 100 });
    expect(tty.code).toBe(0);
    expect(tty.err).toContain('\rhashing');
    expect(tty.err).toMatch(/\ruploading .*100%\s+11\.5\/11\.5 MB {2}file 3\/3/);
  });

  it('interrupted by a part PUT that fails, it exits 1 keeping a 0600 resume state; run again, it asks which parts S3 holds and sends only the missing ones', async () => {
    const w = workspace();
    const hub = new FakeHub();
    hub.failPut = (key, part) => key.endsWith('big.bin') && part === 2;
    const first = await kairr(w.args, { env: w.env, fetch: hub.fetch });
    expect(first.code).toBe(1);
    expect(first.err).toBe('error: the upload of v1/big.bin stopped at part 2 (ECONNRESET); run the same command again to resume: parts already uploaded are not sent again\n');
    // three attempts at part 2; part 3 never started
    expect(hub.s3.filter((s) => s.key.endsWith('big.bin')).map((s) => s.partNumber)).toEqual([1, 2, 2, 2]);
    const [state] = w.stateFiles();
    expect(statSync(state).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, '..')).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(state, 'utf8'));
    expect(saved.files['v1/big.bin']).toMatchObject({ uploadId: `upl-${'0'.repeat(25)}2`, sha256: sha(w.big) });
    expect(saved.files['v1/README.md'].done).toMatchObject({ state: 'verified' });

    hub.failPut = () => false;
    const before = { api: hub.api.calls.length, s3: hub.s3.length };
    const second = await kairr([...w.args, '--json'], { env: w.env, fetch: hub.fetch, tty: true });
    expect(hub.violations).toEqual([]);
    expect(second.code).toBe(0);
    expect(second.err).toContain('v1/big.bin: resuming, 1 of 3 parts already uploaded');
    const calls = hub.api.calls.slice(before.api).map((c) => `${c.method} ${new URL(c.url).pathname}`);
    expect(calls).toEqual([
      `GET ${BASE}`,
      `GET ${BASE}/manifest`,
      // README.md was done: nothing; big.bin resumes (no new upload)
      `GET ${BASE}/uploads/upl-${'0'.repeat(25)}2`,
      `POST ${BASE}/uploads/upl-${'0'.repeat(25)}2`,
      `POST ${BASE}/uploads`,
      `POST ${BASE}/uploads/upl-${'0'.repeat(25)}3`,
    ]);
    expect(hub.s3.slice(before.s3).map((s) => [s.key.replace(`${DS}/1.0.0/`, ''), s.partNumber])).toEqual([
      ['v1/big.bin', 2],
      ['v1/big.bin', 3],
      ['v1/small.txt', 0],
    ]);
    expect(hub.objects.get(`${DS}/1.0.0/v1/big.bin`)!.equals(w.big)).toBe(true);
    expect(JSON.parse(second.out).items.map((u: { path: string; state: string }) => `${u.path} ${u.state}`)).toEqual(['v1/README.md verified', 'v1/big.bin verified', 'v1/small.txt verified']);
    expect(w.stateFiles()).toEqual([]);
  });

  it('an upload the API can no longer resume (S3 aborted it: 409) is started over, every part sent', async () => {
    const w = workspace();
    const hub = new FakeHub();
    hub.failPut = (key, part) => key.endsWith('big.bin') && part === 3;
    expect((await kairr(w.args, { env: w.env, fetch: hub.fetch })).code).toBe(1);
    hub.uploads.get(`upl-${'0'.repeat(25)}2`)!.state = 'gone';
    hub.failPut = () => false;
    const before = hub.s3.length;
    const again = await kairr(w.args, { env: w.env, fetch: hub.fetch });
    expect(hub.violations).toEqual([]);
    expect(again.code).toBe(0);
    expect(hub.s3.slice(before).map((s) => [s.key.replace(`${DS}/1.0.0/`, ''), s.partNumber])).toEqual([
      ['v1/big.bin', 1],
      ['v1/big.bin', 2],
      ['v1/big.bin', 3],
      ['v1/small.txt', 0],
    ]);
    expect(hub.uploads.get(`upl-${'0'.repeat(25)}3`)!.view.path).toBe('v1/big.bin');
  });

  it('a file the manifest lists with another SHA-256 is refused before anything is sent', async () => {
    const w = workspace();
    const hub = new FakeHub();
    hub.manifest.set('v1/README.md', { path: 'v1/README.md', bytes: w.readme.length, sha256: sha('other'), mediaType: 'text/markdown' });
    hub.pages['1'] = { files: 1, bytes: w.readme.length, digest: 'x' };
    const r = await kairr(w.args, { env: w.env, fetch: hub.fetch });
    expect(r.code).toBe(1);
    expect(r.err).toContain("the version's manifest lists v1/README.md with another size or SHA-256");
    expect(hub.s3).toEqual([]);
  });

  it('usage errors before any request: no @VERSION, a part size S3 cannot take, a path that is not there', async () => {
    const w = workspace();
    const hub = new FakeHub();
    const noVersion = await kairr(['data', 'upload', DS, join(w.dir, 'README.md')], { env: w.env, fetch: hub.fetch });
    expect(noVersion.code).toBe(2);
    expect(noVersion.err).toContain('is not ARTIFACT@VERSION');
    const small = await kairr([...w.args.slice(0, 4), '--part-size', '4'], { env: w.env, fetch: hub.fetch });
    expect(small.code).toBe(2);
    expect(small.err).toContain("option '--part-size <MiB>' argument '4' is invalid");
    const missing = await kairr(['data', 'upload', `${DS}@1.0.0`, join(w.dir, 'nope')], { env: w.env, fetch: hub.fetch });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope (ENOENT)');
    expect((await kairr(['model', 'push', `${DS}@1.0.0`, w.dir], { env: w.env, fetch: hub.fetch })).code).toBe(2);
    expect(hub.api.calls).toEqual([]);
  });
});

describe('model push and pull', () => {
  it('are the same commands under /v1/models', async () => {
    const w = workspace();
    const hub = new FakeHub('models', MODEL);
    const push = await kairr(['model', 'push', `${MODEL}@1.0.0`, join(w.dir, 'README.md'), '--json'], { env: w.env, fetch: hub.fetch });
    expect(hub.violations).toEqual([]);
    expect(push.code).toBe(0);
    expect(JSON.parse(push.out).items.map((u: { path: string; state: string }) => `${u.path} ${u.state}`)).toEqual(['README.md verified']);
    expect(hub.api.calls.every((c) => new URL(c.url).pathname.startsWith(`/v1/models/${MODEL}/versions/1.0.0`))).toBe(true);
    const out = join(tmp('pull'), 'model');
    const pull = await kairr(['model', 'pull', `${MODEL}@1.0.0`, '--out', out], { env: w.env, fetch: hub.fetch });
    expect(pull.code).toBe(0);
    expect(readFileSync(join(out, 'README.md')).equals(w.readme)).toBe(true);
    expect(pull.out).toMatch(/^PATH\s+BYTES\s+STATUS\nREADME\.md\s+\d+\s+downloaded\n$/);
  });
});
