// POST /v1/recommendations in-process against DynamoDB Local: the context the handler reads
// through the owners' faces (the connectors' queue snapshots, the data hub's dataset placement)
// reaches the recommender, and a stale snapshot or an unplaced dataset does not.
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { keys } from '../../../lambdas/shared/store/keys';
import { handler } from '../../../lambdas/recommendation/handler';

let t: TestTables;
beforeAll(async () => {
  useStageConfig('local');
  t = await createTestTables();
});
afterAll(async () => {
  await t.drop();
});

const put = (item: Record<string, unknown>) => t.doc.send(new PutCommand({ TableName: t.names.main, Item: item }));

function event(body: unknown): APIGatewayProxyEvent {
  return {
    httpMethod: 'POST',
    resource: '/v1/recommendations',
    path: '/v1/recommendations',
    pathParameters: null,
    queryStringParameters: null,
    headers: {},
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: `req-${Math.random()}`, authorizer: { sub: 'researcher-1', roles: 'researcher', siteIds: '' } },
  } as unknown as APIGatewayProxyEvent;
}

const recommend = async (body: unknown) => {
  const r = await handler(event(body));
  return { status: r.statusCode, body: JSON.parse(r.body || 'null') };
};

const profile = (location: Record<string, string>) => ({ workload: 'fine-tuning', parameters: 7e9, trainingTokens: 1e9, method: 'lora', precision: 'bf16', dataset: { sizeGB: 50, location } });

describe('POST /v1/recommendations: context from the connectors and the data hub', () => {
  it('uses the queue snapshots of the last half hour and ignores older ones', async () => {
    await put({ ...keys.siteStatus('spc'), queue: { 'spc/h200': { pendingJobs: 12, estimatedWaitHours: 6 } }, updatedAt: new Date(Date.now() - 5 * 60_000).toISOString() });
    await put({ ...keys.siteStatus('kisti6'), queue: { 'kisti6/gh200': { pendingJobs: 3, estimatedWaitHours: 1 } }, updatedAt: new Date(Date.now() - 2 * 3600_000).toISOString() });
    const r = await recommend(profile({ siteId: 'spc' }));
    expect(r.status).toBe(200);
    expect(r.body.context.queueKnownFor).toEqual(['spc/h200']);
  });

  it('places a catalogue dataset at the site the data hub records, and refuses one it does not place', async () => {
    await put({ ...keys.dataset('ds-at-kisti6'), siteId: 'kisti6' });
    const placed = await recommend(profile({ datasetId: 'ds-at-kisti6' }));
    expect(placed.status).toBe(200);
    const locality = (siteId: string) => placed.body.ranked.filter((x: { siteId: string }) => x.siteId === siteId).map((x: { criteria: { dataLocality: { detail: string } } }) => x.criteria.dataLocality.detail);
    expect(locality('kisti6').length).toBeGreaterThan(0);
    for (const detail of locality('kisti6')) expect(detail).toMatch(/already at kisti6/);
    for (const detail of locality('spc')) expect(detail).not.toMatch(/already at/);

    const unplaced = await recommend(profile({ datasetId: 'ds-nowhere' }));
    expect(unplaced.status).toBe(400);
    expect(unplaced.body.error.details[0].path).toBe('dataset.location.datasetId');
  });
});
