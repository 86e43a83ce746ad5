// The transfer job's script as real Slurm jobs on the two local clusters, dispatched through the
// connectors' slurmrestd driver, as the member, under an account on the resource's partition, with
// no GPUs. Each cluster's storage root is a folder of its own (kisti6's inside its chroot, where its
// jobs run); each site serves its root read-only through an rsync daemon, and a transfer job at the
// destination pulls through it, so each side writes only its own root.
//   spc → kisti6: a job at kisti6 copies and verifies a version;
//   kisti6 → spc: a file corrupted at kisti6 is caught by the job at spc (exit 65, file named);
//                 fixed, the re-dispatched job moves only that file;
//   a throttled transfer cancelled at the site mid-way resumes, moving only what was missing.
import { chownSync, existsSync, mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SchedulerDriver } from '../../lambdas/connectors/driver';
import type { ManifestEntry } from '../../lambdas/domain/pipelines/context';
import { catalogueCopyPath, remoteFolder, stageWorkPath, type MoverConfig } from '../../lambdas/domain/pipelines/storage';
import { TRANSFER_EXIT, transferScript, type TransferResult } from '../../lambdas/domain/pipelines/transfer-script';
import { slurmAccountName } from '../../lambdas/domain/scheduler-mapping';
import { startRsyncDaemon, type RsyncDaemon } from '../support/rsyncd';
import { fileMatches, openTree, treeDigest, writeVersion } from '../support/transfer-fixtures';
import { driverFor, loadClusters, SLURM_DIR, uniqueId, waitFor, type LocalCluster } from './support/clusters';

jest.setTimeout(10 * 60_000);

const ALICE_UID = 2601; // scripts/slurm/lib.sh TEST_UID
const clusters = Object.fromEntries(loadClusters().map((c) => [c.siteId, c])) as Record<'spc' | 'kisti6', LocalCluster>;
const run = uniqueId('st');

/** A site as a transfer sees it: its storage root at the site and on this host, its daemon, its driver. */
interface Site {
  cluster: LocalCluster;
  driver: SchedulerDriver;
  account: string;
  partition: string;
  /** The storage root as the site's jobs see it. */
  root: string;
  /** The same folder as this host sees it (kisti6's jobs run in a chroot). */
  hostRoot: string;
  daemon?: RsyncDaemon;
}
const sites = {} as Record<'spc' | 'kisti6', Site>;
const submitted: { site: Site; jobId: string }[] = [];

/** kisti6 runs in a chroot under $KAIRR_SLURM_DIR/kisti6/root (its key lives there too); spc on the host. */
function hostPath(c: LocalCluster, atSite: string): string {
  // The state folder can be a link (a checkout closed to other users links .slurm to /var/lib/kairr/…),
  // while clusters.json names real paths: compare real paths.
  const real = (x: string) => (existsSync(x) ? realpathSync(x) : x);
  const chroot = real(join(SLURM_DIR, c.cluster, 'root'));
  return real(c.jwtKeyPath).startsWith(`${chroot}/`) ? join(chroot, atSite) : atSite;
}

beforeAll(async () => {
  for (const id of ['spc', 'kisti6'] as const) {
    const cluster = clusters[id];
    const partition = cluster.partitions[0];
    const root = `${cluster.jobWorkDir}/kairr-storage-${run}`;
    const site: Site = { cluster, driver: driverFor(cluster), account: slurmAccountName(`${run}-mover`, partition), partition, root, hostRoot: hostPath(cluster, root) };
    mkdirSync(site.hostRoot, { recursive: true });
    openTree(site.hostRoot);
    chownSync(site.hostRoot, ALICE_UID, ALICE_UID);
    site.daemon = await startRsyncDaemon(site.hostRoot, id);
    await site.driver.provisionAccount({ account: site.account, description: 'jest pipelines transfer', partition, limits: { gpuMinutes: 600 }, members: ['alice'] });
    sites[id] = site;
  }
});
afterAll(async () => {
  for (const j of submitted) await j.site.driver.cancelJob(j.jobId).catch(() => undefined);
  for (const s of Object.values(sites)) {
    await s.daemon?.stop();
    rmSync(s.hostRoot, { recursive: true, force: true });
  }
});

/** A version at `from`, and a transfer job script for `to` that brings it there. */
function prepare(from: Site, to: Site, files: Parameters<typeof writeVersion>[1], mover: Partial<MoverConfig> = {}) {
  const version = uniqueId('v');
  const rel = catalogueCopyPath('ds-transfer', version);
  const manifest = writeVersion(join(from.hostRoot, rel), files);
  openTree(from.hostRoot);
  const work = `${stageWorkPath('pipe-test', `move-${version}`)}`;
  mkdirSync(join(to.hostRoot, work), { recursive: true });
  chownTree(to.hostRoot);
  const resultFile = `${to.root}/${work}/.kairr/transfer.json`;
  const script = (over: Partial<MoverConfig> = {}) =>
    transferScript({
      transferId: `tr-${version}`,
      label: `ds-transfer@${version} ${from.cluster.siteId} → ${to.cluster.siteId}`,
      source: remoteFolder({ endpoint: from.daemon!.url }, rel),
      destination: `${to.root}/${rel}`,
      resultFile,
      manifest,
      mover: { kind: 'rsync', timeLimitMinutes: 5, ...mover, ...over },
    });
  return { rel, manifest, script, workAtSite: `${to.root}/${work}`, hostResult: hostPath(to.cluster, resultFile), hostDest: join(to.hostRoot, rel), hostSource: join(from.hostRoot, rel) };
}

