// The kairr command line, installed from its packed tarball, writing to the data hub of the local
// runtime (API Gateway, the bundled handler, DynamoDB Local, fauxqs as S3; no Slurm cluster is
// involved): a dataset and a draft created, a folder uploaded whose upload a dropped connection
// interrupts at a part, the same command again sending only the parts S3 does not hold (the
// resume route asks fauxqs's ListParts), and pull getting every file back with its SHA-256 checked.
//
// The interruption is a network fault, not a mock of the hub: the CLI talks to the API through a
// small proxy here, which forwards every request as it is, points the answer's presigned part URLs
// at itself (forwarding them to fauxqs with their own Host), and drops the connection of the PUTs
// it is told to. Runs without the local clusters: KAIRR_E2E_CLUSTERS=off npx jest
// test/e2e/cli-datahub.test.ts --selectProjects e2e
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { datahubApi } from '../../lambdas/datahub/api';
import type { RouteSpec } from '../../lambdas/shared/http/spec';
import { packAndInstall, runKairr, type Installed } from './cli-support';
import { call, target, tokenFor } from './support/client';

jest.setTimeout(10 * 60_000);

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface FlakyNetwork {
  url: string;
  /** S3 requests seen, as "METHOD /bucket/key?query". */
  seen: string[];
  /** Drop the connection of S3 requests this picks. */
  drop: (req: IncomingMessage) => boolean;
  close(): Promise<void>;
}

