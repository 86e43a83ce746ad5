// kairr audit events | export | verify. The export is a real one, written by the export writer
// the worker uses (test/unit/audit/helpers.ts); a fake API serves its state and its files as the
// audit routes and S3's presigned URLs would (answers checked against the routes' own schemas).
// The CLI waits, downloads, and verifies the folder with the kairr-audit verifier: sound is 0,
// one changed byte is 1.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { auditApi } from '../../lambdas/audit/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { removeDir, sampleEvents, tempDir, writeSampleExport } from '../../test/unit/audit/helpers';
import type { Http } from '../src/transport';
import { fakeApi, kairr } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const EXPORT_ID = `exp-${'0'.repeat(26)}`;
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

const answerOk = (name: keyof typeof auditApi, status: number, body: unknown) => {
  const parsed = (auditApi[name] as RouteSpec).responses[status].schema!.safeParse(body);
  if (!parsed.success) throw new Error(`${name} answer: ${JSON.stringify(parsed.error.issues)}`);
  return body;
};

/** An export served as the API and S3 serve it; `onTheWay` may change a file between S3 and the CLI. */
async function servedExport(onTheWay: (name: string, body: string) => string = (_n, b) => b) {
  const { dir, manifest } = await writeSampleExport('jsonl');
  dirs.push(dir);
  const names = readdirSync(dir).filter((n) => n !== 'manifest.json');
  const base = {
    exportId: EXPORT_ID,
    format: 'jsonl',
    from: '2026-01-01T00:00:00Z',
    to: '2026-12-01T00:00:00Z',
    filters: null,
    requestedBy: 'auditor-1',
    requestedAt: '2026-12-03T00:00:00Z',
    attempts: 1,
    location: { bucket: 'kairr-exports', prefix: `exports/${EXPORT_ID}/` },
  };
  const done = {
    ...base,
    state: 'succeeded',
    totalRecords: manifest.totalRecords,
    manifestHash: 'sha256:x',
    files: names.map((n) => ({ name: n, bytes: 1, sha256: 'x', records: 1, url: `https://s3.test/exports/${n}?X-Amz-Signature=s` })),
    manifest: { name: 'manifest.json', url: 'https://s3.test/exports/manifest.json?X-Amz-Signature=s' },
    urlsExpireAt: '2026-12-03T01:00:00Z',
  };
  let looks = 0;
  const api = fakeApi({
    'POST /v1/audit/exports': [202, answerOk('createAuditExport', 202, { ...base, state: 'queued' })],
    [`GET /v1/audit/exports/${EXPORT_ID}`]: () => (++looks < 2 ? [200, answerOk('getAuditExport', 200, { ...base, state: 'running' })] : [200, answerOk('getAuditExport', 200, done)]),
  });
  // S3's presigned GETs answer the bytes as they are, not JSON.
  const files = new Map([...names, 'manifest.json'].map((n) => [n, onTheWay(n, readFileSync(join(dir, n), 'utf8'))]));
  const fetch: Http = async (url, init) => {
    const u = new URL(url);
    if (u.host !== 's3.test') return api.fetch(url, init as RequestInit);
    const body = files.get(u.pathname.replace('/exports/', ''));
    return body === undefined ? { status: 404, ok: false, statusText: 'Not Found', text: async () => '' } : { status: 200, ok: true, statusText: 'OK', text: async () => body };
  };
  return { fetch, calls: api.calls };
}

it('export --out waits for the export, downloads it and verifies it offline itself (exit 0); verify finds it sound too', async () => {
  const { fetch, calls } = await servedExport();
  const out = join(tempDir('cli-export'), 'export');
  dirs.push(out);
  const r = await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out], { env, fetch });
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.stringMatching(new RegExp(`Downloaded 4 files into ${out}; verifying them offline\\n[\\s\\S]*^OK: 18 records in 4 streams, 3 files`, 'm')) });
  expect(calls[0]).toMatchObject({ method: 'POST', body: { from: '2026-01-01T00:00:00Z', to: '2026-12-01T00:00:00Z', format: 'jsonl' } });
  expect(calls[0].headers['idempotency-key']).toBeDefined();
  expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2);
  expect(r.out).toMatch(/state:\s+succeeded/);
  const v = await kairr(['audit', 'verify', out], { env });
  expect(v.code).toBe(0);
  expect(v.out).toMatch(/^OK: 18 records in 4 streams, 3 files/);
});

