// The write path against DynamoDB Local: a change and its audit event are written together or not
// at all, chains are gap-free per subject, and lost races are detected, not overwritten.
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { commit, retryOnStale, StaleWriteError, DuplicateItemError, eventOfItem, subjectState, type Item } from '../../../lambdas/shared/store/write-path';
import { verifyChain, digestOf, hashEvent, GENESIS_HASH } from '../../../lambdas/domain/audit';
import { RuleViolationError } from '../../../lambdas/domain/errors';
import { createTestTables, type TestTables } from '../../support/dynamo';

let t: TestTables;
beforeAll(async () => {
  t = await createTestTables();
});
afterAll(async () => {
  await t.drop();
});

const ctx = (requestId = 'req-1') => ({ actor: { sub: 'u-1', role: 'admin' }, requestId, reason: 'test' });

async function read(pk: string, sk: string): Promise<Item | null> {
  const out = await t.doc.send(new GetCommand({ TableName: t.names.main, Key: { pk, sk }, ConsistentRead: true }));
  return (out.Item as Item) ?? null;
}

async function events(stream: string) {
  const out = await t.doc.send(new QueryCommand({ TableName: t.names.audit, KeyConditionExpression: 'pk = :s', ExpressionAttributeValues: { ':s': stream }, ConsistentRead: true }));
  return (out.Items ?? []).map(eventOfItem);
}

describe('commit', () => {
  it('writes the change and its hash-chained event together', async () => {
    const after: Item = { pk: 'THING#a', sk: 'THING', name: 'first', count: 1 };
    const { events: written } = await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'a' }, before: null, after, action: 'thing.create' }] });

    const stored = await read('THING#a', 'THING');
    expect(stored).toMatchObject({ name: 'first', auditSeq: 1, auditHash: written[0].hash });
    const evs = await events('thing/a');
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ seq: 1, prevHash: GENESIS_HASH, action: 'thing.create', before: null, after: digestOf(subjectState(after)), reason: 'test', requestId: 'req-1' });
    expect(hashEvent(evs[0])).toBe(evs[0].hash);

    const before = stored!;
    await commit(ctx('req-2'), { changes: [{ subject: { type: 'thing', id: 'a' }, before, after: { ...before, name: 'second' }, action: 'thing.rename', details: { from: 'first', to: 'second' } }] });
    const chain = await events('thing/a');
    expect(chain.map((e) => e.seq)).toEqual([1, 2]);
    expect(chain[1].prevHash).toBe(chain[0].hash);
    expect(chain[1].before).toBe(chain[0].after);
    expect(verifyChain(chain)).toEqual([]);
  });

  it('leaves neither the change nor the event when the transaction fails', async () => {
    await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'b' }, before: null, after: { pk: 'THING#b', sk: 'THING', v: 1 }, action: 'thing.create' }] });
    const before = (await read('THING#b', 'THING'))!;
    const attempt = commit(ctx(), {
      changes: [{ subject: { type: 'thing', id: 'b' }, before, after: { ...before, v: 2 }, action: 'thing.update' }],
      puts: [{ item: { pk: 'ENTRY#b1', sk: 'ENTRY', amount: 5 }, recordedBy: 0 }],
      checks: [{ key: { pk: 'THING#missing', sk: 'THING' }, expression: 'attribute_exists(pk)', failure: () => new RuleViolationError('the other thing must exist') }],
    });
    await expect(attempt).rejects.toBeInstanceOf(RuleViolationError);
    expect(await read('THING#b', 'THING')).toMatchObject({ v: 1, auditSeq: 1 });
    expect(await read('ENTRY#b1', 'ENTRY')).toBeNull();
    expect((await events('thing/b')).map((e) => e.seq)).toEqual([1]);
  });

  it('refuses a write based on a stale read, and keeps the chain intact', async () => {
    await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'c' }, before: null, after: { pk: 'THING#c', sk: 'THING', v: 0 }, action: 'thing.create' }] });
    const read1 = (await read('THING#c', 'THING'))!;
    await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'c' }, before: read1, after: { ...read1, v: 1 }, action: 'thing.update' }] });
    const stale = await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'c' }, before: read1, after: { ...read1, v: 99 }, action: 'thing.update' }] }).catch((e) => e);
    expect(stale).toBeInstanceOf(StaleWriteError);
    expect((stale as StaleWriteError).current).toMatchObject({ pk: 'THING#c', v: 1, auditSeq: 2 }); // the winner's state, without a re-read
    expect(await read('THING#c', 'THING')).toMatchObject({ v: 1, auditSeq: 2 });
    expect(verifyChain(await events('thing/c'))).toEqual([]);
  });

  it('refuses to create an immutable item twice', async () => {
    await commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'd' }, before: null, after: { pk: 'THING#d', sk: 'THING' }, action: 'thing.create' }], puts: [{ item: { pk: 'ENTRY#d1', sk: 'ENTRY', amount: 1 }, recordedBy: 0 }] });
    const d = (await read('THING#d', 'THING'))!;
    await expect(commit(ctx(), { changes: [{ subject: { type: 'thing', id: 'd' }, before: d, after: { ...d, touched: true }, action: 'thing.touch' }], puts: [{ item: { pk: 'ENTRY#d1', sk: 'ENTRY', amount: 2 } }] })).rejects.toBeInstanceOf(
      DuplicateItemError,
    );
    expect(await read('ENTRY#d1', 'ENTRY')).toMatchObject({ amount: 1 });
    const [ev] = await events('thing/d');
    expect(ev.details).toEqual({ created: [{ pk: 'ENTRY#d1', sk: 'ENTRY', digest: digestOf({ pk: 'ENTRY#d1', sk: 'ENTRY', amount: 1 }) }] });
  });

  it('serialises concurrent writers: 20 increments give 20, with a gap-free chain', async () => {
    await commit(ctx(), { changes: [{ subject: { type: 'counter', id: 'x' }, before: null, after: { pk: 'COUNTER#x', sk: 'COUNTER', n: 0 }, action: 'counter.create' }] });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        retryOnStale(
          async () => {
            const cur = (await read('COUNTER#x', 'COUNTER'))!;
            await commit(ctx(`inc-${i}`), { changes: [{ subject: { type: 'counter', id: 'x' }, before: cur, after: { ...cur, n: Number(cur.n) + 1 }, action: 'counter.increment' }] });
          },
          { attempts: 200 },
        ),
      ),
    );
    expect(await read('COUNTER#x', 'COUNTER')).toMatchObject({ n: 20, auditSeq: 21 });
    const chain = await events('counter/x');
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(verifyChain(chain)).toEqual([]);
  });

  it('records the change of several subjects in one transaction, one event each', async () => {
    const { events: evs } = await commit(ctx(), {
      changes: [
        { subject: { type: 'thing', id: 'e1' }, before: null, after: { pk: 'THING#e1', sk: 'THING' }, action: 'thing.create' },
        { subject: { type: 'thing', id: 'e2' }, before: null, after: { pk: 'THING#e2', sk: 'THING' }, action: 'thing.create' },
      ],
    });
    expect(evs.map((e) => e.stream)).toEqual(['thing/e1', 'thing/e2']);
    expect(await events('thing/e1')).toHaveLength(1);
    expect(await events('thing/e2')).toHaveLength(1);
  });
});
