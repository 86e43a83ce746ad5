// Write capacity a transaction costs on DynamoDB, computed from the published rules, because
// DynamoDB Local's ReturnConsumedCapacity for TransactWriteItems counts only one item:
//   - item size = sum over attributes of (name bytes + value bytes); strings UTF-8 bytes; numbers
//     about 1 byte per 2 significant digits + 1; booleans and null 1; lists/maps 3 bytes + 1 per
//     element + the elements (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html);
//   - a transactional write costs 2 WCU per started KB of each item written or checked;
//   - each GSI whose key the item carries costs the same again for the index write (counted at the
//     transactional rate too, which is an upper bound).

export function attributeSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (typeof v === 'number') {
    const digits =
      String(Math.abs(v))
        .replace(/[.eE+-]/g, '')
        .replace(/^0+/, '').length || 1;
    return Math.ceil(digits / 2) + 1;
  }
  if (Array.isArray(v)) return 3 + v.reduce((s: number, x) => s + 1 + attributeSize(x), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Record<string, unknown>).reduce((s, [k, x]) => s + 1 + Buffer.byteLength(k, 'utf8') + attributeSize(x), 0);
  return 8;
}

export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((s, [k, v]) => s + Buffer.byteLength(k, 'utf8') + attributeSize(v), 0);
}

const GSI_KEYS = ['gsi1pk', 'gsi2pk', 'tpk', 'apk'];

export function transactionalWcu(item: Record<string, unknown>): number {
  const units = 2 * Math.max(1, Math.ceil(itemSize(item) / 1024));
  const indexes = GSI_KEYS.filter((k) => item[k] !== undefined).length;
  return units * (1 + indexes);
}
