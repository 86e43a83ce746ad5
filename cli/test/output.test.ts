// Output: tables for people, the API's JSON with --json, --query through JMESPath, errors as the
// API's named fields, and the burn-down drawing.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { burndown, sampleToWidth } from '../src/burndown';
import { ApiError } from '../src/errors';
import { cell, fields, formatError, table } from '../src/output';
import { fakeApi, kairr } from './harness';

const env = { KAIRR_API: 'http://api.test', KAIRR_TOKEN: 'tok' };
const site = (id: string, resources: { id: string; rate: number | null }[]) => ({
  id,
  name: id.toUpperCase(),
  resources: resources.map((r) => ({
    id: r.id,
    key: `${id}/${r.id}`,
    name: r.id,
    gpuModel: r.id.toUpperCase(),
    gpusPerNode: 4,
    nodes: 10,
    totalGpus: 40,
    partition: r.id,
    maxTimeLimitMinutes: 2880,
    creditRate: r.rate === null ? null : { creditsPerGpuHour: r.rate, effectiveFrom: '2026-01-01' },
  })),
});
const sites = { items: [site('spc', [{ id: 'h200', rate: 1.5 }]), site('kisti6', [{ id: 'gh200', rate: null }])] };

describe('tables', () => {
  it('aligns columns, right-aligns numbers, shows a missing value as "-"', () => {
    const t = table(
      [
        { a: 'x', n: 5 },
        { a: 'longer', n: 12.345 },
        { a: '', n: null },
      ],
      [
        { header: 'NAME', value: (r) => r.a },
        { header: 'N', value: (r) => r.n, right: true },
      ],
    );
    expect(t).toBe('NAME        N\nx           5\nlonger  12.35\n-           -\n');
  });

  it('cells: lists joined, objects as JSON, new lines folded', () => {
    expect([cell(['a', 'b']), cell([]), cell({ k: 1 }), cell('one\n  two'), cell(undefined)]).toEqual(['a, b', '-', '{"k":1}', 'one two', '-']);
    expect(
      fields([
        ['id', 'x'],
        ['longer key', 2],
      ]),
    ).toBe('id:         x\nlonger key: 2\n');
  });
});

describe('--json and --query', () => {
  it('sites list: a table by default', async () => {
    const api = fakeApi({ 'GET /v1/sites': [200, sites] });
    const r = await kairr(['sites', 'list'], { env, fetch: api.fetch });
    expect(r.code).toBe(0);
    expect(r.out.split('\n')[0]).toMatch(/^SITE\s+RESOURCE\s+GPU\s+GPUS\/NODE\s+NODES\s+GPUS\s+MAX TIME \(MIN\)\s+CREDITS\/GPU-H$/);
    expect(r.out).toMatch(/spc\s+h200\s+H200\s+4\s+10\s+40\s+2880\s+1\.5\n/);
    expect(r.out).toMatch(/kisti6\s+gh200\s+GH200\s+4\s+10\s+40\s+2880\s+-\n/);
  });

  it('--json prints the API body as it came (fields the CLI does not name included)', async () => {
    const body = { ...sites, extra: { kept: true } };
    const r = await kairr(['--json', 'sites', 'list'], { env, fetch: fakeApi({ 'GET /v1/sites': [200, body] }).fetch });
    expect(JSON.parse(r.out)).toEqual(body);
  });

  it('--query selects with JMESPath; a string result is printed raw, anything else as JSON', async () => {
    const f = fakeApi({ 'GET /v1/sites': [200, sites] }).fetch;
    const keys = await kairr(['sites', 'list', '--query', 'items[].resources[].key'], { env, fetch: f });
    expect(JSON.parse(keys.out)).toEqual(['spc/h200', 'kisti6/gh200']);
    const one = await kairr(['sites', 'list', '--query', "items[?id=='kisti6'] | [0].name"], { env, fetch: f });
    expect(one.out).toBe('KISTI6\n');
  });

  it('a bad --query is a usage error (exit 2)', async () => {
    const r = await kairr(['sites', 'list', '--query', 'items[?'], { env, fetch: fakeApi({ 'GET /v1/sites': [200, sites] }).fetch });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--query "items\[\?" is not valid JMESPath/);
  });

  it('an answer missing a field the CLI relies on is an error, not a half-drawn table', async () => {
    const r = await kairr(['sites', 'list'], { env, fetch: fakeApi({ 'GET /v1/sites': [200, { items: [{ id: 'spc' }] }] }).fetch });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/GET \/v1\/sites: the API's answer is not what this CLI understands \(items\.0\.name:/);
  });
});

