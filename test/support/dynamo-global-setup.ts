// Jest globalSetup for the unit project: one DynamoDB Local (the real jar, in memory) for the whole
// run. Test files create their own uniquely named tables (test/support/dynamo.ts).
import { appendFileSync } from 'node:fs';
import { startDynamoLocal } from '../../local/dynamo';

export default async function setup(): Promise<void> {
  if (process.env.KAIRR_TEST_DYNAMO_ENDPOINT) return; // an outer runner already started one
  // The jar dies with jest's process even when a later setup fails and no teardown runs
  // (startDynamoLocal kills it on exit; test/unit/setup/global-setup-cleanup.test.ts checks it).
  const d = await startDynamoLocal();
  if (process.env.KAIRR_TEST_SETUP_RECORD) appendFileSync(process.env.KAIRR_TEST_SETUP_RECORD, `dynamodb-local ${d.process.pid}\n`);
  process.env.KAIRR_TEST_DYNAMO_ENDPOINT = d.endpoint;
  (globalThis as Record<string, unknown>).__KAIRR_DYNAMO__ = d;
}
