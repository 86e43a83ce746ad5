// Verifying a dataset's copy at kisti6 (Slurm 24.11, in its chroot) with a real job there: real
// files under a data hub storage root, the data hub's API in this process dispatching through the
// real jobs capability (the steward's site account alice, their allocation, holds, audit), the job
// hashing the folder with sha256sum and writing its report under the site's storage root, read back
// through the root "mounted" for KAIRR (the same folder as this host sees it). Then a file is
// tampered with and re-verification finds it.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readDatasetSite } from '../../lambdas/datahub/index';
import { resetDatahubConfig } from '../../lambdas/datahub/config';
import { resetPipelinesConfig } from '../../lambdas/pipelines/config';
import type { Caller } from '../../lambdas/shared/http/caller';
import { api } from '../unit/datahub/support';
import { openTree } from '../support/transfer-fixtures';
import { SLURM_DIR, uniqueId, waitFor, type LocalCluster } from './support/clusters';
import { ALICE, startHarness, type Harness } from './support/kairr';

jest.setTimeout(10 * 60_000);

const ALICE_UID = 2601; // scripts/slurm/lib.sh TEST_UID
const CURATOR: Caller = { sub: 'sub-curator', roles: ['curator'], siteIds: [] };
const run = uniqueId('dhv');
const FILES: Record<string, string> = {
  'README.md': '# 기상 관측 자료\n',
  'data/2025/obs-01.csv': 'station,t\n108,21.5\n',
  'data/2025/obs 02.csv': 'station,t\n159,19.0\n',
  'bin/grid.bin': 'x'.repeat(3 * 1024 * 1024),
};

let h: Harness;
let allocationId: string;
let cluster: LocalCluster;
/** kisti6's storage root as its jobs see it, and as this host sees it. */
let root: string;
let hostRoot: string;

/** kisti6 runs in a chroot under $KAIRR_SLURM_DIR/kisti6/root; spc on the host (as pipelines-transfer.test.ts). */
function hostPath(c: LocalCluster, atSite: string): string {
  const real = (x: string) => (existsSync(x) ? realpathSync(x) : x);
  const chroot = real(join(SLURM_DIR, c.cluster, 'root'));
  return real(c.jwtKeyPath).startsWith(`${chroot}/`) ? join(chroot, atSite) : atSite;
}

function chownTree(p: string): void {
  chownSync(p, ALICE_UID, ALICE_UID);
  for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) chownTree(join(p, e.name));
}

beforeAll(async () => {
  h = await startHarness();
  cluster = h.clusters.kisti6;
  root = `${cluster.jobWorkDir}/kairr-dh-${run}`;
  hostRoot = hostPath(cluster, root);
  for (const [rel, content] of Object.entries(FILES)) {
    mkdirSync(dirname(join(hostRoot, 'hub', 'corpus', rel)), { recursive: true });
    writeFileSync(join(hostRoot, 'hub', 'corpus', rel), content);
  }
  openTree(hostRoot);
  // the job runs as alice: it reads the copy and writes its report under the root
  chownTree(hostRoot);
  process.env.PIPELINES_CONFIG = JSON.stringify({ storage: { kisti6: { root, endpoint: `file://${root}`, mover: { kind: 'rsync' }, reportMount: hostRoot } } });
  process.env.DATAHUB_CONFIG = JSON.stringify({ siteStorage: { kisti6: { roots: [{ name: 'scratch', path: `${root}/hub` }] } } });
  resetPipelinesConfig();
  resetDatahubConfig();
  const a = await h.award({ 'kisti6/gh200': 40 }, { members: [] });
  allocationId = a.id;
  const active = await h.settled(a.id);
  if (active.state !== 'active') throw new Error(`allocation did not become active: ${active.state} ${active.stateReason ?? ''}`);
});
afterAll(async () => {
  await h?.stop();
  if (hostRoot) rmSync(hostRoot, { recursive: true, force: true });
});

/** The manifest as sha256sum prints it for the files on disk: the steward's own record of the copy. */
function sha256sumManifest(): { path: string; bytes: number; sha256: string; mediaType: string }[] {
  const dir = join(hostRoot, 'hub', 'corpus');
  const paths = Object.keys(FILES).sort();
  const out = spawnSync('sha256sum', ['--', ...paths], { cwd: dir, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`sha256sum: ${out.stderr}`);
  const sums = new Map(
    out.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(66), l.slice(0, 64)] as const),
  );
  return paths.map((p) => ({ path: p, bytes: readFileSync(join(dir, p)).length, sha256: sums.get(p)!, mediaType: p.endsWith('.csv') ? 'text/csv' : 'application/octet-stream' }));
}