/** The proxy between the CLI and the local runtime (see the top of this file). */
async function flakyNetwork(apiUrl: string): Promise<FlakyNetwork> {
  const api = new URL(apiUrl);
  let s3: URL | undefined;
  const net: FlakyNetwork = { url: '', seen: [], drop: () => false, close: async () => undefined };
  const forward = (req: IncomingMessage, to: URL, path: string, onAnswer: (up: IncomingMessage) => void) => {
    const up = request({ host: to.hostname, port: to.port, method: req.method, path, headers: { ...req.headers, host: to.host } }, onAnswer);
    up.on('error', () => req.socket.destroy());
    req.pipe(up);
  };
  const server: Server = createServer((req, res) => {
    if (req.url!.startsWith('/v1/')) {
      forward(req, api, `${api.pathname.replace(/\/$/, '')}${req.url}`, (up) => {
        if (!String(up.headers['content-type'] ?? '').includes('json')) {
          res.writeHead(up.statusCode!, up.headers);
          up.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        up.on('data', (c: Buffer) => chunks.push(c));
        up.on('end', () => {
          let text = Buffer.concat(chunks).toString('utf8');
          const body = text ? JSON.parse(text) : undefined;
          if (Array.isArray(body?.parts)) {
            for (const p of body.parts as { url?: string }[]) {
              if (!p.url) continue;
              const u = new URL(p.url);
              s3 ??= new URL(u.origin);
              p.url = `${net.url}${u.pathname}${u.search}`;
            }
            text = JSON.stringify(body);
          }
          const { 'content-length': _l, 'transfer-encoding': _t, ...headers } = up.headers;
          res.writeHead(up.statusCode!, { ...headers, 'content-length': Buffer.byteLength(text) });
          res.end(text);
        });
      });
      return;
    }
    net.seen.push(`${req.method} ${req.url}`);
    if (!s3 || net.drop(req)) {
      req.socket.destroy();
      return;
    }
    forward(req, s3, req.url!, (up) => {
      res.writeHead(up.statusCode!, up.headers);
      up.pipe(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  net.url = `http://127.0.0.1:${port}`;
  net.close = () => new Promise((resolve) => server.close(() => resolve()));
  return net;
}

let cli: Installed;
let net: FlakyNetwork;
beforeAll(async () => {
  cli = packAndInstall();
  net = await flakyNetwork(target().apiUrl);
});
afterAll(async () => net?.close());

const token = () => tokenFor('researcher');
const kairr = (args: string[]) => runKairr(cli, args, { env: { KAIRR_API: net.url, KAIRR_TOKEN: token() } });
const stateFiles = () => {
  const dir = join(cli.home, '.config', 'kairr', 'uploads');
  return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
};

describe('kairr data, installed, against the local data hub', () => {
  let id: string;
  let work: string;
  const big = randomBytes(12 * MiB + 3);
  const readme = Buffer.from('# 한국어 평가 데이터\n');

  it('creates a dataset from a file and a draft version of it', async () => {
    work = join(cli.home, 'work');
    mkdirSync(join(work, 'corpus', 'data'), { recursive: true });
    writeFileSync(join(work, 'corpus', 'data', 'big.bin'), big);
    writeFileSync(join(work, 'corpus', 'README.md'), readme);
    writeFileSync(join(work, 'dataset.yaml'), 'name: {ko: 한국어 평가 데이터 CLI e2e, en: Korean evaluation data CLI e2e}\ndescription: {en: Uploaded with kairr}\nfieldOfScience: "1.2"\nlicence: CC-BY-4.0\naccessLevel: public\n');
    const created = await kairr(['data', 'create', '-f', join(work, 'dataset.yaml'), '--query', 'id']);
    expect({ code: created.code, err: created.err }).toEqual({ code: 0, err: '' });
    id = created.out.trim();
    expect(id).toMatch(/^ds-[0-9a-z]{26}$/);
    const v = await kairr(['data', 'version', 'create', `${id}@1.0.0`, '--changelog', 'first', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ artifactId: id, version: '1.0.0', state: 'draft' });
  });

  it('an upload cut off at part 2 exits 1; run again, it sends only the parts S3 does not hold, and the hub verifies the file', async () => {
    net.drop = (req) => req.method === 'PUT' && /big\.bin\?.*partNumber=2/.test(req.url!);
    const args = ['data', 'upload', `${id}@1.0.0`, join(work, 'corpus'), '--part-size', '5'];
    const first = await kairr(args);
    expect(first.code).toBe(1);
    expect(first.err).toMatch(/^error: the upload of data\/big\.bin stopped at part 2 \([^)]+\); run the same command again to resume/);
    // README.md went first (path order) and is done; big.bin: part 1 in S3, part 2 tried three times, part 3 never sent
    expect(net.seen.filter((s) => s.startsWith('PUT')).map((s) => /\/(README\.md|data\/big\.bin)\?(?:.*partNumber=(\d))?/.exec(s)!.slice(1, 3).filter(Boolean).join('#'))).toEqual([
      'README.md',
      'data/big.bin#1',
      'data/big.bin#2',
      'data/big.bin#2',
      'data/big.bin#2',
    ]);
    const [state] = stateFiles();
    expect(statSync(state).mode & 0o777).toBe(0o600);
    const uploadId = JSON.parse(readFileSync(state, 'utf8')).files['data/big.bin'].uploadId as string;
    // what the hub says S3 holds: part 1 (its ETag), and fresh URLs for parts 2 and 3
    const resumed = await call('GET', `/v1/datasets/${id}/versions/1.0.0/uploads/${uploadId}`, { token: token() });
    expect(resumed.status).toBe(200);
    expect(resumed.body.parts.map((p: { uploaded: boolean; etag?: string; url?: string }) => [p.uploaded, !!p.etag, !!p.url])).toEqual([
      [true, true, false],
      [false, false, true],
      [false, false, true],
    ]);
    expect((await call('GET', `/v1/datasets/${id}/versions/1.0.0/uploads/${uploadId}`, { token: tokenFor('reviewer') })).status).toBe(403);

    net.drop = () => false;
    net.seen.length = 0;
    const second = await kairr([...args, '--json']);
    expect({ code: second.code, err: second.err }).toEqual({ code: 0, err: expect.stringMatching(/^Uploaded 2 files to ds-[0-9a-z]+@1\.0\.0 \(\d+ bytes sent now, 2 resumed\)/) });
    expect(net.seen.map((s) => s.replace(/\?.*partNumber=(\d).*/, '#$1').replace(/^.*\/data\//, ''))).toEqual(['big.bin#2', 'big.bin#3']);
    const items = JSON.parse(second.out).items as { path: string; state: string }[];
    for (const u of items) expect((datahubApi as Record<string, RouteSpec>).completeArtifactUpload.responses[200].schema!.safeParse(u).success).toBe(true);
    expect(items.map((u) => `${u.path} ${u.state}`)).toEqual(['README.md verified', 'data/big.bin verified']);
    expect(stateFiles()).toEqual([]);
    // the upload is done: nothing to resume
    expect((await call('GET', `/v1/datasets/${id}/versions/1.0.0/uploads/${uploadId}`, { token: token() })).status).toBe(409);
  });

  it("pull gets the version back from the hub's copy, every SHA-256 checked", async () => {
    const out = join(work, 'pulled');
    const r = await kairr(['data', 'pull', `${id}@1.0.0`, '--out', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).items.map((i: { path: string; status: string }) => `${i.path} ${i.status}`)).toEqual(['README.md downloaded', 'data/big.bin downloaded']);
    expect(sha(readFileSync(join(out, 'data', 'big.bin')))).toBe(sha(big));
    expect(readFileSync(join(out, 'README.md')).equals(readme)).toBe(true);
    const again = await kairr(['data', 'pull', `${id}@1.0.0`, '--out', out, '--json']);
    expect(JSON.parse(again.out).items.map((i: { status: string }) => i.status)).toEqual(['present', 'present']);
  });
});
