// A data hub of the CLI's tests, in memory: every answer is what the route promises and every body
// the CLI sends passes the route's own strict schema (lambdas/datahub/api.ts), with a fake S3
// behind the presigned URLs. Used by upload, pull and catalogue-writes tests; the access and
// lifecycle fakes (fake-access.ts, fake-copies.ts) add handlers by route name, found by the routes'
// own path templates and held to their params, query and body schemas as the router holds them.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { datahubApi } from '../../lambdas/datahub/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { MiB } from '../src/transfer';
import type { Http } from '../src/transport';
import { fakeApi, type Recorded } from './harness';

export const DS = `ds-${'a'.repeat(26)}`;
export const DS2 = `ds-${'c'.repeat(26)}`;
export const MODEL = `model-${'b'.repeat(26)}`;
export const ALLOC = `alloc-${'e'.repeat(26)}`;
export const BASE = `/v1/datasets/${DS}/versions/1.0.0`;
export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
export const tmp = (name: string) => mkdtempSync(join(tmpdir(), `kairr-cli-${name}-`));
export const route = (name: string) => (datahubApi as Record<string, RouteSpec>)[name];

/** A data hub of one draft (or published) version, in memory, answering as the routes promise. */
export class FakeHub {
  readonly violations: string[] = [];
  readonly s3: { method: string; key: string; partNumber?: number; bytes?: number; headers: Record<string, string> }[] = [];
  readonly manifest = new Map<string, { path: string; bytes: number; sha256: string; mediaType: string }>();
  readonly pages: Record<string, { files: number; bytes: number; digest: string }> = {};
  readonly uploads = new Map<string, { view: any; parts: Map<number, Buffer>; state: 'open' | 'verified' | 'failed' | 'gone' }>();
  readonly objects = new Map<string, Buffer>();
  failPut: (key: string, partNumber: number) => boolean = () => false;
  corrupt: (key: string) => boolean = () => false;
  state: 'draft' | 'curation-review' | 'published' | 'deprecated' = 'draft';
  readonly aliases: Record<string, string> = {};
  /** Handlers by route name (datahubApi's), asked when the upload routes above do not answer. */
  readonly handlers: Record<string, (r: Recorded, params: Record<string, string>) => [number, unknown]> = {};
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

  artifactView(extra: Record<string, unknown> = {}) {
    return {
      id: this.id,
      kind: this.kind === 'datasets' ? 'dataset' : 'model',
      owner: { type: 'person', sub: 'steward' },
      name: { en: 'Korean news corpus' },
      description: { en: 'News articles' },
      keywords: [],
      fieldOfScience: '1.2',
      licence: 'CC-BY-4.0',
      accessLevel: 'public',
      aliases: this.aliases,
      publishedVersions: this.state === 'published' || this.state === 'deprecated' ? ['1.0.0'] : [],
      sites: [],
      createdAt: '2026-12-01T00:00:00Z',
      updatedAt: '2026-12-01T00:00:00Z',
      ...extra,
    };
  }

  /**
   * The router's checks before a handler runs: path parameters and the query against the route's
   * strict schemas, the body against its own (a violation too: the CLI must never send a bad one),
   * an Idempotency-Key's form. A 400 naming each field, or undefined.
   */
  refuse(name: string, r: Recorded, params: Record<string, string>): [number, unknown] | undefined {
    const spec = route(name);
    const problems: { path: string; problem: string }[] = [];
    const issues = (where: string, res: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } | undefined) =>
      res && !res.success && problems.push(...res.error!.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), problem: i.message })));
    issues('params', spec.params?.safeParse(params));
    const query = Object.fromEntries(new URL(r.url).searchParams);
    if (spec.query) issues('query', spec.query.safeParse(query));
    else if (Object.keys(query).length) problems.push({ path: 'query', problem: 'this route takes no query' });
    if (spec.body) {
      const b = spec.body.safeParse(r.body);
      if (!b.success) this.violations.push(`${name} body: ${JSON.stringify(b.error.issues)}`);
      issues('body', b);
    } else if (r.body !== undefined) this.violations.push(`${name} takes no body`);
    const key = r.headers['idempotency-key'];
    if (key !== undefined && (!spec.idempotent || !/^[A-Za-z0-9._:-]{8,128}$/.test(key))) this.violations.push(`${name}: Idempotency-Key ${key}`);
    return problems.length ? this.answer(name, 400, { error: { code: 'validation_failed', message: 'The request is invalid', details: problems } }) : undefined;
  }

  /** The handler of a route named in `handlers` whose method and path template match (literal segments first, as API Gateway chooses). */
  private byTemplate(method: string, path: string): ((r: Recorded) => [number, unknown]) | undefined {
    const literals = (t: string) => t.split('/').filter((x) => x && !x.startsWith('{')).length;
    const hit = Object.keys(this.handlers)
      .map((name) => ({ name, spec: route(name) }))
      .filter((x) => x.spec.method === method)
      .map((x) => ({ ...x, m: new RegExp(`^${x.spec.path.replace(/\{(\w+)\}/g, '(?<$1>[^/]+)')}$`).exec(path) }))
      .filter((x) => x.m)
      .sort((a, b) => literals(b.spec.path) - literals(a.spec.path))[0];
    if (!hit) return undefined;
    const params = Object.fromEntries(Object.entries(hit.m!.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)]));
    return (r) => this.refuse(hit.name, r, params) ?? this.handlers[hit.name](r, params);
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
      ...(this.state === 'published' || this.state === 'deprecated' ? { publishedAt: '2026-12-02T00:00:00Z' } : {}),
      aliases: Object.keys(this.aliases),
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
    return this.byTemplate(method, path);
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
export function workspace() {
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
