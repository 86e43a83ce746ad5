// Idempotency-Key for creating POSTs: the first response is stored (in the same transaction as what
// it created) for 24 hours; a retry with the same key and the same body gets that response again,
// with a different body it is refused. Keys are scoped by caller and operation.
import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { canonicalJson } from '../../domain/audit/jcs';
import { ConflictError } from '../../domain/errors';
import { ddb, mainTable } from './client';
import { keys } from './keys';
import type { SideWrite } from './write-path';

/** Another request with the same Idempotency-Key committed first. */
export class IdempotencyRaceError extends ConflictError {
  constructor() {
    super('A request with the same Idempotency-Key is being processed', [], 'idempotency_race');
  }
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

const TTL_SECONDS = 24 * 3600;

export interface IdempotencyScope {
  operation: string;
  callerSub: string;
  key: string | undefined;
  request: unknown;
}

export async function idempotent(scope: IdempotencyScope, run: (record: (res: StoredResponse) => SideWrite[]) => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
  if (!scope.key) return { ...(await run(() => [])), replayed: false };
  const k = keys.idempotency(scope.operation, scope.callerSub, scope.key);
  const requestHash = createHash('sha256')
    .update(canonicalJson(scope.request ?? null))
    .digest('hex');
  const replay = async (): Promise<(StoredResponse & { replayed: boolean }) | undefined> => {
    const got = await ddb().send(new GetCommand({ TableName: mainTable(), Key: k, ConsistentRead: true }));
    const it = got.Item as { requestHash: string; status: number; body: unknown } | undefined;
    if (!it) return undefined;
    if (it.requestHash !== requestHash)
      throw new ConflictError('This Idempotency-Key was used with a different request body', [{ path: 'headers.Idempotency-Key', problem: 'was already used for another request' }], 'idempotency_key_reused');
    return { status: it.status, body: it.body, replayed: true };
  };
  const prior = await replay();
  if (prior) return prior;
  try {
    const res = await run((r) => [
      {
        put: { ...k, requestHash, status: r.status, body: r.body, createdAt: new Date().toISOString(), ttl: Math.floor(Date.now() / 1000) + TTL_SECONDS },
        condition: { expression: 'attribute_not_exists(pk)' },
        failure: () => new IdempotencyRaceError(),
      },
    ]);
    return { ...res, replayed: false };
  } catch (e) {
    // A concurrent request with the same key won: answer as it did.
    if (e instanceof IdempotencyRaceError) {
      const won = await replay();
      if (won) return won;
    }
    throw e;
  }
}
