// kairr data|model create | version create | upload | push | pull against a fake data hub whose
// every answer is what the route promises and every body the CLI sends passes the route's own
// strict schema (lambdas/datahub/api.ts), with a fake S3 behind the presigned URLs: hashing and
// part splitting, progress on a terminal only, an upload interrupted by a part PUT that fails and a
// re-run that sends only the missing parts (the resume route says which S3 holds), an upload S3 no
// longer holds started over, and pull verifying each file's SHA-256 (a corrupted one refused).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datahubApi } from '../../lambdas/datahub/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { hashFile, localFiles, MiB, partSizeFor } from '../src/transfer';
import type { Http } from '../src/transport';
import { fakeApi, kairr, type Recorded } from './harness';

const DS = `ds-${'a'.repeat(26)}`;
const DS2 = `ds-${'c'.repeat(26)}`;
const MODEL = `model-${'b'.repeat(26)}`;
const BASE = `/v1/datasets/${DS}/versions/1.0.0`;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const tmp = (name: string) => mkdtempSync(join(tmpdir(), `kairr-cli-${name}-`));
const route = (name: string) => (datahubApi as Record<string, RouteSpec>)[name];

/** A data hub of one draft (or published) version, in memory, answering as the routes promise. */
class FakeHub {
  readonly violations: string[] = [];
  readonly s3: { method: string; key: string; partNumber?: number; bytes?: number; headers: Record<string, string> }[] = [];
  readonly manifest = new Map<string, { path: string; bytes: number; sha256: string; mediaType: string }>();
  readonly pages: Record<string, { files: number; bytes: number; digest: string }> = {};
  readonly uploads = new Map<string, { view: any; parts: Map<number, Buffer>; state: 'open' | 'verified' | 'failed' | 'gone' }>();
  readonly objects = new Map<string, Buffer>();
  failPut: (key: string, partNumber: number) => boolean = () => false;
  corrupt: (key: string) => boolean = () => false;
  state: 'draft' | 'published' = 'draft';
  private n = 0;
  readonly api: ReturnType<typeof fakeApi>;

  constructor(
    readonly kind: 'datasets' | 'models' = 'datasets',
    readonly id = DS,
  ) {
    // the route table: looked up by "METHOD /path" as each request comes
    const table = new Proxy({} as Record<string, (r: Recorded) => [number, unknown]>, { get: (_t, key: string) => this.route(key) });
    this.api = fakeApi(table);
  }

  answer(name: string, status: number, body: unknown): [number, unknown] {
    const parsed = route(name).responses[status]?.schema?.safeParse(body);
    if (!parsed?.success) this.violations.push(`${name} ${status} answer: ${JSON.stringify(parsed?.error.issues ?? 'no such status')}`);
    return [status, body];
  }

  sent(name: string, r: Recorded): void {
    const parsed = route(name).body!.safeParse(r.body);
    if (!parsed.success) this.violations.push(`${name} body: ${JSON.stringify(parsed.error.issues)}`);
  }

  error(name: string, status: number, code: string, message: string): [number, unknown] {
    return this.answer(name, status, { error: { code, message, details: [] } });
  }

  versionView() {
    const files = [...this.manifest.values()];
    return {
      artifactId: this.id,
      kind: this.kind === 'datasets' ? 'dataset' : 'model',
      version: '1.0.0',
      state: this.state,
      changelog: '',
      derivedFrom: [],
      files: files.length,
      bytes: files.reduce((s, f) => s + f.bytes, 0),
      formats: [],
      pages: this.pages,
      createdAt: '2026-12-01T00:00:00Z',
      aliases: [],
    };
  }

  uploadView(u: { view: any }, parts: unknown[]) {
    const { view } = u;
    return { uploadId: view.uploadId, path: view.path, mode: view.mode, state: view.state, bytes: view.bytes, sha256: view.sha256, parts, expiresAt: new Date(Date.now() + 3600_000).toISOString() };
  }