it('export --out catches a file changed on the way (exit 1, the report on stderr, the export view on stdout); --no-verify only downloads', async () => {
  const { fetch } = await servedExport((name, body) => (name === 'events-00001.jsonl' ? body.replace('"seq":2', '"seq":3') : body));
  const out = join(tempDir('cli-export'), 'export');
  dirs.push(out);
  const r = await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out, '--json'], { env, fetch });
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/^FAIL: \d+ problems; first: events-00001.jsonl line 2/m);
  expect(JSON.parse(r.out)).toMatchObject({ state: 'succeeded' });
  const out2 = join(tempDir('cli-export'), 'export');
  dirs.push(out2);
  const n = await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out2, '--no-verify'], { env, fetch });
  expect(n.code).toBe(0);
  expect(n.err).toBe(`Downloaded 4 files into ${out2}; check them with: kairr audit verify ${out2}\n`);
  expect((await kairr(['audit', 'verify', out2], { env })).code).toBe(1);
});

it('export --out verifies each file as its body streams in (the manifest first), and writes the bytes S3 sent; a failed file download exits 1', async () => {
  const { fetch } = await servedExport();
  const asked: string[] = [];
  // S3's answer as a body stream in small chunks, as node:http gives it
  const streamed: Http = async (url, init) => {
    const res = await fetch(url, init);
    if (new URL(url).host !== 's3.test' || !res.ok) return res;
    asked.push(new URL(url).pathname.replace('/exports/', ''));
    const bytes = Buffer.from(await res.text(), 'utf8');
    const body = (async function* () {
      for (let i = 0; i < bytes.length; i += 97) yield bytes.subarray(i, i + 97);
    })();
    return { ...res, body, text: async () => bytes.toString('utf8') };
  };
  const out = join(tempDir('cli-export'), 'export');
  dirs.push(out);
  const r = await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out], { env, fetch: streamed });
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/^OK: 18 records in 4 streams, 3 files/m);
  expect(asked[0]).toBe('manifest.json');
  expect(asked).toHaveLength(4);
  const { dir } = await writeSampleExport('jsonl');
  dirs.push(dir);
  for (const n of readdirSync(dir)) expect(readFileSync(join(out, n), 'utf8')).toBe(readFileSync(join(dir, n), 'utf8'));
  const missing: Http = async (url, init) => (url.includes('events-00002') ? { status: 403, ok: false, statusText: 'Forbidden', text: async () => '' } : streamed(url, init));
  const out2 = join(tempDir('cli-export'), 'export');
  dirs.push(out2);
  const f = await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z', '--to', '2026-12-01T00:00:00Z', '--out', out2], { env, fetch: missing });
  expect(f.code).toBe(1);
  expect(f.err).toContain('downloading events-00002.jsonl: HTTP 403 Forbidden');
});

it('verify catches one changed byte in a downloaded file (exit 1), and --json gives the report', async () => {
  const { dir } = await writeSampleExport('jsonl', sampleEvents());
  dirs.push(dir);
  const f = join(dir, 'events-00001.jsonl');
  writeFileSync(f, readFileSync(f, 'utf8').replace('"seq":2', '"seq":3'));
  const v = await kairr(['audit', 'verify', dir], { env });
  expect(v.code).toBe(1);
  expect(v.out + v.err).toMatch(/^FAIL: \d+ problems; first: events-00001.jsonl line 2/m);
  const j = await kairr(['audit', 'verify', dir, '--json'], { env });
  expect(j.code).toBe(1);
  expect(JSON.parse(j.out)).toMatchObject({ ok: false, mode: 'export' });
});

it('export: usage errors before any request (no window; a subject id without its type)', async () => {
  const api = fakeApi({});
  expect((await kairr(['audit', 'export', '--from', '2026-01-01T00:00:00Z'], { env, fetch: api.fetch })).code).toBe(2);
  expect((await kairr(['audit', 'export', '--from', 'a', '--to', 'b', '--subject-id', 'x'], { env, fetch: api.fetch })).code).toBe(2);
  expect(api.calls).toHaveLength(0);
});

it('events: the filters become the query; a table of what happened to what, by whom', async () => {
  const e = sampleEvents()[0];
  const api = fakeApi({ 'GET /v1/audit/events': [200, answerOk('listAuditEvents', 200, { items: [e], nextToken: 'n1' })] });
  const r = await kairr(['audit', 'events', '--subject-type', 'allocation', '--subject-id', 'a-01', '--action', 'ledger.*'], { env, fetch: api.fetch });
  expect(r.code).toBe(0);
  const q = new URL(api.calls[0].url).searchParams;
  expect([q.get('subjectType'), q.get('subjectId'), q.get('action')]).toEqual(['allocation', 'a-01', 'ledger.*']);
  expect(r.out).toContain(`${e.subject.type}/${e.subject.id}`);
  expect(r.out).toContain('(more: --next-token n1)');
});
