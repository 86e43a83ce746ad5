// The auditor's line, with the kairr command line installed from its packed tarball, against the
// local runtime (no Slurm needed): `kairr audit export --out DIR` starts an export of this run's
// records, follows it, downloads every file and verifies them offline in one command; `kairr audit
// verify DIR` agrees afterwards.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packAndInstall, runKairr, type Installed } from './cli-support';
import { as, target, tokenFor } from './support/client';

jest.setTimeout(5 * 60_000);

const started = new Date().toISOString();
let cli: Installed;

beforeAll(async () => {
  cli = packAndInstall();
  // something of this run's own in the window: an allocation created by an admin is audited
  const res = await as('admin').post(
    '/v1/allocations',
    {
      title: 'CLI audit e2e',
      piSub: `cli-audit-e2e-${Date.now()}`,
      institution: 'KISTI',
      orgType: 'university',
      field: 'climate-science',
      startDate: '2026-01-01',
      endDate: '2027-12-31',
      credits: { 'spc/h200': 5 },
      reason: 'cli audit e2e',
    },
    { 'idempotency-key': `e2e-cli-audit-${Date.now()}` },
  );
  expect(res.status).toBe(201);
});

it("audit export --out, as an auditor: this run's records downloaded and verified offline in one command; audit verify agrees", async () => {
  const env = { KAIRR_API: target().apiUrl, KAIRR_TOKEN: tokenFor('auditor') };
  const out = join(cli.home, 'audit-export');
  const r = await runKairr(cli, ['audit', 'export', '--from', started, '--to', new Date(Date.now() + 1000).toISOString(), '--out', out, '--poll', '1', '--json'], { env });
  expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: expect.stringMatching(/^Downloaded \d+ files into .*; verifying them offline\nOK: [1-9]\d* records in \d+ streams?, \d+ files?/m) });
  expect(JSON.parse(r.out)).toMatchObject({ state: 'succeeded' });
  expect(readdirSync(out)).toContain('manifest.json');
  const v = await runKairr(cli, ['audit', 'verify', out], { env });
  expect(v.code).toBe(0);
  expect(v.out).toMatch(/^OK: [1-9]\d* records/);
});

it('audit export as a researcher is the API refusal (403), exit 1, and writes nothing', async () => {
  const env = { KAIRR_API: target().apiUrl, KAIRR_TOKEN: tokenFor('researcher') };
  const out = join(cli.home, 'audit-export-refused');
  const r = await runKairr(cli, ['audit', 'export', '--from', started, '--to', new Date(Date.now() + 1000).toISOString(), '--out', out], { env });
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/HTTP 403\)/);
  expect(() => readdirSync(out)).toThrow();
});
