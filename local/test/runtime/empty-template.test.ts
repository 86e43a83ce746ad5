// An app with no state machines, buses or rules (like KAIRR today) still gets working, empty
// Step Functions and EventBridge endpoints and a local admin endpoint.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { startCdkLocal, type CdkLocal, type CdkLocalInfo } from '@kairr/cdk-local';
import { synthEmptyFixture } from './fixtures/app';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dir: string;
let runtime: CdkLocal;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kairr-runtime-empty-'));
  synthEmptyFixture(join(dir, 'cdk.out'));
  runtime = await startCdkLocal({ outDir: join(dir, 'cdk.out'), stateDir: join(dir, 'state'), port: 0 });
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('local.json records the new endpoints, with empty lists', () => {
  const written = JSON.parse(readFileSync(join(dir, 'state', 'local.json'), 'utf8')) as CdkLocalInfo;

  expect(written).toMatchObject({ stateMachines: {}, eventBuses: {}, rules: {} });
  expect(written.sfnEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(written.eventsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(written.localAdminUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_local$/);
});

test('the Step Functions and EventBridge endpoints answer, with nothing in them', async () => {
  const sfn = new SFNClient({ endpoint: runtime.info.sfnEndpoint, region: runtime.info.region, credentials });
  const events = new EventBridgeClient({ endpoint: runtime.info.eventsEndpoint, region: runtime.info.region, credentials });
  const machines = await sfn.send(new ListStateMachinesCommand({}));
  const rules = await events.send(new ListRulesCommand({}));
  sfn.destroy();
  events.destroy();

  expect(machines.stateMachines).toEqual([]);
  expect(rules.Rules).toEqual([]);
});

test('the admin endpoint lists no schedules and is idle at once', async () => {
  const schedules = await fetch(`${runtime.info.localAdminUrl}/schedules`);
  const idle = await fetch(`${runtime.info.localAdminUrl}/idle`);

  expect(await schedules.json()).toEqual({ schedules: [] });
  expect(idle.status).toBe(200);
});

test('time overrides for a state machine the template does not have are refused at start', async () => {
  const start = startCdkLocal({ outDir: join(dir, 'cdk.out'), stateDir: join(dir, 'state-2'), port: 0, sfnTimeOverrides: { NoSuchMachine: { waitMs: {} } } });

  await expect(start).rejects.toThrow(/sfnTimeOverrides: no state machine NoSuchMachine/);
});
