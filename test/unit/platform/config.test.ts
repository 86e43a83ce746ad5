// Stage configuration: both shipped configs are valid and describe the real sites; a bad file
// stops synth with each bad field's path and problem.
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadStageConfig, ConfigError } from '../../../lib/config/load';

const REPO = join(__dirname, '..', '..', '..');

describe('shipped stage configs', () => {
  it.each(['local', 'example', 'localstack'])('%s describes spc (h200, b200) and kisti6 (gh200)', (stage) => {
    const cfg = loadStageConfig(stage);
    expect(cfg.stage).toBe(stage);
    const resources = Object.fromEntries(cfg.sites.map((s) => [s.id, s.resources.map((r) => r.id).sort()]));
    expect(resources).toEqual({ spc: ['b200', 'h200'], kisti6: ['gh200'] });
    const gh200 = cfg.sites.find((s) => s.id === 'kisti6')!.resources[0];
    expect(gh200).toMatchObject({ gpuMemoryGB: 96, coherentCpuMemoryGB: 480 });
    for (const s of cfg.sites) {
      expect(s.scheduler.credentialsSecretName).not.toMatch(/^[A-Za-z0-9+/=]{40,}$/); // a name, not a secret
      for (const r of s.resources) expect(r.creditRates.length).toBeGreaterThan(0);
    }
  });
});

describe('a bad config', () => {
  function write(cfg: unknown, stage = 'bad'): string {
    const dir = mkdtempSync(join(tmpdir(), 'kairr-cfg-'));
    writeFileSync(join(dir, `${stage}.json`), typeof cfg === 'string' ? cfg : JSON.stringify(cfg));
    return dir;
  }
  const good = () => ({ ...JSON.parse(readFileSync(join(REPO, 'config', 'local.json'), 'utf8')), stage: 'bad' });

  it('names every bad field with its path and problem', () => {
    const cfg = good();
    cfg.sites[0].resources[1].gpusPerNode = 0;
    cfg.sites[1].scheduler.endpoint = 'not a url';
    cfg.identity.issuerUrl = 42;
    cfg.unknownTopLevel = true;
    const err = (() => {
      try {
        loadStageConfig('bad', write(cfg));
      } catch (e) {
        return e as ConfigError;
      }
      throw new Error('expected a ConfigError');
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const byPath = Object.fromEntries(err.problems.map((p) => [p.path, p.problem]));
    expect(byPath['sites[0].resources[1].gpusPerNode']).toBe('must be greater than 0');
    expect(byPath['sites[1].scheduler.endpoint']).toBe('must be a URL');
    expect(byPath['identity.issuerUrl']).toMatch(/string/);
    expect(byPath.unknownTopLevel).toBe('is not a recognised field');
  });

  it('names cross-field problems (duplicate ids, two rates on one date)', () => {
    const cfg = good();
    cfg.sites[0].resources[0].creditRates.push({ creditsPerGpuHour: 2, effectiveFrom: cfg.sites[0].resources[0].creditRates[0].effectiveFrom });
    cfg.sites[1].id = 'spc';
    expect(() => loadStageConfig('bad', write(cfg))).toThrow(ConfigError);
    try {
      loadStageConfig('bad', write(cfg));
    } catch (e) {
      const byPath = Object.fromEntries((e as ConfigError).problems.map((p) => [p.path, p.problem]));
      expect(byPath['sites[0].resources[0].creditRates[2].effectiveFrom']).toMatch(/two rates effective on/);
      expect(byPath['sites[1].id']).toMatch(/duplicates site id "spc"/);
    }
  });

  it('refuses a site named "hub" (the data hub\'s own storage in permits), naming the field', () => {
    const cfg = good();
    const i = cfg.sites.findIndex((s: { id: string }) => s.id === 'kisti6');
    cfg.sites[i].id = 'hub';
    let problems: { path: string; problem: string }[] = [];
    try {
      loadStageConfig('bad', write(cfg));
    } catch (e) {
      problems = (e as ConfigError).problems;
    }
    expect(problems).toEqual(expect.arrayContaining([{ path: `sites[${i}].id`, problem: expect.stringMatching(/must not be "hub"/) }]));
  });

  it('refuses a file whose stage does not match its name, and a missing or broken file', () => {
    const example = JSON.parse(readFileSync(join(REPO, 'config', 'example.json'), 'utf8'));
    expect(() => loadStageConfig('bad', write({ ...example, stage: 'prod' }))).toThrow(/stage.*"prod".*"bad"/s);
    expect(() => loadStageConfig('bad', write('{ not json'))).toThrow(/not valid JSON/);
    expect(() => loadStageConfig('nope', mkdtempSync(join(tmpdir(), 'kairr-cfg-')))).toThrow(/no configuration for stage "nope"/);
  });

  it('stops the CDK app with the message and a non-zero exit', () => {
    const res = spawnSync(process.execPath, [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO, 'bin', 'kairr.ts')], {
      cwd: REPO,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ stage: 'no-such-stage' }), CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'kairr-out-')) },
      encoding: 'utf8',
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/no configuration for stage "no-such-stage"/);
  });
});

