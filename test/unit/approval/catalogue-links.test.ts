// A proposal's datasets[] and models[] naming catalogue entries (kairr:<artifactId>@<version>, or
// the artifact alone for its latest version), resolved through the data hub's face on DynamoDB
// Local: the real approval and data hub handlers. An entry that does not resolve for the proposer
// is a 422 naming `datasets[i].catalogueId`, and nothing is written; what resolved is shown.
import { recordVerifiedCopy } from '../../../lambdas/datahub';
import { catalogueDataSite } from '../../../lambdas/approval/catalogue-links';
import { api as hub, publishedDataset, ROLE_CALLERS } from '../datahub/support';
import { system } from '../ledger/support';
import { admin, approvalFixture, as, caller, newCall, newProposal, proposalBody, type ApprovalFixture } from './support';

let fx: ApprovalFixture;
let callId: string;
const ds: Record<'atKisti6' | 'atSpc' | 'twoSites' | 'restricted' | 'draftOnly', string> = { atKisti6: '', atSpc: '', twoSites: '', restricted: '', draftOnly: '' };
const steward = caller(ROLE_CALLERS.steward.sub, ['researcher']);
const researcher = caller('links-researcher-1', ['researcher']);
const ref = (id: string, v?: string) => (v ? `kairr:${id}@${v}` : `kairr:${id}`);
const paths = (res: { body: any }) => (res.body?.error?.details ?? []).map((d: { path: string }) => d.path);

