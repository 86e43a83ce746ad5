// The data hub's story end to end (issue 13, "Done when"), over HTTP against the local runtime and
// the real local Slurm clusters:
//   1. a steward registers a restricted dataset held at kisti6 by path (real files under the data
//      hub's kisti6 storage root, inside its chroot) and verifies it with a real job there: the
//      location is verified and the manifest the job reported is what sha256sum says;
//   2. a curator publishes it (its named committee member decides access);
//   3. a researcher finds it by a Korean query (데이터셋 inside 데이터셋을), applies, and the
//      committee approves: the permit opens the copies, and the read is audited;
//   4. the researcher's job at kisti6 declaring it as an input is accepted and runs (it checks the
//      copy's bytes itself); a colleague on the same allocation without a permit is refused 403
//      permit_required naming inputs[0], and nothing is recorded for them;
//   5. its Croissant, DataCite and DCAT renderings pass the checks of test/unit/datahub/spec-checks.ts
//      (JSON-LD expanded offline with the contexts KAIRR ships and serves), one test each;
//   6. a model trained on it is registered with a card and an alias.
// The steps build on one another, so they run in order in one file; each asserts its own outcome.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DCAT_AP_CONTEXT } from '../../lambdas/domain/datahub';
import { waitFor } from '../slurm/support/clusters';
import { CR, DCAT, DCT, SC, SPDX, dataciteProblems, expand, missing, nodesOfType, values } from '../unit/datahub/spec-checks';
import { as, call, describeLocal, mint, settle, withToken } from './support/client';
import { auditEventsOf, registerModelWithAlias } from './support/datahub-steps';
import { activeAllocation, hostPathAt, SiteLogins } from './support/sites';

jest.setTimeout(15 * 60_000);

const stamp = Date.now().toString(36);
const subs = {
  steward: `e2e-story-steward-${stamp}`,
  committee: `e2e-story-dac-${stamp}`,
  researcher: `e2e-story-researcher-${stamp}`,
  colleague: `e2e-story-colleague-${stamp}`,
};
const TITLE_KO = '한국어 기상 관측 데이터셋을';
/** The copy at kisti6: relative path → content. A space and a nested folder on purpose. */
const FILES: Record<string, string> = {
  'README.md': '# 기상 관측 자료\n관측소별 기온입니다.\n',
  'data/2025/obs-01.csv': 'station,t\n108,21.5\n',
  'data/2025/obs 02.csv': 'station,t\n159,19.0\n',
  'bin/grid.bin': 'x'.repeat(256 * 1024),
};
const V = '1.0.0';
const errorPaths = (r: { body: any }) => (r.body?.error?.details ?? []).map((d: { path: string }) => d.path);

const logins = new SiteLogins();
const tokens: Partial<Record<keyof typeof subs, string>> = {};
let steward: ReturnType<typeof withToken>;
let committee: ReturnType<typeof withToken>;
let researcher: ReturnType<typeof withToken>;
let colleague: ReturnType<typeof withToken>;
let stewardAllocation: string;
let researchAllocation: string;
/** Filled by the steps, in order. */
const s: { datasetId?: string; sitePath?: string; hostCopy?: string; permitId?: string; applicationId?: string } = {};

/** sha256sum's own answer for the copy's files, on this host: the steward's record of what is there. */
function sha256sumOfCopy(): { path: string; bytes: number; sha256: string }[] {
  const paths = Object.keys(FILES).sort();
  const out = spawnSync('sha256sum', ['--', ...paths], { cwd: s.hostCopy, encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`sha256sum: ${out.stderr}`);
  const sums = new Map(
    out.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(66), l.slice(0, 64)] as const),
  );
  return paths.map((p) => ({ path: p, bytes: readFileSync(join(s.hostCopy!, p)).length, sha256: sums.get(p)! }));
}

const ref = () => `kairr:${s.datasetId}@${V}`;
const versionPath = () => `/v1/datasets/${s.datasetId}/versions/${V}`;

