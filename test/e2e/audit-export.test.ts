// Audit exports over HTTP against the local runtime (bundled functions, DynamoDB Local, fauxqs for
// S3, the local Lambda Invoke endpoint for the worker): an admin's changes make audit events, the
// anchoring schedule locks their heads, an auditor exports them, downloads every file through its
// presigned URL, and verifies the folder with `npx kairr-audit verify` (and the anchors); an edited
// line then fails verification. Also the reports, as JSON and CSV.
// Note: fauxqs does not enforce S3 Object Lock; the bucket's lock configuration is asserted on the
// synthesized template (test/infra/audit.test.ts).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { as, describeLocal, runSchedule, settle, target } from './support/client';
import { callBody, createCall, createProposal, devClient, identity, proposalBody, stateOf, suiteTarget } from './approval-support';

const ROOT = join(__dirname, '..', '..');
const started = new Date(Date.now() - 60_000).toISOString();
const allocationIds: string[] = [];
const dirs: string[] = [];

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--no-install', 'kairr-audit', ...args], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function allocationBody(n: number) {
  return {
    title: `Audit e2e project ${n}`,
    piSub: `audit-e2e-pi-${n}`,
    institution: n === 1 ? '=HYPERLINK("http://x","y")' : 'KISTI',
    orgType: n === 1 ? 'research-institute' : 'startup',
    field: 'climate-science',
    startDate: '2026-01-01',
    endDate: '2027-12-31',
    credits: { 'spc/h200': 10 * n },
    reason: `audit e2e: allocation ${n}, "quoted", with a comma`,
  };
}

const anchorRule = () => {
  const id = Object.keys(target().rules ?? {}).find((k) => k.startsWith('AuditAnchorSchedule'));
  if (!id) throw new Error('the local runtime has no audit anchoring schedule');
  return id;
};

async function downloadTo(view: { files: { name: string; url: string }[]; manifest: { url: string } }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-audit-e2e-'));
  dirs.push(dir);
  for (const f of [...view.files, { name: 'manifest.json', url: view.manifest.url }]) {
    const res = await fetch(f.url);
    expect({ file: f.name, status: res.status }).toEqual({ file: f.name, status: 200 });
    writeFileSync(join(dir, f.name), Buffer.from(await res.arrayBuffer()));
  }
  return dir;
}

async function exportNow(format: 'csv' | 'jsonl', filters?: Record<string, string>) {
  const res = await as('auditor').post('/v1/audit/exports', { from: started, to: new Date(Date.now() + 1000).toISOString(), format, ...(filters ? { filters } : {}) }, { 'idempotency-key': `e2e-audit-${format}-${Date.now()}` });
  expect(res.status).toBe(202);
  await settle(120_000); // the worker's asynchronous invocation has finished
  const got = await as('auditor').get(`/v1/audit/exports/${res.body.exportId}`);
  expect(got.status).toBe(200);
  expect(got.body).toMatchObject({ state: 'succeeded' });
  return got.body;
}