  /** A presigned URL as S3's: PutObject for a one-part file, UploadPart otherwise. */
  signed(u: { key: string; s3UploadId: string; mode: string }, p: { partNumber: number; sha256: string }) {
    const q = u.mode === 'single' ? '' : `uploadId=${u.s3UploadId}&partNumber=${p.partNumber}&`;
    return { url: `http://s3.test/hub/${u.key}?${q}X-Amz-Signature=s`, headers: { 'x-amz-checksum-sha256': b64(p.sha256) } };
  }

  private route(key: string): ((r: Recorded) => [number, unknown]) | undefined {
    const [method, path] = key.split(' ');
    const v = `/v1/${this.kind}/${this.id}/versions/(1\\.0\\.0|latest)`;
    const m = (re: string) => new RegExp(`^${re}$`).exec(path);
    if (method === 'GET' && m(v)) return () => this.answer('getArtifactVersion', 200, this.versionView());
    if (method === 'GET' && m(`${v}/manifest`)) return () => this.answer('getArtifactManifest', 200, { items: [...this.manifest.values()].sort((a, b) => (a.path < b.path ? -1 : 1)) });
    const page = m(`${v}/manifest/pages/(\\d+)`);
    if (method === 'PUT' && page)
      return (r) => {
        this.sent('putArtifactManifestPage', r);
        const files = (r.body as { files: { path: string; bytes: number; sha256: string; mediaType: string }[] }).files;
        for (const f of files) this.manifest.set(f.path, f);
        this.pages[page[2]] = { files: files.length, bytes: files.reduce((s, f) => s + f.bytes, 0), digest: 'x' };
        return this.answer('putArtifactManifestPage', 200, this.versionView());
      };
    if (method === 'POST' && m(`${v}/uploads`))
      return (r) => {
        this.sent('createArtifactUpload', r);
        const body = r.body as { path: string; parts: { bytes: number; sha256: string }[] };
        const f = this.manifest.get(body.path)!;
        const uploadId = `upl-${String(++this.n).padStart(26, '0')}`;
        const mode = body.parts.length === 1 ? 'single' : 'multipart';
        const parts = body.parts.map((p, i) => ({ partNumber: i + 1, ...p }));
        const u = {
          view: { uploadId, path: body.path, mode, state: 'open', bytes: f.bytes, sha256: f.sha256, parts, key: `${this.id}/1.0.0/${body.path}`, s3UploadId: `s3-${uploadId}` },
          parts: new Map<number, Buffer>(),
          state: 'open' as const,
        };
        this.uploads.set(uploadId, u);
        return this.answer(
          'createArtifactUpload',
          201,
          this.uploadView(
            u,
            parts.map((p) => ({ ...p, ...this.signed(u.view, p) })),
          ),
        );
      };
    const one = m(`${v}/uploads/(upl-[0-9a-z]{26})`);
    if (one && method === 'GET')
      return () => {
        const u = this.uploads.get(one[2]);
        if (!u) return this.error('resumeArtifactUpload', 404, 'not_found', `Upload "${one[2]}" was not found`);
        if (u.state === 'gone') return this.error('resumeArtifactUpload', 409, 'upload_expired', 'S3 no longer holds the upload');
        if (u.state !== 'open') return this.error('resumeArtifactUpload', 409, 'upload_not_open', `The upload is ${u.state}`);
        const parts = u.view.parts.map((p: { partNumber: number; sha256: string; bytes: number }) => {
          const held = u.parts.get(p.partNumber);
          return held && sha(held) === p.sha256 ? { ...p, uploaded: true, etag: `"${createHash('md5').update(held).digest('hex')}"` } : { ...p, uploaded: false, ...this.signed(u.view, p) };
        });
        return this.answer('resumeArtifactUpload', 200, this.uploadView(u, parts));
      };
    if (one && method === 'POST')
      return (r) => {
        this.sent('completeArtifactUpload', r);
        const u = this.uploads.get(one[2])!;
        const etags = (r.body as { etags?: string[] }).etags ?? [];
        const whole = Buffer.concat(u.view.parts.map((p: { partNumber: number }) => u.parts.get(p.partNumber) ?? Buffer.alloc(0)));
        const etagsOk =
          u.view.mode === 'single' ||
          etags.every(
            (e: string, i: number) =>
              e ===
              `"${createHash('md5')
                .update(u.parts.get(i + 1) ?? '')
                .digest('hex')}"`,
          );
        if (!etagsOk || sha(whole) !== u.view.sha256) {
          u.state = 'failed';
          return this.answer('completeArtifactUpload', 422, { error: { code: 'upload_checksum_mismatch', message: 'does not match', details: [{ path: 'sha256', problem: 'differs' }] } });
        }
        u.state = 'verified';
        this.objects.set(u.view.key, whole);
        return this.answer('completeArtifactUpload', 200, this.uploadView({ view: { ...u.view, state: 'verified' } }, u.view.parts));
      };
    return undefined;
  }

