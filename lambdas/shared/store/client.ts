// The DynamoDB clients, created once per execution environment (module scope), and the table names
// from the environment that the grant helpers set (TABLE_MAIN, TABLE_AUDIT).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let doc: DynamoDBDocumentClient | undefined;

export function ddb(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 4 }), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
  return doc;
}

/** For tests: use a given client (e.g. pointed at DynamoDB Local). */
export function setDdb(client: DynamoDBDocumentClient | undefined): void {
  doc = client;
}

export function mainTable(): string {
  const t = process.env.TABLE_MAIN;
  if (!t) throw new Error('TABLE_MAIN is not set: grant the function the main table with tables.bindMain()');
  return t;
}

export function auditTable(): string {
  const t = process.env.TABLE_AUDIT;
  if (!t) throw new Error('TABLE_AUDIT is not set: grant the function the audit trail with tables.bindAudit()');
  return t;
}