function chownTree(p: string): void {
  chownSync(p, ALICE_UID, ALICE_UID);
  for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) chownTree(join(p, e.name));
}

async function dispatch(site: Site, script: string, workingDirectory: string): Promise<string> {
  const r = await site.driver.submitJob({
    dispatchId: uniqueId('tr-'),
    account: site.account,
    user: 'alice',
    partition: site.partition,
    gpus: 0,
    timeLimitMinutes: 5,
    script,
    workingDirectory,
    firstAttempt: true,
    description: 'kairr transfer (jest)',
  });
  submitted.push({ site, jobId: r.jobId });
  return r.jobId;
}

const finished = (site: Site, jobId: string) =>
  waitFor(
    `transfer job ${jobId} at ${site.cluster.siteId} to finish`,
    () => site.driver.jobStatus(jobId),
    (s) => s.phase === 'finished',
    { timeoutMs: 180_000, intervalMs: 500 },
  );
const result = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as TransferResult;
const FILES = [
  { path: 'model/weights.bin', bytes: 2 * 1024 * 1024 },
  { path: 'model/config.json', content: '{"layers":4}\n' },
  { path: '분석/결과 1.csv', content: 'x,y\n1,2\n' },
];

describe('transfer jobs on the real clusters', () => {
  test("spc → kisti6: a job at kisti6 pulls the version through spc's endpoint and verifies every file", async () => {
    const t = prepare(sites.spc, sites.kisti6, FILES);
    const spcBefore = treeDigest(sites.spc.hostRoot);

    const jobId = await dispatch(sites.kisti6, t.script(), t.workAtSite);
    const status = await finished(sites.kisti6, jobId);

    expect(status).toMatchObject({ state: 'COMPLETED', exitCode: 0, user: 'alice', account: sites.kisti6.account, gpus: 0 });
    expect(result(t.hostResult)).toMatchObject({ state: 'verified', files: 3, verifiedFiles: 3, moved: { files: 3 }, mismatched: [], missing: [] });
    for (const e of t.manifest) expect(fileMatches(join(t.hostDest, e.path), e)).toBe(true);
    // written by the job, as the member: the destination's files belong to alice
    expect(statSync(join(t.hostDest, t.manifest[0].path)).uid).toBe(ALICE_UID);
    expect(treeDigest(sites.spc.hostRoot)).toEqual(spcBefore);
  });

  test('kisti6 → spc: a file corrupted at kisti6 fails the job with the file named; fixed, the next job moves only that file', async () => {
    const t = prepare(sites.kisti6, sites.spc, FILES);
    const victim = t.manifest[1];
    const good = readFileSync(join(t.hostSource, victim.path));
    writeFileSync(join(t.hostSource, victim.path), Buffer.from(good.toString().replace('4', '5')));

    const bad = await finished(sites.spc, await dispatch(sites.spc, t.script(), t.workAtSite));

    // the exit code itself from both slurmrestd versions (normalize.ts decodes 22.05's wait status)
    expect(bad).toMatchObject({ state: 'FAILED', exitCode: TRANSFER_EXIT.mismatched });
    expect(result(t.hostResult)).toMatchObject({ state: 'mismatched', verifiedFiles: 2, mismatched: [victim.path], mismatchedCount: 1, missing: [] });

    writeFileSync(join(t.hostSource, victim.path), good);
    const ok = await finished(sites.spc, await dispatch(sites.spc, t.script(), t.workAtSite));

    expect(ok).toMatchObject({ state: 'COMPLETED', exitCode: 0 });
    expect(result(t.hostResult)).toMatchObject({ state: 'verified', verifiedFiles: 3, moved: { files: 1, bytes: victim.bytes } });
  });

  test('a throttled transfer cancelled at the site mid-way resumes, moving only what was missing', async () => {
    const files = Array.from({ length: 6 }, (_, i) => ({ path: `chunks/c${i}.bin`, bytes: 256 * 1024 }));
    const t = prepare(sites.spc, sites.kisti6, files, { bwlimitKiBps: 256 });
    const done = (m: ManifestEntry[]) => m.filter((e) => fileMatches(join(t.hostDest, e.path), e)).length;

    const first = await dispatch(sites.kisti6, t.script(), t.workAtSite);
    await waitFor(
      'two files across',
      async () => done(t.manifest),
      (k) => k >= 2,
      { timeoutMs: 120_000, intervalMs: 100 },
    );
    await sites.kisti6.driver.cancelJob(first);
    const cancelled = await finished(sites.kisti6, first);
    const before = done(t.manifest);

    expect(cancelled.state).toBe('CANCELLED');
    expect(before).toBeLessThan(6);

    const second = await finished(sites.kisti6, await dispatch(sites.kisti6, t.script({ bwlimitKiBps: undefined }), t.workAtSite));

    expect(second).toMatchObject({ state: 'COMPLETED', exitCode: 0 });
    expect(result(t.hostResult)).toMatchObject({ state: 'verified', verifiedFiles: 6, moved: { files: 6 - before } });
  });
});
