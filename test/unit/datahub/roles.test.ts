// Every data hub route, for every role, both ways: what each may do (2xx, or a non-authorisation
// answer that shows it got past the role checks) and what each may not (401 without a token, 403,
// or 404 where even the existence of a draft or a restricted copy is not shown).
import { datahubApi } from '../../../lambdas/datahub/api';
import type { Caller } from '../../../lambdas/shared/http/caller';
import { allocation, applicationBody, restrictedDataset, seedAllocation, useAccessWorld } from './access-support';
import { api, DATASET, FILES, publishedDataset, publishVersion, ROLE_CALLERS, sha, who, type ApiResult } from './support';

type BaseRole = 'anonymous' | 'researcher' | 'steward' | 'curator' | 'admin' | 'auditor';
// `committee`: a named member of RA's data access committee who is no steward of anything. Everywhere
// else it is a researcher, so a case that does not say otherwise expects what the researcher gets.
type RoleName = BaseRole | 'committee';
const ROLES: RoleName[] = ['anonymous', 'researcher', 'steward', 'curator', 'admin', 'auditor', 'committee'];
const COMMITTEE = who('dac-1', 'researcher');
const callerOf = (r: RoleName) => (r === 'anonymous' ? undefined : r === 'committee' ? COMMITTEE : ROLE_CALLERS[r]);

