// Jest globalSetup for the unit project: one DynamoDB Local (the real jar, in memory) for the whole
// run. Test files create their own uniquely named tables (test/support/dynamo.ts).
import { startDynamoLocal } from '../../local/dynamo';

export default async function setup(): Promise<void> {
  if (process.env.KAIRR_TEST_DYNAMO_ENDPOINT) return; // an outer runner already started one
  const d = await startDynamoLocal();
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = d.endpoint;
  (globalThis as Record<string, unknown>).__KAIRR_DYNAMO__ = d;
}
