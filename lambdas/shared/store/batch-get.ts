// Strongly consistent BatchGetItem of any keys of the main table, by "pk|sk". Several capabilities
// read items of more than one kind in one round trip (an allocation with its site account and its
// hold), so this lives with the shared store rather than in one capability's store.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { ddb, mainTable } from './client';
import type { ItemKey } from './keys';
import type { Item } from './write-path';

export async function batchGet(keyList: ItemKey[]): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  const unique = [...new Map(keyList.map((k) => [`${k.pk}|${k.sk}`, k])).values()]; // BatchGetItem refuses duplicate keys
  for (let i = 0; i < unique.length; i += 100) {
    let request: Record<string, { Keys: ItemKey[]; ConsistentRead: boolean }> | undefined = { [mainTable()]: { Keys: unique.slice(i, i + 100), ConsistentRead: true } };
    while (request && Object.keys(request).length) {
      const res = await ddb().send(new BatchGetCommand({ RequestItems: request }));
      for (const it of res.Responses?.[mainTable()] ?? []) out.set(`${it.pk}|${it.sk}`, it as Item);
      request = res.UnprocessedKeys as typeof request;
    }
  }
  return out;
}