describeLocal('the data hub story: a restricted dataset at kisti6, from registration to a job that reads it', 'drives the local runtime and the local Slurm clusters, and writes files at kisti6', () => {
  beforeAll(async () => {
    for (const [role, sub] of Object.entries(subs) as [keyof typeof subs, string][]) tokens[role] = await mint({ sub, groups: ['researcher'], preferred_username: `${role.slice(0, 3)}${stamp}` });
    [steward, committee, researcher, colleague] = [tokens.steward!, tokens.committee!, tokens.researcher!, tokens.colleague!].map(withToken);
    // kisti6 makes each one's login and its operator confirms it, before the awards
    await logins.grant(subs.steward, `kss${stamp}`, 'kisti6');
    await logins.grant(subs.researcher, `ksr${stamp}`, 'kisti6');
    await logins.grant(subs.colleague, `ksc${stamp}`, 'kisti6');
    [stewardAllocation, researchAllocation] = await Promise.all([
      activeAllocation({ piSub: subs.steward, title: `Data hub story: the steward's ${stamp}`, credits: { 'kisti6/gh200': 20 }, reason: 'e2e: data hub story (verification)' }),
      activeAllocation({ piSub: subs.researcher, title: `Data hub story: research ${stamp}`, credits: { 'kisti6/gh200': 20 }, members: [subs.colleague], reason: 'e2e: data hub story (research)' }),
    ]);
  });

  afterAll(() => {
    logins.removeAll();
    if (s.hostCopy) rmSync(dirname(s.hostCopy), { recursive: true, force: true });
  });

  it('1. a steward registers a dataset held at kisti6 by path and a real job there verifies it: the location is verified, the manifest is what sha256sum says', async () => {
    const created = await steward.post('/v1/datasets', {
      name: { ko: TITLE_KO, en: `Korean weather observations ${stamp}` },
      description: { ko: '관측소별 기온 자료입니다.', en: 'Station observations held at KISTI-6.' },
      keywords: ['weather', '기상'],
      fieldOfScience: '1.5',
      licence: 'CC-BY-4.0',
      accessLevel: 'restricted',
      committee: [subs.committee],
      owner: { type: 'organisation', orgId: 'org-kisti' },
    });
    expect([created.status, created.body.accessLevel, created.body.committee]).toEqual([201, 'restricted', [subs.committee]]);
    s.datasetId = created.body.id;
    expect((await steward.post(`/v1/datasets/${s.datasetId}/versions`, { version: V, changelog: 'Observations of 2025' })).status).toBe(201);
    const loc = await steward.post(`${versionPath()}/locations`, { siteId: 'kisti6', root: 'scratch', path: `story-${stamp}/weather` });
    expect(loc.body).toMatchObject({ locationId: 'kisti6.scratch', state: 'pending', siteId: 'kisti6' });
    expect(loc.status).toBe(201);
    // the files are at the site already: written where kisti6's jobs see sitePath (in its chroot)
    s.sitePath = loc.body.sitePath as string;
    s.hostCopy = hostPathAt('kisti6', s.sitePath);
    for (const [rel, content] of Object.entries(FILES)) {
      mkdirSync(dirname(join(s.hostCopy, rel)), { recursive: true, mode: 0o755 });
      writeFileSync(join(s.hostCopy, rel), content, { mode: 0o644 });
    }

    const base = `${versionPath()}/locations/kisti6.scratch`;
    const started = await steward.post(`${base}/verify`, { allocationId: stewardAllocation, resource: 'gh200', timeLimit: 5 }, { 'idempotency-key': `story-verify-${stamp}` });
    expect([started.status, started.body.state, started.body.mode, started.body.sitePath]).toEqual([202, 'running', 'adopt', s.sitePath]);
    expect(started.body.schedulerJobId).toMatch(/^\d+$/);
    const ended = await waitFor(
      `verification ${started.body.verificationId} (job ${started.body.schedulerJobId} at kisti6) to end`,
      async () => (await steward.get(`${base}/verifications/${started.body.verificationId}`)).body,
      (v) => v.state !== 'running',
      { timeoutMs: 5 * 60_000, intervalMs: 2000 },
    );

    const expected = sha256sumOfCopy();
    expect([ended.state, ended.code, ended.reason]).toEqual(['verified', undefined, undefined]);
    expect(ended).toMatchObject({ files: expected.length, problemCount: 0, bytes: expected.reduce((n, f) => n + f.bytes, 0) });
    const location = (await steward.get(`${versionPath()}/locations`)).body.items.find((l: { locationId: string }) => l.locationId === 'kisti6.scratch');
    expect(location).toMatchObject({ state: 'verified', lastVerifiedAt: ended.endedAt });
    const manifest = await steward.get(`${versionPath()}/manifest`);
    expect(manifest.body.items.map((f: { path: string; bytes: number; sha256: string }) => ({ path: f.path, bytes: f.bytes, sha256: f.sha256 }))).toEqual(expected);
    // media types come from the extensions (the draft adopted the job's files)
    expect(Object.fromEntries(manifest.body.items.map((f: { path: string; mediaType: string }) => [f.path, f.mediaType]))['data/2025/obs-01.csv']).toBe('text/csv');
    // audited: the start as the steward, the end as the verification system
    const trail = await auditEventsOf('dh-verification', started.body.verificationId);
    expect(trail.map((e) => [e.action, e.actor.sub])).toEqual([
      ['dataset.location.verify', subs.steward],
      ['dataset.location.verification-ended', 'system:datahub-verification'],
    ]);
  });

  it('2. the steward submits and a curator publishes it, restricted, with its named committee member; the metadata is found, the copies are not shown', async () => {
    const submitted = await steward.post(`${versionPath()}/transitions`, { action: 'submit' });
    expect([submitted.status, submitted.body.state]).toEqual([200, 'curation-review']);
    const published = await as('curator').post(`${versionPath()}/transitions`, { action: 'publish' });
    expect([published.status, published.body.state]).toEqual([200, 'published']);

    const read = await researcher.get(`/v1/datasets/${s.datasetId}`);
    expect(read.body).toMatchObject({ accessLevel: 'restricted', committee: [subs.committee], latestVersion: V });
    expect((await researcher.get(versionPath())).body).toMatchObject({ state: 'published', files: Object.keys(FILES).length });
    // restricted: any signed-in researcher finds the metadata, nobody without a token, and the copies need a permit
    expect((await call('GET', `/v1/public/datasets/${s.datasetId}`)).status).toBe(404);
    expect((await researcher.get(`${versionPath()}/locations`)).status).toBe(403);
  });

  it('3. a researcher finds it by a Korean query, applies for access, and the committee approves: the permit opens the copy, and the read is audited', async () => {
    const found = await waitFor(
      'the dataset in the search index',
      async () => {
        const hits: { id: string; accessLevel: string; name: { ko?: string } }[] = [];
        let next: string | undefined;
        do {
          const q = new URLSearchParams({ q: '데이터셋', limit: '100', ...(next ? { nextToken: next } : {}) });
          const page = await researcher.get(`/v1/datasets?${q}`);
          if (page.status !== 200) throw new Error(`search: ${page.status} ${page.text}`);
          hits.push(...page.body.items);
          next = page.body.nextToken;
        } while (next);
        return hits.find((h) => h.id === s.datasetId);
      },
      (h) => h !== undefined,
      { timeoutMs: 30_000, intervalMs: 1000 },
    );
    expect(found).toMatchObject({ accessLevel: 'restricted', name: { ko: TITLE_KO } });

    const applied = await researcher.post(
      `/v1/datasets/${s.datasetId}/access-applications`,
      { purpose: 'Train a Korean weather-report model on station observations', allocationId: researchAllocation, versions: [V], siteId: 'kisti6', end: new Date(Date.now() + 30 * 86_400_000).toISOString(), acceptTerms: true },
      { 'idempotency-key': `story-apply-${stamp}` },
    );
    expect([applied.status, applied.body.state, applied.body.applicant, applied.body.users]).toEqual([201, 'submitted', subs.researcher, [subs.researcher]]);
    s.applicationId = applied.body.applicationId;
    await settle(30_000);
    const queue = await committee.get(`/v1/datasets/${s.datasetId}/access-applications?state=submitted`);
    expect([queue.status, queue.body.items.map((a: { applicationId: string }) => a.applicationId)]).toEqual([200, [s.applicationId]]);
    // only the named committee's member decides: not the applicant (403), and not the steward, who is
    // not on the named committee and so is not shown the application at all (404)
    expect((await researcher.post(`/v1/datahub/access-applications/${s.applicationId}/decision`, { decision: 'approve', comment: 'mine' })).status).toBe(403);
    expect((await steward.post(`/v1/datahub/access-applications/${s.applicationId}/decision`, { decision: 'approve', comment: 'not mine to decide' })).status).toBe(404);

    const decided = await committee.post(`/v1/datahub/access-applications/${s.applicationId}/decision`, { decision: 'approve', comment: 'The purpose fits the terms' });
    expect([decided.status, decided.body.state, decided.body.decisions.map((d: { decision: string; by: string }) => [d.decision, d.by])]).toEqual([200, 'approved', [['approve', subs.committee]]]);
    s.permitId = decided.body.permitId;
    await settle(30_000);
    const permits = await researcher.get('/v1/datahub/permits');
    expect(permits.body.items).toEqual([expect.objectContaining({ id: s.permitId, applicationId: s.applicationId, state: 'active', datasets: [s.datasetId], users: [subs.researcher], sites: ['kisti6'] })]);
    const locations = await researcher.get(`${versionPath()}/locations`);
    expect([locations.status, locations.body.items.map((l: { locationId: string; state: string }) => [l.locationId, l.state])]).toEqual([200, [['kisti6.scratch', 'verified']]]);
    // who saw what when: the researcher's read of the copies, under the permit
    const reads = await auditEventsOf('dh-access', s.datasetId!);
    expect(reads.filter((e) => e.actor.sub === subs.researcher).map((e) => [e.action, e.details?.permitId, e.details?.sites])).toEqual([['dataset.access.locations', s.permitId, ['kisti6']]]);
    const decisionTrail = (await auditEventsOf('dh-application', s.applicationId!)).map((e) => e.action);
    expect(decisionTrail).toEqual(expect.arrayContaining(['dataset.access-application.approve']));
    expect(decisionTrail[0]).toMatch(/submit$/);
  });

  it('4. the researcher dispatches a job at kisti6 declaring the dataset as input: accepted, it runs and reads the copy; a colleague without a permit is refused 403 permit_required naming inputs[0]', async () => {
    // the job checks the copy's bytes itself: it ends 0 only if it read every file as the manifest says
    const sums = sha256sumOfCopy()
      .map((f) => `${f.sha256}  ${f.path}`)
      .join('\n');
    const job = { site: 'kisti6', resource: 'gh200', gpus: 1, timeLimit: 5, script: `#!/bin/bash\nset -e\ncd '${s.sitePath}'\nsha256sum -c --strict <<'EOF'\n${sums}\nEOF\n`, inputs: [ref()] };

    const accepted = await researcher.post(`/v1/allocations/${researchAllocation}/jobs`, job, { 'idempotency-key': `story-job-${stamp}` });
    expect(accepted.status).toBe(201);
    expect(accepted.body.inputs).toEqual([{ ref: ref(), artifactId: s.datasetId, version: V, kind: 'dataset', accessLevel: 'restricted', locationId: 'kisti6.scratch', permitId: s.permitId }]);
    const ended = await waitFor(
      `job ${accepted.body.jobId} (${accepted.body.schedulerJobId} at kisti6) to end`,
      async () => (await researcher.get(`/v1/allocations/${researchAllocation}/jobs/${accepted.body.jobId}`)).body,
      (j) => ['finished', 'rejected', 'not-submitted', 'cancelled'].includes(j.state),
      { timeoutMs: 5 * 60_000, intervalMs: 2000 },
    );
    expect([ended.state, ended.exitCode, ended.user]).toEqual(['finished', 0, `ksr${stamp}`]);
    expect(ended.inputs).toEqual(accepted.body.inputs);

    const refused = await colleague.post(`/v1/allocations/${researchAllocation}/jobs`, job, { 'idempotency-key': `story-job-colleague-${stamp}` });
    expect([refused.status, refused.body.error?.code, errorPaths(refused)]).toEqual([403, 'permit_required', ['inputs[0]']]);
    // nothing was recorded or submitted for the refused dispatch
    const jobs = await researcher.get(`/v1/allocations/${researchAllocation}/jobs`);
    expect(jobs.body.items.map((j: { jobId: string; submittedBy: string }) => [j.jobId, j.submittedBy])).toEqual([[accepted.body.jobId, subs.researcher]]);
  });

  // 5. The renderings, one test each so that each one's failure is its own. The dataset is restricted,
  // so they are read signed in (the public routes show public artifacts only).
  it('5a. its Croissant 1.1 rendering, by content negotiation, expands offline and has every required property and each file with its SHA-256', async () => {
    const expected = sha256sumOfCopy();
    const croissant = await call('GET', versionPath(), { token: tokens.researcher, headers: { accept: 'application/ld+json; profile="http://mlcommons.org/croissant/1.1"' } });
    expect(croissant.status).toBe(200);
    expect(croissant.headers.get('content-type')).toContain('http://mlcommons.org/croissant/1.1');
    const [ds] = await expand(croissant.body);
    expect(ds['@type']).toEqual([`${SC}Dataset`]);
    expect(missing(ds, [`${DCT}conformsTo`, `${SC}name`, `${SC}description`, `${SC}license`, `${SC}url`, `${SC}creator`, `${SC}datePublished`, `${SC}distribution`])).toEqual([]);
    expect(values(ds, `${SC}license`)).toEqual(['https://spdx.org/licenses/CC-BY-4.0.html']);
    expect([...(ds[`${SC}name`] ?? []), ...(ds[`${SC}alternateName`] ?? [])]).toContainEqual({ '@value': TITLE_KO, '@language': 'ko' });
    const fileObjects = nodesOfType([ds], `${CR}FileObject`);
    for (const f of fileObjects) expect(missing(f, [`${SC}name`, `${SC}contentUrl`, `${SC}contentSize`, `${SC}encodingFormat`, `${SC}sha256`])).toEqual([]);
    expect(fileObjects.flatMap((f) => values(f, `${SC}sha256`)).sort()).toEqual(expected.map((f) => f.sha256).sort());
  });

  it('5b. its DataCite rendering validates against the 4.3 JSON Schema and 4.6 lists', async () => {
    const datacite = await researcher.get(`${versionPath()}?format=datacite`);
    expect([datacite.status, datacite.headers.get('content-type')]).toEqual([200, expect.stringContaining('application/vnd.datacite.datacite+json')]);
    expect(dataciteProblems(datacite.body)).toEqual([]);
    expect(datacite.body.data.attributes).toMatchObject({ types: { resourceTypeGeneral: 'Dataset' }, rightsList: [expect.objectContaining({ rightsIdentifier: expect.stringMatching(/^cc-by-4\.0$/i) })] });
  });

  it("5c. its DCAT-AP 3.0.1 rendering expands with the context KAIRR serves (the repo's, and nothing else), NON_PUBLIC, each file a distribution with its checksum", async () => {
    const expected = sha256sumOfCopy();
    const dcat = await researcher.get(`${versionPath()}?format=dcat`);
    expect(dcat.status).toBe(200);
    // the context the document names is KAIRR's own address, and it serves the context the repo ships
    const contextUrl = dcat.body['@context'] as string;
    const served = await call('GET', new URL(contextUrl).pathname);
    expect([served.status, served.body]).toEqual([200, DCAT_AP_CONTEXT]);
    const asked: string[] = [];
    const [cat] = await expand(dcat.body, async (url: string) => {
      asked.push(url);
      if (url !== contextUrl) throw new Error(`only the served DCAT-AP context may be loaded; ${url} was asked for`);
      return { contextUrl: null, documentUrl: url, document: served.body };
    });
    expect(asked).toEqual([contextUrl]);
    expect(cat['@type']).toEqual([`${DCAT}Dataset`]);
    expect(cat[`${DCT}title`]).toContainEqual({ '@value': TITLE_KO, '@language': 'ko' });
    expect(values(cat, `${DCT}accessRights`)).toEqual(['http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC']);
    const dists = nodesOfType([cat], `${DCAT}Distribution`);
    expect(dists).toHaveLength(expected.length);
    for (const d of dists) expect(missing(d, [`${DCAT}accessURL`])).toEqual([]);
    const checksums = nodesOfType([cat], `${SPDX}Checksum`);
    expect(checksums.flatMap((c) => values(c, `${SPDX}checksumValue`)).sort()).toEqual(expected.map((f) => f.sha256).sort());
  });

  it('6. a model trained on it is registered with a card naming the dataset and an alias: the card is README.md front matter the Hub reads, and the alias move is audited', async () => {
    const { id, aliased } = await registerModelWithAlias(researcher, {
      name: { ko: `기상 예보 모델 ${stamp}`, en: `Weather report model ${stamp}` },
      licence: 'Apache-2.0',
      alias: 'production',
      card: { language: ['ko'], library_name: 'transformers', pipeline_tag: 'text-generation', tags: ['weather'], base_model: ['meta-llama/Llama-3.1-8B'], base_model_relation: 'finetune', datasets: [ref()], metrics: ['accuracy'] },
    });
    expect([aliased.status, aliased.body.aliases]).toEqual([200, { production: '1.0.0' }]);

    const card = await call('GET', `/v1/public/models/${id}/versions/production?format=card`);
    expect([card.status, card.headers.get('content-type')]).toEqual([200, expect.stringContaining('text/markdown')]);
    const front = /^---\n([\s\S]*?)\n---\n/.exec(card.text);
    expect(front).not.toBeNull();
    expect(parseYaml(front![1])).toMatchObject({
      license: 'apache-2.0',
      language: ['ko'],
      library_name: 'transformers',
      pipeline_tag: 'text-generation',
      base_model: 'meta-llama/Llama-3.1-8B',
      base_model_relation: 'finetune',
      datasets: [ref()],
    });
    const moves = (await auditEventsOf('dh-artifact', id)).filter((e) => e.action === 'model.alias.move');
    expect(moves.map((e) => [e.actor.sub, e.details])).toEqual([[subs.researcher, { alias: 'production', from: null, to: '1.0.0' }]]);
  });
});