  /** The CLI's HTTP: S3's presigned URLs, the API's file redirects, and the fake API. */
  readonly fetch: Http = async (url, init = {}) => {
    const u = new URL(url);
    if (u.host === 's3.test') {
      const key = decodeURIComponent(u.pathname.replace(/^\/hub\//, ''));
      const headers = init.headers ?? {};
      if (init.method === 'PUT') {
        // 0: a single PUT of a one-part file
        const partNumber = Number(u.searchParams.get('partNumber') ?? 0);
        const body = Buffer.from(init.body as Uint8Array);
        this.s3.push({ method: 'PUT', key, partNumber, bytes: body.length, headers });
        if (this.failPut(key, partNumber)) throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
        const upload = [...this.uploads.values()].find((x) => (partNumber ? x.view.s3UploadId === u.searchParams.get('uploadId') : x.view.key === key && x.state === 'open'))!;
        upload.parts.set(partNumber || 1, body);
        return new Response(null, { status: 200, headers: { etag: `"${createHash('md5').update(body).digest('hex')}"` } });
      }
      this.s3.push({ method: 'GET', key, headers });
      const obj = this.objects.get(key);
      if (!obj) return new Response('<Error><Code>NoSuchKey</Code></Error>', { status: 404 });
      const out = Buffer.from(obj);
      if (this.corrupt(key)) out[0] ^= 0xff;
      return new Response(out, { status: 200 });
    }
    const file = new RegExp(`^/v1/${this.kind}/${this.id}/versions/1\\.0\\.0/files/(.+)$`).exec(u.pathname);
    if (file) {
      this.api.calls.push({ method: 'GET', url, headers: init.headers ?? {} });
      const path = file[1].split('/').map(decodeURIComponent).join('/');
      if (!this.manifest.has(path)) return new Response(JSON.stringify(this.error('getArtifactFile', 404, 'not_found', 'no such file')[1]), { status: 404 });
      return new Response(null, { status: 302, headers: { location: `http://s3.test/hub/${this.id}/1.0.0/${path}?X-Amz-Signature=s` } });
    }
    return this.api.fetch(url, init as RequestInit);
  };
}

/** A folder with data/big.bin (three parts of 5 MiB), data/small.txt, and README.md beside it. */
function workspace() {
  const dir = tmp('upload');
  mkdirSync(join(dir, 'data'));
  const big = randomBytes(11 * MiB + 5);
  const small = Buffer.from('안녕하세요, KAIRR\n');
  const readme = Buffer.from('# corpus\n');
  writeFileSync(join(dir, 'data', 'big.bin'), big);
  writeFileSync(join(dir, 'data', 'small.txt'), small);
  writeFileSync(join(dir, 'README.md'), readme);
  const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok', XDG_STATE_HOME: join(dir, 'state') };
  const args = ['data', 'upload', `${DS}@1.0.0`, join(dir, 'data'), join(dir, 'README.md'), '--prefix', 'v1', '--part-size', '5'];
  const stateFiles = () => (existsSync(join(dir, 'state', 'kairr', 'uploads')) ? readdirSync(join(dir, 'state', 'kairr', 'uploads')).map((f) => join(dir, 'state', 'kairr', 'uploads', f)) : []);
  return { dir, big, small, readme, env, args, stateFiles };
}

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

describe('create and version create', () => {
  it('create -f: the file is the body of POST /v1/{datasets,models}, with an Idempotency-Key', async () => {
    const dir = tmp('create');
    const file = join(dir, 'model.yaml');
    writeFileSync(file, 'name: {ko: 한국어 챗 모델, en: Korean chat model}\ndescription: {en: A chat model}\nfieldOfScience: "1.2"\nlicence: Apache-2.0\naccessLevel: public\n');
    const artifact = {
      id: MODEL,
      kind: 'model',
      owner: { type: 'person', sub: 'me' },
      name: { ko: '한국어 챗 모델', en: 'Korean chat model' },
      description: { en: 'A chat model' },
      keywords: [],
      fieldOfScience: '1.2',
      licence: 'Apache-2.0',
      accessLevel: 'public',
      aliases: {},
      publishedVersions: [],
      sites: [],
      createdAt: '2026-12-01T00:00:00Z',
      updatedAt: '2026-12-01T00:00:00Z',
    };
    const hub = new FakeHub('models');
    const api = fakeApi({
      'POST /v1/models': (r) => {
        hub.sent('createArtifact', r);
        return hub.answer('createArtifact', 201, artifact);
      },
    });
    const r = await kairr(['model', 'create', '-f', file, '--query', 'id'], { env: { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' }, fetch: api.fetch });
    expect(hub.violations).toEqual([]);
    expect(r).toMatchObject({ code: 0, out: `${MODEL}\n` });
    expect(api.calls[0].body).toEqual({ name: { ko: '한국어 챗 모델', en: 'Korean chat model' }, description: { en: 'A chat model' }, fieldOfScience: '1.2', licence: 'Apache-2.0', accessLevel: 'public' });
    expect(api.calls[0].headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('version create ID@VERSION: flags win over the file; the version may come from the file; none is a usage error', async () => {
    const hub = new FakeHub();
    const api = fakeApi({
      [`POST /v1/datasets/${DS}/versions`]: (r) => {
        hub.sent('createArtifactVersion', r);
        return hub.answer('createArtifactVersion', 201, { ...hub.versionView(), version: (r.body as { version: string }).version, changelog: (r.body as { changelog?: string }).changelog ?? '' });
      },
    });
    const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
    const dir = tmp('version');
    writeFileSync(join(dir, 'v.yaml'), 'version: 2.0.0\nchangelog: from the file\n');
    const r = await kairr(['data', 'version', 'create', `${DS}@1.1.0`, '-f', join(dir, 'v.yaml'), '--changelog', 'cleaned', '--derived-from', `${DS2}@1.0.0`], { env, fetch: api.fetch });
    expect(hub.violations).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`kairr data upload ${DS}@1.1.0 PATH...`);
    expect(api.calls[0].body).toEqual({ version: '1.1.0', changelog: 'cleaned', derivedFrom: [{ artifactId: DS2, version: '1.0.0' }] });
    expect(api.calls[0].headers['idempotency-key']).toBeDefined();
    const fromFile = await kairr(['data', 'version', 'create', DS, '-f', join(dir, 'v.yaml')], { env, fetch: api.fetch });
    expect(fromFile.code).toBe(0);
    expect(api.calls[1].body).toEqual({ version: '2.0.0', changelog: 'from the file' });
    const none = await kairr(['data', 'version', 'create', DS], { env, fetch: api.fetch });
    expect(none.code).toBe(2);
    expect(none.err).toContain('which version?');
    expect(api.calls).toHaveLength(2);
  });
});