// The access routes start the real decision flow (statemachines/datahub-access.asl.json) on the local Step Functions service.
useAccessWorld();
let P: string; // a published public dataset (steward-1)
let R: string; // a published restricted dataset
let D: string; // a dataset with a draft only
let M: string; // a published model
let RA: string; // a published restricted dataset with verified copies at the hub and kisti6; its committee is its steward and dac-1
let A1: string; // an access application to RA by the researcher
beforeAll(async () => {
  P = (await publishedDataset()).id;
  R = (await publishedDataset({ accessLevel: 'restricted' })).id;
  D = (await api(ROLE_CALLERS.steward, 'POST', '/v1/datasets', DATASET)).body.id;
  await api(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${D}/versions`, { version: '0.1.0' });
  M = (await api(ROLE_CALLERS.steward, 'POST', '/v1/models', { ...DATASET, licence: 'MIT' })).body.id;
  await publishVersion(M, '1.0.0', 'models', { modelCard: { language: ['ko'], pipeline_tag: 'text-generation' } });
  await seedAllocation(allocation('alloc-roles', [ROLE_CALLERS.researcher.sub, ROLE_CALLERS.steward.sub, COMMITTEE.sub]));
  // a named committee decides instead of the stewards, so the steward is named on it too
  RA = await restrictedDataset({ committee: [ROLE_CALLERS.steward.sub, COMMITTEE.sub] });
  A1 = await newApplication();
});

type Expect = 'ok' | 'denied' | number;
interface Case {
  route: string;
  /** The request for a role; n is unique per call (fresh version labels, page numbers). */
  req: (role: RoleName, n: number) => Promise<[string, string, unknown?]> | [string, string, unknown?];
  /** `committee` defaults to what the researcher gets (see RoleName). */
  expect: Record<BaseRole, Expect> & { committee?: Expect };
  /** Callers beyond the seven roles (site operators), each with what it gets. */
  extra?: { name: string; caller: Caller; expect: Expect }[];
}

const all = (e: Expect): Record<BaseRole, Expect> => ({ anonymous: e, researcher: e, steward: e, curator: e, admin: e, auditor: e });
const signedIn = (e: Expect): Record<BaseRole, Expect> => ({ ...all(e), anonymous: 401 });
const stewardsAndAdmins = (ok: Expect): Record<BaseRole, Expect> => ({ anonymous: 401, researcher: 'denied', steward: ok, curator: 'denied', admin: ok, auditor: 'denied' });
const staffRead = (ok: Expect): Record<BaseRole, Expect> => ({ anonymous: 401, researcher: 'denied', steward: ok, curator: ok, admin: ok, auditor: ok });

let counter = 0;
async function draft(id = P, kind = 'datasets'): Promise<string> {
  const v = `5.${++counter}.0`;
  const r = await api(ROLE_CALLERS.steward, 'POST', `/v1/${kind}/${id}/versions`, { version: v });
  if (r.status !== 201) throw new Error(r.text);
  return v;
}
/** A submitted access application to RA by the researcher (its flow started, waiting for the committee). */
async function newApplication(): Promise<string> {
  const r = await api(ROLE_CALLERS.researcher, 'POST', `/v1/datasets/${RA}/access-applications`, applicationBody('alloc-roles'));
  if (r.status !== 201) throw new Error(`apply: ${r.status} ${r.text}`);
  return r.body.applicationId;
}
/** A permit in force for the researcher, granted by the committee (the steward). */
async function newPermit(): Promise<string> {
  const r = await api(ROLE_CALLERS.steward, 'POST', `/v1/datahub/access-applications/${await newApplication()}/decision`, { decision: 'approve', comment: 'ok' });
  if (r.status !== 200) throw new Error(`approve: ${r.status} ${r.text}`);
  return r.body.permitId;
}
const operatorOf = (siteId: string): Caller => ({ sub: `op-${siteId}`, roles: ['site-operator'], siteIds: [siteId], username: `op-${siteId}` });

async function withPage(v: string, page: number): Promise<void> {
  await api(ROLE_CALLERS.steward, 'PUT', `/v1/datasets/${P}/versions/${v}/manifest/pages/${page}`, { files: [{ ...FILES[0], path: `p${page}.jsonl` }] });
}

const CASES: Case[] = [
  { route: 'createArtifact', req: () => ['POST', '/v1/datasets', DATASET], expect: { anonymous: 401, researcher: 201, steward: 201, curator: 403, admin: 201, auditor: 403 } },
  { route: 'searchArtifacts', req: () => ['GET', '/v1/models?q=korean'], expect: signedIn(200) },
  { route: 'getArtifact', req: () => ['GET', `/v1/datasets/${P}`], expect: signedIn(200) },
  { route: 'getArtifact', req: () => ['GET', `/v1/datasets/${D}`], expect: staffRead(200) },
  { route: 'updateArtifact', req: () => ['PATCH', `/v1/datasets/${P}`, { keywords: ['nlp'] }], expect: stewardsAndAdmins(200) },
  { route: 'createArtifactVersion', req: (_r, n) => ['POST', `/v1/datasets/${P}/versions`, { version: `7.${n}.0` }], expect: stewardsAndAdmins(201) },
  { route: 'listArtifactVersions', req: () => ['GET', `/v1/datasets/${P}/versions`], expect: signedIn(200) },
  { route: 'getArtifactVersion', req: () => ['GET', `/v1/datasets/${D}/versions/0.1.0`], expect: staffRead(200) },
  { route: 'getArtifactVersion', req: () => ['GET', `/v1/models/${M}/versions/1.0.0?format=card`], expect: signedIn(200) },
  { route: 'getArtifactVersionLineage', req: () => ['GET', `/v1/datasets/${P}/versions/1.0.0/lineage`], expect: signedIn(200) },
  { route: 'getArtifactVersionLineage', req: () => ['GET', `/v1/datasets/${D}/versions/0.1.0/lineage`], expect: staffRead(200) },
  { route: 'updateArtifactVersion', req: async () => ['PATCH', `/v1/datasets/${P}/versions/${await draft()}`, { changelog: 'x' }], expect: stewardsAndAdmins(200) },
  { route: 'putArtifactManifestPage', req: async () => ['PUT', `/v1/datasets/${P}/versions/${await draft()}/manifest/pages/1`, { files: FILES }], expect: stewardsAndAdmins(200) },
  {
    route: 'deleteArtifactManifestPage',
    req: async () => {
      const v = await draft();
      await withPage(v, 3);
      return ['DELETE', `/v1/datasets/${P}/versions/${v}/manifest/pages/3`];
    },
    expect: stewardsAndAdmins(200),
  },
  { route: 'getArtifactManifest', req: () => ['GET', `/v1/datasets/${P}/versions/1.0.0/manifest`], expect: signedIn(200) },
  {
    route: 'transitionArtifactVersion',
    req: async () => {
      const v = await draft();
      await withPage(v, 1);
      return ['POST', `/v1/datasets/${P}/versions/${v}/transitions`, { action: 'submit' }];
    },
    expect: stewardsAndAdmins(200),
  },
  {
    route: 'transitionArtifactVersion',
    req: async () => {
      const v = await draft();
      await withPage(v, 1);
      await api(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${P}/versions/${v}/transitions`, { action: 'submit' });
      return ['POST', `/v1/datasets/${P}/versions/${v}/transitions`, { action: 'publish' }];
    },
    expect: { anonymous: 401, researcher: 'denied', steward: 'denied', curator: 200, admin: 'denied', auditor: 'denied' },
  },
  { route: 'listArtifactLocations', req: () => ['GET', `/v1/datasets/${P}/versions/1.0.0/locations`], expect: signedIn(200) },
  { route: 'listArtifactLocations', req: () => ['GET', `/v1/datasets/${R}/versions/1.0.0/locations`], expect: staffRead(200) },
  { route: 'addArtifactLocation', req: async () => ['POST', `/v1/datasets/${P}/versions/${await draft()}/locations`, { siteId: 'kisti6', root: 'scratch', path: 'copy' }], expect: stewardsAndAdmins(201) },
  { route: 'putArtifactAlias', req: () => ['PUT', `/v1/datasets/${P}/aliases/production`, { version: '1.0.0' }], expect: stewardsAndAdmins(200) },
  {
    route: 'deleteArtifactAlias',
    req: async () => {
      await api(ROLE_CALLERS.steward, 'PUT', `/v1/datasets/${P}/aliases/staging`, { version: '1.0.0' });
      return ['DELETE', `/v1/datasets/${P}/aliases/staging`];
    },
    expect: stewardsAndAdmins(200),
  },
  {
    route: 'createArtifactUpload',
    req: async () => {
      const v = await draft();
      await withPage(v, 1);
      return ['POST', `/v1/datasets/${P}/versions/${v}/uploads`, { path: 'p1.jsonl', parts: [{ bytes: FILES[0].bytes, sha256: FILES[0].sha256 }] }];
    },
    expect: stewardsAndAdmins(201),
  },
  {
    route: 'completeArtifactUpload',
    req: async () => {
      const v = await draft();
      await withPage(v, 1);
      const u = await api(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${P}/versions/${v}/uploads`, { path: 'p1.jsonl', parts: [{ bytes: FILES[0].bytes, sha256: sha('hello world') }] });
      return ['POST', `/v1/datasets/${P}/versions/${v}/uploads/${u.body.uploadId}`, {}];
    },
    // Allowed callers get past the role checks to "nothing was uploaded yet".
    expect: stewardsAndAdmins(422),
  },
  {
    route: 'resumeArtifactUpload',
    req: async () => {
      const v = await draft();
      await withPage(v, 1);
      const u = await api(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${P}/versions/${v}/uploads`, { path: 'p1.jsonl', parts: [{ bytes: FILES[0].bytes, sha256: FILES[0].sha256 }] });
      return ['GET', `/v1/datasets/${P}/versions/${v}/uploads/${u.body.uploadId}`];
    },
    expect: stewardsAndAdmins(200),
  },
  { route: 'getArtifactFile', req: () => ['GET', `/v1/datasets/${P}/versions/1.0.0/files/README.md`], expect: signedIn(409) },
  { route: 'getArtifactFile', req: () => ['GET', `/v1/datasets/${R}/versions/1.0.0/files/README.md`], expect: staffRead(409) },
  { route: 'getPublicArtifacts', req: () => ['GET', '/v1/public/datasets?q=corpus'], expect: all(200) },
  { route: 'getPublicArtifact', req: () => ['GET', `/v1/public/datasets/${P}`], expect: all(200) },
  { route: 'getPublicArtifact', req: () => ['GET', `/v1/public/datasets/${R}`], expect: all(404) },
  { route: 'getPublicArtifactVersion', req: () => ['GET', `/v1/public/datasets/${P}/versions/1.0.0?format=croissant`], expect: all(200) },
  { route: 'getPublicArtifactManifest', req: () => ['GET', `/v1/public/datasets/${P}/versions/1.0.0/manifest`], expect: all(200) },
  { route: 'getContext', req: () => ['GET', '/v1/public/contexts/dcat-ap-3.0.1.jsonld'], expect: all(200) },
  { route: 'listCuration', req: () => ['GET', '/v1/datahub/curation'], expect: { anonymous: 401, researcher: 403, steward: 403, curator: 200, admin: 200, auditor: 200 } },
  // ---- site verification (each role both ways with real jobs: verification.test.ts) ----
  // Allowed callers get past the role checks to the missing Idempotency-Key; unknown ids to 404.
  {
    route: 'verifyArtifactLocation',
    req: async () => {
      await api(ROLE_CALLERS.steward, 'POST', `/v1/datasets/${P}/versions/1.0.0/locations`, { siteId: 'kisti6', root: 'scratch', path: 'copy' });
      return ['POST', `/v1/datasets/${P}/versions/1.0.0/locations/kisti6.scratch/verify`, { allocationId: 'alloc-x', resource: 'gh200' }];
    },
    expect: stewardsAndAdmins(400),
  },
  { route: 'getArtifactLocationVerification', req: () => ['GET', `/v1/datasets/${P}/versions/1.0.0/locations/kisti6.scratch/verifications/vfy-00000000000000000000000000`], expect: { ...staffRead(404), researcher: 403 } },
  // ---- end site verification ----
  // ---- access applications and permits (flows and decisions in detail: access.test.ts, access-flow.test.ts) ----
  // RA's named committee is its steward and dac-1 (the committee column, no steward). Applying takes the researcher role.
  // Deciding gives the committee no copies: without a permit it is refused RA's locations and files as any researcher
  // (these run before revokePermit's cases leave the researcher permits for RA).
  { route: 'listArtifactLocations', req: () => ['GET', `/v1/datasets/${RA}/versions/1.0.0/locations`], expect: { ...staffRead(200), committee: 'denied' } },
  { route: 'getArtifactFile', req: () => ['GET', `/v1/datasets/${RA}/versions/1.0.0/files/README.md`], expect: { ...staffRead(302), committee: 404 } },
  {
    route: 'createAccessApplication',
    req: () => ['POST', `/v1/datasets/${RA}/access-applications`, applicationBody('alloc-roles')],
    expect: { anonymous: 401, researcher: 201, steward: 201, curator: 403, admin: 403, auditor: 403, committee: 201 },
  },
  { route: 'listAccessApplications', req: () => ['GET', `/v1/datasets/${RA}/access-applications`], expect: { anonymous: 401, researcher: 403, steward: 200, curator: 200, admin: 200, auditor: 200, committee: 200 } },
  // dac-1 sits on RA's committee only: R's queue (its steward decides) is not shown to it
  { route: 'listAccessApplications', req: () => ['GET', `/v1/datasets/${R}/access-applications`], expect: { anonymous: 401, researcher: 403, steward: 200, curator: 200, admin: 200, auditor: 200, committee: 403 } },
  { route: 'listMyAccessApplications', req: () => ['GET', '/v1/datahub/access-applications'], expect: { anonymous: 401, researcher: 200, steward: 200, curator: 403, admin: 403, auditor: 403, committee: 200 } },
  // the applicant, the committee, admins and auditors read it; a curator is not shown it
  { route: 'getAccessApplication', req: () => ['GET', `/v1/datahub/access-applications/${A1}`], expect: { anonymous: 401, researcher: 200, steward: 200, curator: 404, admin: 200, auditor: 200, committee: 200 } },
  // only the committee decides: the applicant and an admin read it but may not; a curator is not shown it
  {
    route: 'decideAccessApplication',
    req: async () => ['POST', `/v1/datahub/access-applications/${await newApplication()}/decision`, { decision: 'reject', comment: 'no' }],
    expect: { anonymous: 401, researcher: 403, steward: 200, curator: 404, admin: 403, auditor: 403, committee: 200 },
  },
  {
    route: 'withdrawAccessApplication',
    req: async () => ['POST', `/v1/datahub/access-applications/${await newApplication()}/withdraw`],
    expect: { anonymous: 401, researcher: 200, steward: 403, curator: 403, admin: 403, auditor: 403, committee: 403 },
  },
  { route: 'listPermits', req: () => ['GET', '/v1/datahub/permits'], expect: { ...signedIn(200) } },
  { route: 'listPermits', req: () => ['GET', `/v1/datahub/permits?datasetId=${RA}`], expect: { anonymous: 401, researcher: 403, steward: 200, curator: 200, admin: 200, auditor: 200, committee: 200 } },
  { route: 'listPermits', req: () => ['GET', `/v1/datahub/permits?datasetId=${R}`], expect: { anonymous: 401, researcher: 403, steward: 200, curator: 200, admin: 200, auditor: 200, committee: 403 } },
  // the holder may not revoke their own permit; the committee and admins may
  {
    route: 'revokePermit',
    req: async () => ['POST', `/v1/datahub/permits/${await newPermit()}/revoke`, { reason: 'roles test' }],
    expect: { anonymous: 401, researcher: 403, steward: 200, curator: 403, admin: 200, auditor: 403, committee: 200 },
  },
  {
    route: 'sitePermitExport',
    req: () => ['GET', '/v1/datahub/sites/kisti6/permits'],
    expect: { anonymous: 401, researcher: 403, steward: 403, curator: 403, admin: 200, auditor: 403, committee: 403 },
    extra: [
      { name: "kisti6's operator", caller: operatorOf('kisti6'), expect: 200 },
      { name: "spc's operator", caller: operatorOf('spc'), expect: 403 },
    ],
  },
  // ---- end access ----
];

