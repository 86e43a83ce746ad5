// local/slurm-secrets.ts: the local runtime's scheduler secrets from the local clusters' description.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { slurmSecrets, slurmSecretsReport } from '../../../local/slurm-secrets';
import { SlurmCredentialsSchema } from '../../../lambdas/connectors/slurm-rest/credentials';
import { useStageConfig } from '../../support/config';

const sites = useStageConfig('local').sites;

function clustersDir(entries: Record<string, unknown>[], opts: { running?: string[] } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'kairr-slurm-'));
  for (const e of entries) {
    writeFileSync(String(e.jwtKeyPath ?? ''), Buffer.from(`key-of-${e.cluster}`));
    mkdirSync(join(dir, String(e.cluster), 'pids'), { recursive: true });
    if (opts.running?.includes(String(e.cluster))) writeFileSync(join(dir, String(e.cluster), 'pids', 'slurmctld.pid'), String(process.pid));
  }
  writeFileSync(join(dir, 'clusters.json'), JSON.stringify({ clusters: entries }));
  return join(dir, 'clusters.json');
}

const entry = (cluster: string, restUrl: string) => ({ siteId: cluster, cluster, restUrl, jwtKeyPath: join(mkdtempSync(join(tmpdir(), 'kairr-key-')), 'jwt_hs256.key'), adminUser: 'slurm' });

test('maps each site\'s credentialsSecretName to {"username","jwtKey"} (base64 of the key file), the shape secrets.ts accepts', () => {
  const path = clustersDir([entry('spc', 'http://127.0.0.1:6820'), entry('kisti6', 'http://127.0.0.1:6830')], { running: ['spc', 'kisti6'] });

  const secrets = slurmSecrets(sites, path);
  const report = slurmSecretsReport(sites, path);

  expect(Object.keys(secrets).sort()).toEqual(['kairr/local/sites/kisti6/slurm', 'kairr/local/sites/spc/slurm']);
  const spc = JSON.parse(secrets['kairr/local/sites/spc/slurm']);
  expect(spc).toEqual({ username: 'slurm', jwtKey: Buffer.from('key-of-spc').toString('base64') });
  expect(SlurmCredentialsSchema.safeParse(spc).success).toBe(true);
  expect(report).toMatchObject({ missing: [], notRunning: [] });
});

test('reports sites without a cluster, with another endpoint, or whose cluster is not running', () => {
  const path = clustersDir([entry('spc', 'http://127.0.0.1:9999')]);

  const report = slurmSecretsReport(sites, path);

  expect(report.secrets).toEqual({});
  expect(report.missing).toEqual([
    { siteId: 'spc', reason: expect.stringMatching(/is not the local cluster's http:\/\/127\.0\.0\.1:9999/) },
    { siteId: 'kisti6', reason: expect.stringMatching(/no local cluster "kisti6"/) },
  ]);
  const notRunning = slurmSecretsReport(sites, clustersDir([entry('spc', 'http://127.0.0.1:6820')]));
  expect(notRunning.notRunning).toEqual([{ siteId: 'spc', reason: expect.stringMatching(/not running/) }]);
  expect(Object.keys(notRunning.secrets)).toEqual(['kairr/local/sites/spc/slurm']);
});

test('no clusters.json: every site is missing, nothing throws', () => {
  const report = slurmSecretsReport(sites, '/nonexistent/clusters.json');
  expect(report.missing.map((m) => m.siteId)).toEqual(['spc', 'kisti6']);
  expect(slurmSecrets(sites, '/nonexistent/clusters.json')).toEqual({});
});