describe('errors', () => {
  const bad = {
    error: {
      code: 'validation_failed',
      message: 'The request is invalid',
      details: [
        { path: 'gpus', problem: 'must be at most 4' },
        { path: 'timeLimit', problem: 'must be at most 2880' },
      ],
    },
  };

  it("print the API's code, message and each named field, exit 1", async () => {
    const f = fakeApi({ 'GET /v1/allocations/a-1': [400, bad] }).fetch;
    const r = await kairr(['alloc', 'show', 'a-1'], { env, fetch: f });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('error: The request is invalid (validation_failed, HTTP 400)\n  gpus: must be at most 4\n  timeLimit: must be at most 2880\n');
  });

  it('with --json, the error body as the API sent it, on stderr', async () => {
    const r = await kairr(['--json', 'alloc', 'show', 'a-1'], { env, fetch: fakeApi({ 'GET /v1/allocations/a-1': [404, { error: { code: 'not_found', message: 'No such allocation', details: [] } }] }).fetch });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err)).toEqual({ error: { code: 'not_found', message: 'No such allocation', details: [] } });
  });

  it('an answer without the error shape still shows the status', () => {
    expect(formatError(new ApiError(502, 'http_502', 'Bad Gateway', [], undefined))).toBe('error: Bad Gateway (http_502, HTTP 502)\n');
  });

  it('an API that cannot be reached says which address was tried', async () => {
    const refused = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const r = await kairr(['whoami'], { env, fetch: (async () => Promise.reject(refused)) as typeof fetch });
    expect(r).toMatchObject({ code: 1, err: 'error: cannot reach the API at http://api.test (ECONNREFUSED); is --api (or KAIRR_API) right?\n' });
  });
});

describe('burn-down', () => {
  const days = Array.from({ length: 10 }, (_, i) => ({ date: `2026-11-${String(i + 1).padStart(2, '0')}`, balance: 100 - i * 10 }));

  it('draws the balance falling, full at the left, the top and zero marked, first and last date below', () => {
    const lines = burndown(days, { width: 14, height: 4 });
    expect(lines).toHaveLength(6);
    // 10 columns of 32 eighths: 100 → 32, 90 → 29, 80 → 26, ... 10 → 3
    expect(lines[0]).toBe('100 │█▅▂       ');
    expect(lines[3]).toBe('  0 │████████▆▃');
    expect(lines[4]).toBe('    └──────────');
    expect(lines[5]).toBe(`     2026-11-01 2026-11-10`);
  });

  it('columns never rise when the balance only falls', () => {
    const lines = burndown(days, { width: 30, height: 8 }).slice(0, 8);
    const heights = Array.from({ length: days.length }, (_, col) => lines.filter((l) => !' '.includes(l.split('│')[1][col] ?? ' ')).length);
    for (let i = 1; i < heights.length; i++) expect(heights[i]).toBeLessThanOrEqual(heights[i - 1]);
    expect(heights[0]).toBe(8);
  });

  it('fits more days than columns by taking the last day of each bucket', () => {
    expect(sampleToWidth(days, 5).map((d) => d.date.slice(-2))).toEqual(['02', '04', '06', '08', '10']);
  });

  it('says so when there is nothing to draw', () => {
    expect(burndown([])).toEqual(['(no usage recorded in the window)']);
  });

  it('alloc usage draws a chart per resource with the projection', async () => {
    const usage = { allocationId: 'a-1', resources: [{ resource: 'kisti6/gh200', balance: 10, days: days.map((d) => ({ ...d, used: 10 })), burnPerDay: 10, projectedExhaustion: '2026-11-11' }] };
    const r = await kairr(['alloc', 'usage', 'a-1'], { env, fetch: fakeApi({ 'GET /v1/allocations/a-1/usage': [200, usage] }).fetch, columns: 40 });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^kisti6\/gh200: balance 10 credits, burning 10 a day; runs out on 2026-11-11\n100 │█/);
  });
});

describe('a reader that stops early', () => {
  it('closing the pipe ends the CLI quietly with 0, not an EPIPE stack trace', () => {
    // `true` exits without reading, so the CLI's writes meet a closed pipe
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(join(__dirname, '..', 'bin.js'))} data search --help | true; echo "rc=\${PIPESTATUS[0]}" >&2`], { encoding: 'utf8' });
    expect(r.stderr).toBe('rc=0\n');
  });
});