// ---- identity and edge: issuers, role maps, scheduler endpoints ----
describe('trust settings', () => {
  const local = () => JSON.parse(readFileSync(join(REPO, 'config', 'local.json'), 'utf8'));
  const problems = (cfg: unknown, stage: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'kairr-cfg-'));
    writeFileSync(join(dir, `${stage}.json`), JSON.stringify(cfg));
    try {
      loadStageConfig(stage, dir);
    } catch (e) {
      return Object.fromEntries((e as ConfigError).problems.map((p) => [p.path, p.problem]));
    }
    return {};
  };

  it('refuses an http: scheduler endpoint outside the local stages, naming the site', () => {
    const byPath = problems({ ...local(), stage: 'staging' }, 'staging');
    expect(byPath['sites[0].scheduler.endpoint']).toMatch(/^must use https: outside the local stages/);
    expect(byPath['sites[1].scheduler.endpoint']).toMatch(/^must use https:/);
    expect(problems(local(), 'local')).toEqual({}); // loopback clusters, local stage
  });

  it('names bad issuers: two unprefixed ones, unknown roles, unknown sites, legacy fields beside issuers', () => {
    const cfg = local();
    cfg.identity.issuers[1].subjectPrefix = '';
    cfg.identity.issuers[1].roles.groupMap = { ops: 'site-operator:atlantis', boss: 'overlord', c: 'chair:spc' };
    cfg.identity.issuers[1].roles.default = ['researcher', 'emperor'];
    cfg.identity.issuers.push({ ...cfg.identity.issuers[0], id: 'local' });
    cfg.identity.audience = 'kairr-api';
    const byPath = problems(cfg, 'local');
    expect(byPath['identity.issuers[1].subjectPrefix']).toMatch(/two issuers' subjects could name the same person/);
    expect(byPath['identity.issuers[1].roles.groupMap.ops']).toMatch(/needs a configured site id/);
    expect(byPath['identity.issuers[1].roles.groupMap.boss']).toMatch(/is not a KAIRR role/);
    expect(byPath['identity.issuers[1].roles.groupMap.c']).toMatch(/takes no site/);
    expect(byPath['identity.issuers[1].roles.default[1]']).toMatch(/is not a KAIRR role/);
    expect(byPath['identity.issuers[2].id']).toMatch(/duplicates issuer id "local"/);
    expect(byPath['identity.issuers[2].issuerUrl']).toBe('is trusted twice');
    expect(byPath['identity.audience']).toMatch(/cannot be combined with identity.issuers/);
  });

  it('requires an issuer in the single-issuer form', () => {
    const cfg = local();
    delete cfg.identity.issuers;
    expect(problems(cfg, 'local')).toMatchObject({ 'identity.issuerUrl': expect.stringMatching(/is required/), 'identity.audience': expect.stringMatching(/is required/) });
  });
});
// ---- end identity and edge ----
