// Per-test-file tables on the shared DynamoDB Local, created from the same table design the CDK
// builds (lambdas/shared/store/table-design.ts), with unique names so files run in parallel.
import { randomBytes } from 'node:crypto';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLES, tableEnvName, type TableDesign } from '../../lambdas/shared/store/table-design';
import { setDdb } from '../../lambdas/shared/store/client';

export function createInputOf(design: TableDesign, name: string) {
  const attrs = new Map<string, string>();
  const add = (a?: { name: string; type: string }) => a && attrs.set(a.name, a.type);
  add(design.partitionKey);
  add(design.sortKey);
  design.indexes.forEach((ix) => (add(ix.partitionKey), add(ix.sortKey)));
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType: AttributeType as 'S' | 'N' })),
    KeySchema: [{ AttributeName: design.partitionKey.name, KeyType: 'HASH' as const }, ...(design.sortKey ? [{ AttributeName: design.sortKey.name, KeyType: 'RANGE' as const }] : [])],
    GlobalSecondaryIndexes: design.indexes.length
      ? design.indexes.map((ix) => ({
          IndexName: ix.indexName,
          KeySchema: [{ AttributeName: ix.partitionKey.name, KeyType: 'HASH' as const }, ...(ix.sortKey ? [{ AttributeName: ix.sortKey.name, KeyType: 'RANGE' as const }] : [])],
          Projection: { ProjectionType: ix.projection ?? ('ALL' as const) },
        }))
      : undefined,
  };
}

export interface TestTables {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  names: Record<string, string>;
  drop(): Promise<void>;
}

export function testEndpoint(): string {
  const e = process.env.KAIRR_TEST_DYNAMO_ENDPOINT;
  if (!e) throw new Error('KAIRR_TEST_DYNAMO_ENDPOINT is not set: run the unit project (its globalSetup starts DynamoDB Local)');
  return e;
}

/** Creates fresh tables, points TABLE_* and the shared document client at them. */
export async function createTestTables(): Promise<TestTables> {
  const client = new DynamoDBClient({ endpoint: testEndpoint(), region: 'ap-northeast-2', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 3 });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const suffix = randomBytes(4).toString('hex');
  const names: Record<string, string> = {};
  for (const t of TABLES) {
    const name = `t-${t.logicalName}-${suffix}`;
    await client.send(new CreateTableCommand(createInputOf(t, name)));
    names[t.logicalName] = name;
    process.env[tableEnvName(t)] = name;
  }
  setDdb(doc);
  return {
    client,
    doc,
    names,
    async drop() {
      for (const n of Object.values(names)) await client.send(new DeleteTableCommand({ TableName: n })).catch(() => undefined);
      setDdb(undefined);
      client.destroy();
    },
  };
}
