// Shared setup for ledger tests: tables on DynamoDB Local, the local stage config, a local
// EventBridge that records what the ledger publishes, and a helper to award an allocation.
import { startLocalEventBridge, type LocalEventBridge } from '../../../local/events';
import { createTestTables, type TestTables } from '../../support/dynamo';
import { useStageConfig } from '../../support/config';
import { createAllocation } from '../../../lambdas/ledger/service';
import { newId } from '../../../lambdas/domain/ids';
import type { AuditContext } from '../../../lambdas/shared/store/write-path';

export interface LedgerFixture {
  tables: TestTables;
  bus: LocalEventBridge;
  published: { type: string; detail: Record<string, unknown> }[];
  stop(): Promise<void>;
}

export async function ledgerFixture(patch?: Parameters<typeof useStageConfig>[1]): Promise<LedgerFixture> {
  useStageConfig('local', patch);
  const tables = await createTestTables();
  const published: { type: string; detail: Record<string, unknown> }[] = [];
  const bus = await startLocalEventBridge({
    eventBuses: ['kairr-test'],
    rules: [{ name: 'all', eventBusName: 'kairr-test', eventPattern: { source: ['kairr'] }, targets: [{ id: 'record', arn: 'arn:aws:lambda:local:0:function:record' }] }],
    deliver: (_t, payload) => {
      const e = payload as { 'detail-type': string; detail: Record<string, unknown> };
      published.push({ type: e['detail-type'], detail: e.detail });
    },
    scheduler: false,
  });
  process.env.EVENT_BUS_NAME = 'kairr-test';
  process.env.AWS_ENDPOINT_URL_EVENTBRIDGE = bus.url;
  process.env.AWS_REGION = 'ap-northeast-2';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  return {
    tables,
    bus,
    published,
    async stop() {
      await bus.stop();
      await tables.drop();
    },
  };
}

export const system = (requestId = 'test'): AuditContext => ({ actor: { sub: 'system:test', role: 'system' }, requestId });

export async function newAllocation(credits: Record<string, number>, opts: { endDate?: string; startDate?: string } = {}) {
  return createAllocation(
    {
      id: newId('alloc'),
      title: 'Test project',
      piSub: 'pi-1',
      institution: 'KAIST',
      orgType: 'university',
      field: 'computer-science',
      proposalId: null,
      callId: null,
      tier: 'standard',
      startDate: opts.startDate ?? '2026-01-01',
      endDate: opts.endDate ?? '2027-12-31',
      members: [],
      awardsMc: Object.fromEntries(Object.entries(credits).map(([k, v]) => [k, Math.round(v * 1000)])),
    },
    system('award'),
  );
}
