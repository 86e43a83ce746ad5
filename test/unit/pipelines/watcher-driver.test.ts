// The slurm-rest driver's changed-jobs query (what the stage watcher asks a site every few seconds),
// against a FAKE slurmrestd that answers with the shapes the local clusters' real slurmrestd gave
// for GET /slurm/<v>/jobs with and without update_time (recorded 2026-12-04: spc, Slurm 22.05,
// v0.0.38; kisti6, Slurm 24.11, v0.0.42). The real daemons are asked in test/e2e/pipelines.test.ts.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SlurmRestDriver } from '../../../lambdas/connectors/slurm-rest/driver';
import type { ApiVersion } from '../../../lambdas/connectors/slurm-rest/api';

const DISPATCH = 'job-01m8z9fezp4nqgdtmt4v2f2v2q';
const LAST_UPDATE = 1796345564;

/** A finished job as v0.0.42's slurmctld lists it (the fields the driver reads). */
const job42 = {
  job_id: 7,
  name: `kairr.${DISPATCH}`,
  account: 'kairr_alloc_k6',
  user_name: 'alice',
  partition: 'gh200',
  job_state: ['COMPLETED'],
  exit_code: { status: ['SUCCESS'], return_code: { set: true, infinite: false, number: 0 }, signal: { id: { set: false, infinite: false, number: 0 }, name: '' } },
  submit_time: { set: true, infinite: false, number: LAST_UPDATE - 30 },
  start_time: { set: true, infinite: false, number: LAST_UPDATE - 29 },
  end_time: { set: true, infinite: false, number: LAST_UPDATE - 2 },
  tres_alloc_str: 'cpu=1,mem=128M,node=1,billing=1,gres/gpu=1',
};
/** A running job as v0.0.38's lists it: plain numbers, a string state, the raw wait status. */
const job38 = {
  job_id: 12,
  name: 'kairr.job-01m8z9fnpn37sat7pzm0w5j7vz',
  account: 'kairr_alloc_spc',
  user_name: 'alice',
  partition: 'h200',
  job_state: 'RUNNING',
  exit_code: 0,
  submit_time: LAST_UPDATE - 5,
  start_time: LAST_UPDATE - 4,
  end_time: LAST_UPDATE + 3600,
};

interface Seen {
  path: string;
  updateTime: string | null;
}

/** Answers as the recorded daemons did; `unchanged` makes an update_time query say "no change". */
function fakeSlurmrestd(version: ApiVersion, opts: { unchanged: () => boolean }) {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ path: url.pathname, updateTime: url.searchParams.get('update_time') });
    const since = url.searchParams.get('update_time');
    res.setHeader('content-type', 'application/json');
    if (version === 'v0.0.38') {
      if (since && opts.unchanged()) {
        res.statusCode = 304; // 22.05's slurmrestd: Not Modified, no body
        return res.end();
      }
      return res.end(JSON.stringify({ meta: { plugin: { type: 'openapi/v0.0.38', name: 'Slurm OpenAPI v0.0.38' } }, errors: [], jobs: [job38] }));
    }
    const meta = { plugin: { type: 'openapi/slurmctld', name: 'Slurm OpenAPI slurmctld', data_parser: 'data_parser/v0.0.42' } };
    if (since && opts.unchanged()) {
      return res.end(
        JSON.stringify({
          jobs: [],
          last_backfill: { set: true, infinite: false, number: LAST_UPDATE - 10 },
          last_update: { set: true, infinite: false, number: 0 },
          meta,
          errors: [],
          warnings: [{ description: `No job changes since update_time[${since}]=2026-12-04T00:52:44`, source: 'op_handler_jobs' }],
        }),
      );
    }
    return res.end(JSON.stringify({ jobs: [job42], last_backfill: { set: true, infinite: false, number: LAST_UPDATE - 10 }, last_update: { set: true, infinite: false, number: LAST_UPDATE }, meta, errors: [], warnings: [] }));
  });
  return { server, seen };
}