async function ok(r: Promise<{ status: number; text: string; body: any }>, want: number) {
  const x = await r;
  if (x.status !== want) throw new Error(`expected ${want}, got ${x.status}: ${x.text}`);
  return x.body;
}

async function verifyAndWait(id: string, key: string) {
  const base = `/v1/datasets/${id}/versions/1.0.0/locations/kisti6.scratch`;
  const started = await ok(api(ALICE, 'POST', `${base}/verify`, { allocationId, resource: 'gh200', timeLimit: 5 }, { 'idempotency-key': key }), 202);
  const ended = await waitFor(
    `verification ${started.verificationId} (job ${started.schedulerJobId} at kisti6) to end`,
    async () => ok(api(ALICE, 'GET', `${base}/verifications/${started.verificationId}`), 200),
    (v) => v.state !== 'running',
    { timeoutMs: 240_000, intervalMs: 1_000 },
  );
  return { started, ended };
}

const locationOf = async (id: string) => (await ok(api(ALICE, 'GET', `/v1/datasets/${id}/versions/1.0.0/locations`), 200)).items.find((l: { locationId: string }) => l.locationId === 'kisti6.scratch');

describe('a copy at kisti6 verified by a real job there', () => {
  test('the job finds what sha256sum says; re-verification finds the tampered file', async () => {
    const manifest = sha256sumManifest();
    const created = await ok(
      api(ALICE, 'POST', '/v1/datasets', {
        name: { ko: '기상 관측 자료', en: 'Weather observations' },
        description: { en: 'Station observations held at KISTI-6.' },
        keywords: ['weather'],
        fieldOfScience: '1.5',
        licence: 'CC-BY-4.0',
        accessLevel: 'public',
        owner: { type: 'organisation', orgId: 'org-kisti' },
      }),
      201,
    );
    const id = created.id as string;
    const v = `/v1/datasets/${id}/versions/1.0.0`;
    await ok(api(ALICE, 'POST', `/v1/datasets/${id}/versions`, { version: '1.0.0', changelog: 'first' }), 201);
    await ok(api(ALICE, 'PUT', `${v}/manifest/pages/1`, { files: manifest }), 200);
    await ok(api(ALICE, 'POST', `${v}/transitions`, { action: 'submit' }), 200);
    await ok(api(CURATOR, 'POST', `${v}/transitions`, { action: 'publish' }), 200);
    await ok(api(ALICE, 'POST', `${v}/locations`, { siteId: 'kisti6', root: 'scratch', path: 'corpus' }), 201);

    const first = await verifyAndWait(id, `${run}-first`);

    expect(first.started).toMatchObject({ state: 'running', siteId: 'kisti6', sitePath: `${root}/hub/corpus`, schedulerJobId: expect.any(String) });
    expect(first.ended).toMatchObject({ state: 'verified', files: 4, problemCount: 0, bytes: manifest.reduce((n, f) => n + f.bytes, 0) });
    // the report the job wrote at the site holds exactly sha256sum's digests
    const report = readFileSync(join(hostRoot, first.started.reportPath.slice(root.length + 1)), 'utf8');
    expect(report.trim().split('\n').sort()).toEqual(manifest.map((f) => `${f.sha256}\t${f.bytes}\t${f.path}`).sort());
    expect(await locationOf(id)).toMatchObject({ state: 'verified', lastVerifiedAt: first.ended.endedAt });
    expect(await readDatasetSite(id)).toBe('kisti6');

    // one byte changed in place, same size
    const victim = join(hostRoot, 'hub', 'corpus', 'data/2025/obs 02.csv');
    writeFileSync(victim, readFileSync(victim, 'utf8').replace('19.0', '19.1'));

    const second = await verifyAndWait(id, `${run}-second`);

    expect(second.ended).toMatchObject({ state: 'failed', code: 'copy_mismatch', problemCount: 1, problems: [{ path: 'data/2025/obs 02.csv', problem: expect.stringContaining('SHA-256 differs') }] });
    expect(await locationOf(id)).toMatchObject({ state: 'failed', reason: expect.stringContaining('data/2025/obs 02.csv SHA-256 differs') });
    expect((await ok(api(ALICE, 'GET', `${v}/manifest`), 200)).items).toEqual(manifest);
    expect(await readDatasetSite(id)).toBeNull();
  });
});