function matches(r: ApiResult, e: Expect): boolean {
  if (e === 'ok') return r.status >= 200 && r.status < 300;
  if (e === 'denied') return [403, 404].includes(r.status);
  return r.status === e;
}

describe('every route, every role', () => {
  it('covers every route of the API', () => {
    expect(new Set(CASES.map((c) => c.route))).toEqual(new Set(Object.keys(datahubApi)));
  });

  for (const c of CASES) {
    const want = (r: RoleName): Expect => (r === 'committee' ? (c.expect.committee ?? c.expect.researcher) : c.expect[r]);
    it(`${c.route}: ${[...ROLES.map((r) => `${r} ${want(r)}`), ...(c.extra ?? []).map((x) => `${x.name} ${x.expect}`)].join(', ')}`, async () => {
      const got: Record<string, number> = {};
      for (const role of ROLES) {
        const [method, path, body] = await c.req(role, ++counter);
        const r = await api(callerOf(role), method, path, body);
        if (!matches(r, want(role))) got[role] = r.status; // the roles that got something else
        if (want(role) === 401) expect(r.body.error.code).toBe('unauthorized');
      }
      for (const x of c.extra ?? []) {
        const [method, path, body] = await c.req('researcher', ++counter);
        const r = await api(x.caller, method, path, body);
        if (!matches(r, x.expect)) got[x.name] = r.status;
      }
      expect(got).toEqual({});
    });
  }
});