beforeAll(async () => {
  fx = await approvalFixture();
  callId = (await newCall()).id;
  const ctx = system('catalogue');
  ds.atKisti6 = (await publishedDataset({ name: { ko: '과학 데이터', en: 'Science data' } })).id;
  await recordVerifiedCopy(ds.atKisti6, '1.0.0', 'kisti6', 'science/v1', 'system:test', ctx);
  ds.atSpc = (await publishedDataset({ name: { en: 'Web text' } })).id;
  await recordVerifiedCopy(ds.atSpc, '1.0.0', 'spc', 'web/v1', 'system:test', ctx);
  ds.twoSites = (await publishedDataset({ name: { en: 'Everywhere' } })).id;
  for (const site of ['spc', 'kisti6']) await recordVerifiedCopy(ds.twoSites, '1.0.0', site, 'everywhere/v1', 'system:test', ctx);
  ds.restricted = (await publishedDataset({ name: { en: 'Clinical notes' }, accessLevel: 'restricted' })).id;
  const draft = await hub(ROLE_CALLERS.steward, 'POST', '/v1/datasets', {
    name: { en: 'Not yet published' },
    description: { en: 'A draft.' },
    keywords: ['draft'],
    fieldOfScience: '1.2',
    licence: 'cc-by-4.0',
    accessLevel: 'public',
    owner: { type: 'organisation', orgId: 'org-kisti' },
  });
  ds.draftOnly = draft.body.id;
  expect((await hub(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${ds.draftOnly}/versions`, { version: '0.1.0', changelog: 'first' })).status).toBe(201);
});
afterAll(async () => {
  await fx?.stop();
});

describe('a proposal linking catalogue entries', () => {
  it('resolves a version, and the artifact alone to its latest version: title, access level, the sites with verified copies', async () => {
    const p = await newProposal(researcher, callId, {
      datasets: [
        { name: 'Science data', catalogueId: ref(ds.atKisti6, '1.0.0') },
        { name: 'Everywhere', catalogueId: ref(ds.twoSites) },
      ],
    });
    expect(p.datasets).toEqual([
      {
        name: 'Science data',
        catalogueId: ref(ds.atKisti6, '1.0.0'),
        catalogue: { ref: ref(ds.atKisti6, '1.0.0'), artifactId: ds.atKisti6, version: '1.0.0', kind: 'dataset', title: { ko: '과학 데이터', en: 'Science data' }, accessLevel: 'public', sites: ['kisti6'] },
      },
      {
        name: 'Everywhere',
        catalogueId: ref(ds.twoSites),
        catalogue: { ref: ref(ds.twoSites, '1.0.0'), artifactId: ds.twoSites, version: '1.0.0', kind: 'dataset', title: { en: 'Everywhere' }, accessLevel: 'public', sites: ['kisti6', 'spc'] },
      },
    ]);
    // the owner and staff read it back as stored
    expect((await as(researcher).get(`/v1/proposals/${p.id}`)).body.datasets).toEqual(p.datasets);
    expect((await as(admin).get(`/v1/proposals/${p.id}`)).body.datasets).toEqual(p.datasets);
  });

  it('links restricted data by its metadata (anyone signed in finds it; its copies need a permit, not its listing)', async () => {
    const p = await newProposal(researcher, callId, { datasets: [{ name: 'Clinical notes', catalogueId: ref(ds.restricted, '1.0.0') }] });
    expect(p.datasets[0].catalogue).toMatchObject({ accessLevel: 'restricted', sites: [] });
  });

  it('lets a steward link their own draft, which nobody else may', async () => {
    const own = await newProposal(steward, callId, { datasets: [{ name: 'Mine', catalogueId: ref(ds.draftOnly, '0.1.0') }] });
    expect(own.datasets[0].catalogue).toMatchObject({ version: '0.1.0', sites: [] });
    const other = await as(researcher).post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'Theirs', catalogueId: ref(ds.draftOnly, '0.1.0') }] }));
    expect([other.status, other.body.error.code, paths(other)]).toEqual([422, 'unknown_catalogue_entry', ['datasets[0].catalogueId']]);
  });

  it('keeps a link on an edit that does not touch it, and re-resolves the lists an edit sends', async () => {
    const p = await newProposal(researcher, callId, { datasets: [{ name: 'Science data', catalogueId: ref(ds.atKisti6, '1.0.0') }] });
    const titled = await as(researcher).patch(`/v1/proposals/${p.id}`, { title: 'A new title for it' });
    expect(titled.body.datasets).toEqual(p.datasets);
    const unlinked = await as(researcher).patch(`/v1/proposals/${p.id}`, { datasets: [{ name: 'Science data' }] });
    expect(unlinked.body.datasets).toEqual([{ name: 'Science data' }]);
  });
});

describe('a catalogue id that does not resolve', () => {
  // built when each case runs: the datasets are made in beforeAll, after the table is read
  it.each([
    ['an unknown artifact', () => ({ datasets: [{ name: 'x', catalogueId: ref('ds-00000000000000000000000000', '1.0.0') }] }), ['datasets[0].catalogueId']],
    ['a version that does not exist', () => ({ datasets: [{ name: 'x', catalogueId: ref(ds.atKisti6, '9.9.9') }] }), ['datasets[0].catalogueId']],
    ['an artifact with no published version, without a version', () => ({ datasets: [{ name: 'x', catalogueId: ref(ds.draftOnly) }] }), ['datasets[0].catalogueId']],
    ['a dataset among the models', () => ({ models: [{ name: 'x', catalogueId: ref(ds.atKisti6, '1.0.0') }] }), ['models[0].catalogueId']],
    [
      'several at once',
      () => ({
        datasets: [
          { name: 'ok', catalogueId: ref(ds.atKisti6, '1.0.0') },
          { name: 'x', catalogueId: ref('ds-00000000000000000000000000') },
        ],
        models: [{ name: 'y', catalogueId: ref(ds.twoSites, '1.0.0') }],
      }),
      ['datasets[1].catalogueId', 'models[0].catalogueId'],
    ],
  ])('%s: 422 naming each, and no proposal is created', async (_n, fields, want) => {
    const before = (await as(researcher).get('/v1/proposals')).body.items.length;
    const res = await as(researcher).post('/v1/proposals', proposalBody(callId, fields()));
    expect([res.status, res.body.error.code, paths(res)]).toEqual([422, 'unknown_catalogue_entry', want]);
    expect((await as(researcher).get('/v1/proposals')).body.items.length).toBe(before);
  });

  it('on an edit: 422, and the proposal keeps what it had', async () => {
    const p = await newProposal(researcher, callId, { datasets: [{ name: 'Science data', catalogueId: ref(ds.atKisti6, '1.0.0') }] });
    const res = await as(researcher).patch(`/v1/proposals/${p.id}`, { datasets: [{ name: 'x', catalogueId: ref(ds.atKisti6, '2.0.0') }] });
    expect([res.status, paths(res)]).toEqual([422, ['datasets[0].catalogueId']]);
    expect((await as(researcher).get(`/v1/proposals/${p.id}`)).body.datasets).toEqual(p.datasets);
  });

  it('a malformed id is a 400 naming it', async () => {
    const res = await as(researcher).post('/v1/proposals', proposalBody(callId, { datasets: [{ name: 'x', catalogueId: 'hf:some/dataset' }] }));
    expect([res.status, paths(res)]).toEqual([400, ['datasets[0].catalogueId']]);
  });
});

describe("the recommender's data locality from the catalogue", () => {
  const linked = (sites: string[]) => ({ name: 'd', catalogue: { ref: 'r', artifactId: 'ds-x', version: '1.0.0', kind: 'dataset' as const, title: {}, accessLevel: 'public' as const, sites } });
  // a 7B bf16 pretraining whose data is named by URI goes to kisti6/gh200 (cheapest); with its
  // catalogue copy at spc, the data locality criterion tips it to spc/h200
  const workload = { purpose: 'pretraining', modelParameters: 7e9, precision: 'bf16', dataset: { sizeGB: 2000, location: { uri: 'https://data.example/web' } }, memoryPerGpuGB: 60, interconnect: 'moderate', trainingTokens: 2e10 };
  it('"let KAIRR recommend" reads where the catalogue copy of the data is', async () => {
    const recommended = (datasets: unknown[]) => as(researcher).post('/v1/proposals', proposalBody(callId, { workload, credits: undefined, recommend: true, datasets }));
    const plain = await recommended([{ name: 'Web text', uri: 'https://data.example/web' }]);
    const linked = await recommended([{ name: 'Web text', catalogueId: ref(ds.atSpc, '1.0.0') }]);
    const twoSites = await recommended([{ name: 'Everywhere', catalogueId: ref(ds.twoSites, '1.0.0') }]);
    expect([plain.status, linked.status, twoSites.status]).toEqual([201, 201, 201]);
    expect([plain.body.recommendation.resource, linked.body.recommendation.resource, twoSites.body.recommendation.resource]).toEqual(['kisti6/gh200', 'spc/h200', 'kisti6/gh200']);
    // what the proposal says of its data is kept as written
    expect(linked.body.workload.dataset.location).toEqual({ uri: 'https://data.example/web' });
  });

  it('is the one site holding the first catalogue dataset; none with copies at several sites, or none at all', () => {
    expect(catalogueDataSite([{ name: 'plain' }, linked(['kisti6'])])).toBe('kisti6');
    expect(catalogueDataSite([linked(['kisti6', 'spc'])])).toBeUndefined();
    expect(catalogueDataSite([linked([])])).toBeUndefined();
    expect(catalogueDataSite(undefined)).toBeUndefined();
  });
});