async function driverAgainst(version: ApiVersion, unchanged: () => boolean) {
  const fake = fakeSlurmrestd(version, { unchanged });
  await new Promise<void>((r) => fake.server.listen(0, '127.0.0.1', r));
  const port = (fake.server.address() as AddressInfo).port;
  const driver = new SlurmRestDriver({ siteId: 'kisti6', endpoint: `http://127.0.0.1:${port}`, cluster: 'kisti6', parentAccount: 'kairr' }, async () => ({ username: 'slurm', jwtKey: Buffer.alloc(32, 1).toString('base64') }), {
    apiVersion: version,
  });
  return { driver, seen: fake.seen, stop: () => new Promise<void>((r) => fake.server.close(() => r())) };
}

describe("the slurm-rest driver's jobs changed since a watermark", () => {
  test("v0.0.42: the first look lists every live job with the site's last_update as the watermark; the next sends it as update_time and hears no change", async () => {
    let unchanged = false;
    const d = await driverAgainst('v0.0.42', () => unchanged);
    try {
      const first = await d.driver.jobsChangedSince();
      unchanged = true;
      const next = await d.driver.jobsChangedSince(first.watermark);

      expect(first).toMatchObject({ changed: true, watermark: LAST_UPDATE });
      expect(first.jobs).toEqual([expect.objectContaining({ jobId: '7', dispatchId: DISPATCH, state: 'COMPLETED', phase: 'finished', exitCode: 0, gpus: 1 })]);
      // "no change" keeps the watermark it was given (the answer's last_update is 0 then)
      expect(next).toEqual({ changed: false, jobs: [], watermark: LAST_UPDATE });
      expect(d.seen).toEqual([
        { path: '/slurm/v0.0.42/jobs', updateTime: null },
        { path: '/slurm/v0.0.42/jobs', updateTime: String(LAST_UPDATE) },
      ]);
    } finally {
      await d.stop();
    }
  });

  test("v0.0.38: no last_update in the answer, so the watermark is this side's clock a few seconds early; a 304 is 'no change', not an error", async () => {
    let unchanged = false;
    const d = await driverAgainst('v0.0.38', () => unchanged);
    try {
      const before = Math.floor(Date.now() / 1000);
      const first = await d.driver.jobsChangedSince();
      const after = Math.floor(Date.now() / 1000);
      unchanged = true;
      const next = await d.driver.jobsChangedSince(first.watermark);

      expect(first.changed).toBe(true);
      expect(first.jobs).toEqual([expect.objectContaining({ jobId: '12', dispatchId: 'job-01m8z9fnpn37sat7pzm0w5j7vz', state: 'RUNNING', phase: 'running' })]);
      // early by the clock-skew margin: a change at a site whose clock runs behind is seen, never skipped
      expect(first.watermark).toBeLessThan(before);
      expect(first.watermark).toBeGreaterThanOrEqual(before - 10);
      expect(first.watermark).toBeLessThanOrEqual(after);
      expect(next).toEqual({ changed: false, jobs: [], watermark: first.watermark });
      expect(d.seen.map((s) => s.updateTime)).toEqual([null, String(first.watermark)]);
    } finally {
      await d.stop();
    }
  });

  test('a changed answer with the list itself: a site that changed gets a fresh watermark and the full list again', async () => {
    const d = await driverAgainst('v0.0.42', () => false);
    try {
      const a = await d.driver.jobsChangedSince(LAST_UPDATE - 100);
      expect(a).toMatchObject({ changed: true, watermark: LAST_UPDATE });
      expect(a.jobs.map((j) => j.jobId)).toEqual(['7']);
      expect(d.seen.map((s) => s.updateTime)).toEqual([String(LAST_UPDATE - 100)]);
    } finally {
      await d.stop();
    }
  });
});
