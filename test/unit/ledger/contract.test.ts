// The usage-ingest contract, both sides: the ledger refuses a malformed connector event whole,
// before it writes anything; the connectors' client refuses to send one, and refuses an answer
// that does not match the contract (it keeps its watermark and sends again).
import { handler as ledgerHandler } from '../../../lambdas/ledger/handler';
import { getAllocation, listEntries } from '../../../lambdas/ledger/store';
import { ingestThroughLedger, LedgerUnavailableError, readAnswer, useLedgerIngest, type LedgerIngestEvent, type LedgerIngestResponse } from '../../../lambdas/connectors/usage/ledger-client';
import { MalformedEventError } from '../../../lambdas/domain/errors';
import { ledgerFixture, newAllocation, type LedgerFixture } from './support';

let fx: LedgerFixture;
beforeAll(async () => {
  fx = await ledgerFixture();
});
afterAll(async () => {
  useLedgerIngest(undefined);
  await fx.stop();
});

let n = 0;
const report = (allocationId: string, extra: Record<string, unknown> = {}) => ({
  cluster: 'spc',
  jobId: `contract-${Date.now().toString(36)}-${++n}`,
  allocationId,
  resource: 'h200',
  user: 'alice',
  gpus: 1,
  start: '2026-10-01T00:00:00.000Z',
  end: '2026-10-01T01:00:00.000Z',
  elapsedSeconds: 3600,
  ...extra,
});
const event = (records: unknown[], extra: Record<string, unknown> = {}) => ({ source: 'kairr.connector', action: 'ingestUsage', siteId: 'spc', records, requestId: 'contract-test', ...extra });

async function refusal(p: Promise<unknown>): Promise<MalformedEventError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MalformedEventError);
  return e as MalformedEventError;
}

describe('the ledger handler', () => {
  test('charges a well-formed connector event and answers in the contract', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const out = (await ledgerHandler(event([report(a.id)]) as never)) as LedgerIngestResponse;
    expect(out.results.map((r) => r.status)).toEqual(['accepted']);
    expect(out.summary).toEqual({ accepted: 1 });
  });

  test('refuses an event with one malformed report whole, naming the field, and writes nothing', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const before = (await getAllocation(a.id)).item.auditSeq;
    const e = await refusal(ledgerHandler(event([report(a.id), report(a.id, { gpus: '2' })]) as never));
    expect(e.name).toBe('MalformedEventError');
    expect(e.details).toEqual([{ path: 'records[1].gpus', problem: 'must be a number, not string' }]);
    expect((await getAllocation(a.id)).item.auditSeq).toBe(before);
    expect((await listEntries(a.id, { limit: 10 })).items.map((x) => x.kind)).toEqual(['award']); // no usage entry
  });

  test.each([
    ['no site', { siteId: undefined }, 'siteId'],
    ['another action', { action: 'deleteUsage' }, 'action'],
    ['records that are not a list', { records: 'all of them' }, 'records'],
    ['no records', { records: [] }, 'records'],
    ['a field the contract does not have', { dryRun: true }, 'dryRun'],
  ])('refuses an event with %s', async (_what, patch, path) => {
    const a = await newAllocation({ 'spc/h200': 100 });
    const e = await refusal(ledgerHandler(event([report(a.id)], patch) as never));
    expect(e.details.map((d) => d.path)).toContain(path);
  });

  test("an event that is not a connector's goes to the API router, not to ingestion", async () => {
    const out = (await ledgerHandler({ source: 'someone-else', records: [] } as never)) as { statusCode: number };
    expect(out.statusCode).toBe(404);
  });
});

describe("the connectors' client", () => {
  test('sends a well-formed batch to the ledger and reads its answer', async () => {
    const a = await newAllocation({ 'spc/h200': 100 });
    useLedgerIngest((e) => ledgerHandler(e) as Promise<LedgerIngestResponse>);
    const out = await ingestThroughLedger(event([report(a.id)]) as LedgerIngestEvent);
    expect(out.results[0].status).toBe('accepted');
  });

  test('refuses to send a malformed batch: the ledger is never called', async () => {
    const calls: unknown[] = [];
    useLedgerIngest(async (e) => (calls.push(e), { results: [], summary: {} }));
    const e = await refusal(ingestThroughLedger(event([{ cluster: 'spc' }]) as never));
    expect(e.details.map((d) => d.path)).toEqual(expect.arrayContaining(['records[0].jobId', 'records[0].gpus']));
    expect(calls).toEqual([]);
  });

  test('refuses an answer that does not match the contract', async () => {
    useLedgerIngest(async () => ({ results: [{ index: 0, jobId: 'j', status: 'charged' }], summary: {} }) as never);
    await expect(ingestThroughLedger(event([report('alloc-x')]) as LedgerIngestEvent)).rejects.toThrow(LedgerUnavailableError);
  });

  test('reads the Lambda answer: results, a FunctionError, text that is not JSON, an answer without results', () => {
    const ok = { results: [{ index: 0, jobId: 'j', status: 'duplicate', deltaCredits: 0 }], summary: { duplicate: 1 } };
    expect(readAnswer(JSON.stringify(ok))).toEqual(ok);
    expect(() => readAnswer(JSON.stringify({ errorMessage: 'the connector usage event is malformed: siteId is required' }), 'Unhandled')).toThrow(/refused the usage batch \(Unhandled\): the connector usage event is malformed/);
    expect(() => readAnswer('<html>')).toThrow(LedgerUnavailableError);
    expect(() => readAnswer(JSON.stringify({ summary: {} }))).toThrow(/results is required/);
  });
});