beforeAll(async () => {
  if (!target().local) return; // every test below is skipped then (describeLocal)
  for (const n of [1, 2]) {
    const res = await as('admin').post('/v1/allocations', allocationBody(n), { 'idempotency-key': `e2e-audit-alloc-${n}-${Date.now()}` });
    expect(res.status).toBe(201);
    allocationIds.push(res.body.id);
  }
  // Lock the heads of what just happened, as the schedule would.
  await runSchedule(anchorRule());
  await settle(120_000);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const NEEDS_LOCAL = 'needs the local runtime (the anchor schedule run on demand, settle)';

describeLocal('audit events over HTTP', NEEDS_LOCAL, () => {
  it("shows the admin's change of an allocation, with its hash chain", async () => {
    const res = await as('auditor').get(`/v1/audit/events?subjectType=allocation&subjectId=${allocationIds[0]}`);
    expect(res.status).toBe(200);
    expect(res.body.items[0]).toMatchObject({ stream: `allocation/${allocationIds[0]}`, seq: 1, action: 'allocation.award', actor: { sub: 'dev-admin', role: 'admin' }, reason: expect.stringContaining('"quoted"') });
    const byActor = await as('auditor').get(`/v1/audit/events?actor=dev-admin&from=${started}`);
    expect(byActor.body.items.map((e: { subject: { id: string } }) => e.subject.id)).toEqual(expect.arrayContaining(allocationIds));
  });
});

describeLocal('exports through the API, verified offline', NEEDS_LOCAL, () => {
  it('JSONL: downloaded through the presigned URLs, verified by npx kairr-audit verify with the anchors; an edited line fails', async () => {
    const view = await exportNow('jsonl');
    expect(view.totalRecords).toBeGreaterThanOrEqual(2);
    expect(view.anchors.length).toBeGreaterThanOrEqual(1);
    const dir = await downloadTo(view);

    // The anchors, fetched from the locked bucket through their own URLs.
    const anchors = (await as('auditor').get('/v1/audit/anchors')).body.items as { key: string; url: string }[];
    const anchorDir = mkdtempSync(join(tmpdir(), 'kairr-audit-anchors-'));
    dirs.push(anchorDir);
    const anchorArgs: string[] = [];
    for (const [i, a] of anchors.entries()) {
      const file = join(anchorDir, `anchor-${i}.json`);
      writeFileSync(file, await (await fetch(a.url)).text());
      anchorArgs.push('--anchor', file);
    }

    const ok = await cli(['verify', dir, ...anchorArgs]);
    expect({ code: ok.code, out: ok.stdout.split('\n')[0] }).toEqual({ code: 0, out: expect.stringMatching(/^OK: \d+ records in \d+ streams/) });
    const json = JSON.parse((await cli(['verify', dir, '--json', ...anchorArgs])).stdout);
    expect(json).toMatchObject({ ok: true, exportId: view.exportId, records: view.totalRecords });
    expect(json.anchorHeadsChecked).toBeGreaterThanOrEqual(1);

    // Edit one line: the reason of one of this test's events.
    const file = join(dir, 'events-00001.jsonl');
    const lines = readFileSync(file, 'utf8').split('\n');
    const i = lines.findIndex((l) => l.includes(allocationIds[0]) && l.includes('with a comma'));
    expect(i).toBeGreaterThanOrEqual(0);
    lines[i] = lines[i].replace('with a comma', 'with no comma');
    writeFileSync(file, lines.join('\n'));
    const bad = await cli(['verify', dir, ...anchorArgs]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/^FAIL: /);
    expect(bad.stdout).toContain(`events-00001.jsonl line ${i + 1}`);
    expect(bad.stdout).toContain('hash: content does not match its hash');
  });

  it('CSV: formula-like cells neutralised; verifies; a removed row fails', async () => {
    const view = await exportNow('csv', { subjectType: 'allocation' });
    const dir = await downloadTo(view);
    expect(readdirSync(dir).sort()).toEqual([...view.files.map((f: { name: string }) => f.name), 'manifest.json'].sort());
    expect((await cli(['verify', dir])).code).toBe(0);
    const file = join(dir, 'events-00001.csv');
    const text = readFileSync(file, 'utf8');
    expect(text).not.toMatch(/,=HYPERLINK/);
    const rows = text.split('\r\n');
    const i = rows.findIndex((r) => r.includes(allocationIds[1]));
    expect(i).toBeGreaterThan(0);
    rows.splice(i, 1);
    writeFileSync(file, rows.join('\r\n'));
    const bad = await cli(['verify', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/files\[0\]\.(sha256|records)|prevHash|seq/);
  });

  it("lists the export among the auditor's exports; presigned URLs are short-lived", async () => {
    const list = await as('auditor').get('/v1/audit/exports?limit=5');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(1);
    const one = await as('auditor').get(`/v1/audit/exports/${list.body.items[0].exportId}`);
    const ttl = Date.parse(one.body.urlsExpireAt) - Date.now();
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(900_000);
    expect(one.body.manifest.url).toMatch(/X-Amz-Expires=\d+/);
  });
});

describeLocal('reports over HTTP', NEEDS_LOCAL, () => {
  it('allocation records as JSON and as CSV (formula-like cells neutralised)', async () => {
    const json = await as('auditor').get('/v1/reports/allocations?field=climate-science');
    expect(json.status).toBe(200);
    expect(json.body.allocations.map((a: { allocationId: string }) => a.allocationId)).toEqual(expect.arrayContaining(allocationIds));
    expect(json.body.totals.byOrgType.map((g: { key: string }) => g.key)).toEqual(expect.arrayContaining(['research-institute', 'startup']));
    const csv = await as('admin').get('/v1/reports/allocations?field=climate-science&format=csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    const accept = await as('auditor').get('/v1/reports/allocations?field=climate-science&view=byOrgType', { accept: 'text/csv' });
    expect(accept.text.split('\r\n')[0]).toBe('orgType,allocations,resource,awarded,used,remaining,overLimit');
  });

  it('fairness per call: a starter proposal approved automatically counts as requested, awarded and accepted', async () => {
    const t = suiteTarget();
    const admin = devClient(t, 'admin');
    const call = await createCall(
      admin,
      callBody(
        [
          { sub: 'audit-rev-a', institution: 'POSTECH' },
          { sub: 'audit-rev-b', institution: 'UNIST' },
        ],
        { fairnessFloors: { startup: 0.1 } },
      ),
    );
    const r = await identity(t, 'audit-fairness-pi', ['researcher']);
    const p = await createProposal(r, proposalBody(call.id, { credits: { 'spc/h200': 40 }, field: 'climate-science' }));
    expect((await r.post(`/v1/proposals/${p.id}/submit`)).status).toBe(202);
    await stateOf(r, p.id, 'approved');

    const json = await as('auditor').get(`/v1/reports/fairness?callId=${call.id}`);
    expect(json.status).toBe(200);
    const c = json.body.calls[0];
    expect(c).toMatchObject({ callId: call.id, capacity: { 'spc/h200': 10_000, 'kisti6/gh200': 5_000 } });
    expect(c.totals).toMatchObject({ proposals: 1, approved: 1, decided: 1, acceptanceRate: 1, requested: { 'spc/h200': 40 }, awarded: { 'spc/h200': 40 } });
    expect(c.byOrgType).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'university', approved: 1, floor: null, awardedShareOfCapacity: { 'kisti6/gh200': 0, 'spc/h200': 0.004 } }),
        expect.objectContaining({ key: 'startup', proposals: 0, floor: 0.1 }),
      ]),
    );
    expect(c.byField).toEqual([expect.objectContaining({ key: 'climate-science', acceptanceRate: 1 })]);
    const csv = await as('auditor').get(`/v1/reports/fairness?callId=${call.id}&format=csv`);
    expect(csv.text.split('\r\n')[0]).toMatch(/^callId,callTitle,dimension,group,proposals,/);
    expect(csv.text).toContain(`${call.id},`);
  });
});
