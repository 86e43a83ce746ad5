// Access to restricted data over HTTP against the local runtime (the synthesized template: API
// Gateway, the bundled data hub and access flow functions, statemachines/datahub-access.asl.json on
// the local Step Functions, DynamoDB Local, fauxqs as S3): a steward registers a restricted dataset
// and uploads its file, a curator publishes it, a researcher applies under an allocation provisioned
// on the local clusters, the committee approves, the researcher's download works; the committee
// revokes the permit and the download is refused.
//
// The copy at kisti6 is written straight into the local table as verified: verifying it takes a
// real job under the site's storage root, which is test/slurm/datahub-verify.test.ts's story. The
// hub's copy is a real upload through its presigned URL.
import { createHash } from 'node:crypto';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { datahubKeys } from '../../lambdas/shared/store/keys';
import { as, call, describeLocal, mint, settle, target, tokenFor, withToken } from './support/client';
import { waitFor } from '../slurm/support/clusters';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const data = Buffer.from('{"text":"제한된 연구 데이터"}\n'.repeat(20));
const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
const NEEDS_LOCAL = 'writes the site copy into the local DynamoDB, provisions on the local clusters, and reads the local Step Functions';

describeLocal('applying for restricted data over HTTP', NEEDS_LOCAL, () => {
  let steward: ReturnType<typeof withToken>;
  let datasetId: string;
  let allocationId: string;
  let applicationId: string;
  let permitId: string;
  /** The application's execution of the deployed access machine, as the local Step Functions reports it. */
  const executionStatus = async () => {
    const machine = Object.entries(target().stateMachines ?? {}).find(([logicalId]) => logicalId.startsWith('DatahubAccessStateMachine'))![1];
    const sfn = new SFNClient({ endpoint: target().sfnEndpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      return (await sfn.send(new DescribeExecutionCommand({ executionArn: `${machine.replace(':stateMachine:', ':execution:')}:${applicationId}` }))).status;
    } finally {
      sfn.destroy();
    }
  };
  const download = () => fetch(`${target().apiUrl}/v1/datasets/${datasetId}/versions/1.0.0/files/corpus.jsonl`, { headers: { authorization: `Bearer ${tokenFor('researcher')}` }, redirect: 'manual' });

  beforeAll(async () => {
    // the dataset's steward (its committee) is not the applicant: a member never decides their own application
    steward = withToken(await mint({ sub: `dac-steward-${runId}`, groups: ['researcher'], preferred_username: `dac${runId}` }));
    const created = await steward.post('/v1/datasets', {
      name: { ko: `제한 데이터 ${runId}`, en: `Restricted corpus ${runId}` },
      description: { en: 'Restricted data for the access e2e.' },
      fieldOfScience: '1.2',
      licence: 'CC-BY-4.0',
      accessLevel: 'restricted',
      owner: { type: 'organisation', orgId: 'org-kisti' },
    });
    expect(created.status).toBe(201);
    datasetId = created.body.id;
    expect((await steward.post(`/v1/datasets/${datasetId}/versions`, { version: '1.0.0', changelog: 'first' })).status).toBe(201);
    expect((await steward.put(`/v1/datasets/${datasetId}/versions/1.0.0/manifest/pages/1`, { files: [{ path: 'corpus.jsonl', bytes: data.length, sha256: sha(data), mediaType: 'application/jsonl' }] })).status).toBe(200);
    const up = await steward.post(`/v1/datasets/${datasetId}/versions/1.0.0/uploads`, { path: 'corpus.jsonl', parts: [{ bytes: data.length, sha256: sha(data) }] });
    expect(up.status).toBe(201);
    expect((await fetch(up.body.parts[0].url, { method: 'PUT', body: Uint8Array.from(data), headers: up.body.parts[0].headers })).status).toBe(200);
    expect((await steward.post(`/v1/datasets/${datasetId}/versions/1.0.0/uploads/${up.body.uploadId}`, {})).body.state).toBe('verified');
    expect((await steward.post(`/v1/datasets/${datasetId}/versions/1.0.0/transitions`, { action: 'submit' })).status).toBe(200);
    expect((await as('curator').post(`/v1/datasets/${datasetId}/versions/1.0.0/transitions`, { action: 'publish' })).status).toBe(200);

    const t = target();
    const main = Object.entries(t.tables ?? {}).find(([logicalId]) => logicalId.startsWith('DataMain'))![1];
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: t.dynamodbEndpoint, region: 'ap-northeast-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const at = new Date().toISOString();
    await doc.send(
      new PutCommand({
        TableName: main,
        Item: {
          ...datahubKeys.location(datasetId, '1.0.0', 'kisti6.scratch'),
          artifactId: datasetId,
          version: '1.0.0',
          locationId: 'kisti6.scratch',
          kind: 'site',
          siteId: 'kisti6',
          root: 'scratch',
          path: `access-e2e/${runId}`,
          state: 'verified',
          lastVerifiedAt: at,
          createdAt: at,
          createdBy: `dac-steward-${runId}`,
          updatedAt: at,
        },
      }),
    );
    doc.destroy();

    const today = at.slice(0, 10);
    const alloc = await as('admin').post('/v1/allocations', {
      title: `Access e2e ${runId}`,
      piSub: 'dev-researcher',
      institution: 'KISTI',
      orgType: 'research-institute',
      field: 'computer-science',
      startDate: today,
      endDate: '2099-12-31',
      credits: { 'kisti6/gh200': 10 },
      members: [],
      reason: 'e2e: access to restricted data',
    });
    expect(alloc.status).toBe(201);
    allocationId = alloc.body.id;
    const provisioned = await waitFor(
      `allocation ${allocationId} to be provisioned`,
      async () => {
        await settle(60_000);
        return (await as('admin').get(`/v1/allocations/${allocationId}`)).body;
      },
      (a) => a.state !== 'pending-provisioning',
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    expect([provisioned.state, provisioned.stateReason]).toEqual(['active', undefined]);
  });

  it('without a permit the researcher finds the dataset but sees no copies and cannot download', async () => {
    expect((await as('researcher').get(`/v1/datasets/${datasetId}`)).status).toBe(200);
    expect((await as('researcher').get(`/v1/datasets/${datasetId}/versions/1.0.0/locations`)).status).toBe(403);
    expect((await download()).status).toBe(404);
  });

  it('the researcher applies; the access flow runs in the local Step Functions, named after the application, waiting for the committee', async () => {
    const r = await as('researcher').post(`/v1/datasets/${datasetId}/access-applications`, {
      purpose: 'Evaluate a Korean language model on restricted text',
      allocationId,
      siteId: 'kisti6',
      end: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      acceptTerms: true,
    });
    expect([r.status, r.body.state, r.body.applicant]).toEqual([201, 'submitted', 'dev-researcher']);
    applicationId = r.body.applicationId;
    await settle(30_000);
    expect(await executionStatus()).toBe('RUNNING');
    const queue = await steward.get(`/v1/datasets/${datasetId}/access-applications?state=submitted`);
    expect(queue.body.items.map((a: { applicationId: string }) => a.applicationId)).toEqual([applicationId]);
    // a bad application is told every field: here the site holds no verified copy and the terms are not accepted
    const bad = await as('researcher').post(`/v1/datasets/${datasetId}/access-applications`, { purpose: 'x', allocationId, siteId: 'spc', end: new Date(Date.now() + 86_400_000).toISOString(), acceptTerms: false });
    expect([bad.status, bad.body.error.details.map((d: { path: string }) => d.path).sort()]).toEqual([422, ['acceptTerms', 'siteId']]);
  });

  it("the committee approves: the permit is granted and the applicant's download works", async () => {
    expect((await as('researcher').post(`/v1/datahub/access-applications/${applicationId}/decision`, { decision: 'approve', comment: 'mine' })).status).toBe(403);
    const r = await steward.post(`/v1/datahub/access-applications/${applicationId}/decision`, { decision: 'approve', comment: 'The purpose fits the terms' });
    expect([r.status, r.body.state]).toEqual([200, 'approved']);
    permitId = r.body.permitId;
    // the decision answered the flow's waiting task: the bundled flow function ran and the execution ended
    await settle(30_000);
    expect(await executionStatus()).toBe('SUCCEEDED');
    const permits = await as('researcher').get('/v1/datahub/permits');
    expect(permits.body.items).toEqual([expect.objectContaining({ id: permitId, state: 'active', datasets: [datasetId], sites: ['kisti6'] })]);
    const locs = await as('researcher').get(`/v1/datasets/${datasetId}/versions/1.0.0/locations`);
    expect(locs.body.items.map((l: { locationId: string }) => l.locationId).sort()).toEqual(['hub', 'kisti6.scratch']);
    const dl = await download();
    expect(dl.status).toBe(302);
    expect(sha(Buffer.from(await (await fetch(dl.headers.get('location')!)).arrayBuffer()))).toBe(sha(data));
    expect((await as('researcher').get(`/v1/datahub/access-applications/${applicationId}`)).body.state).toBe('approved');
  });

  it('the committee revokes the permit with a reason: the download is refused from then on', async () => {
    const r = await steward.post(`/v1/datahub/permits/${permitId}/revoke`, { reason: 'e2e: access withdrawn' });
    expect([r.status, r.body.state]).toEqual([200, 'revoked']);
    expect((await download()).status).toBe(404);
    expect((await as('researcher').get(`/v1/datasets/${datasetId}/versions/1.0.0/locations`)).status).toBe(403);
    expect((await as('researcher').get(`/v1/datahub/access-applications/${applicationId}`)).body.state).toBe('revoked');
    const served = await call('GET', '/v1/openapi.json');
    expect(Object.keys(served.body.paths)).toEqual(expect.arrayContaining(['/v1/{kind}/{id}/access-applications', '/v1/datahub/access-applications/{applicationId}/decision', '/v1/datahub/permits/{permitId}/revoke']));
  });
});
