import type { DynamoLocal } from '../../local/dynamo';

export default async function teardown(): Promise<void> {
  const d = (globalThis as Record<string, unknown>).__KAIRR_DYNAMO__ as DynamoLocal | undefined;
  await d?.stop();
}
