// statemachines/datahub-access.asl.json run from the file on the local Step Functions service,
// its one Lambda (lambdas/datahub/access-flow.ts) in-process on DynamoDB Local: each case starts an
// execution as startAccessFlow does (named after the application, with the waits in its input) and
// asserts which states ran and what the application shows afterwards. Waits are one second here.
import type { Application } from '../../../lambdas/domain/datahub/application';
import { applicationChange } from '../../../lambdas/datahub/application-items';
import { commitDatahub, getItem } from '../../../lambdas/datahub/store';
import { datahubKeys } from '../../../lambdas/shared/store/keys';
import { allocation, applicationBody, auditOf, enteredStates, researcher, restrictedDataset, seedAllocation, steward, useAccessWorld } from './access-support';
import { api } from './support';

const w = useAccessWorld();
let R: string;
let seq = 0;
beforeAll(async () => {
  await seedAllocation(allocation('alloc-flow', [researcher.sub]));
  R = await restrictedDataset();
});

/** An application as createApplication records it, without starting its flow (the test starts it). */
async function seedApplication(over: Partial<Application> = {}): Promise<Application> {
  const now = new Date();
  const id = `dha-${`${Date.now().toString(36)}${(++seq).toString(36)}`.padEnd(26, '0').slice(0, 26)}`;
  const app: Application = {
    applicationId: id,
    datasetId: R,
    versions: [],
    applicant: researcher.sub,
    purpose: 'flow test',
    allocationId: 'alloc-flow',
    users: [researcher.sub],
    start: now.toISOString(),
    end: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
    siteId: 'kisti6',
    terms: { digest: 'a'.repeat(64), acceptedAt: now.toISOString() },
    state: 'submitted',
    decisions: [],
    reminders: 0,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...over,
  };
  await commitDatahub({ actor: { sub: researcher.sub, role: 'researcher' }, requestId: `seed-${id}` }, { changes: [applicationChange(null, app, 'dataset.access-application.submit')] });
  return app;
}

function start(applicationId: string, waits: { reminderSeconds: number; maxReminders: number }) {
  return w.sfn.executions.start(w.machineArn, { applicationId, ...waits }, { name: applicationId });
}
const stored = async (appId: string) => getItem(datahubKeys.application(appId));
async function tokenStored(appId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await stored(appId))?.taskToken) {
    if (Date.now() > deadline) throw new Error(`no task token stored on ${appId}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const stepsOf = (appId: string) => w.steps.filter((s) => s.applicationId === appId).map((s) => s.step);

describe('the access decision flow, from the file', () => {
  it('waits for the committee with a task token; the decision resumes the waiting task and the flow ends at Approved', async () => {
    const app = await seedApplication();
    const exec = start(app.applicationId, { reminderSeconds: 3600, maxReminders: 2 });
    await tokenStored(app.applicationId);
    expect(w.sfn.tasks.pending({ executionArn: exec.executionArn }).map((t) => t.stateName)).toEqual(['AwaitDecision']);
    const r = await api(steward, 'POST', `/v1/datahub/access-applications/${app.applicationId}/decision`, { decision: 'approve', comment: 'fine' });
    expect(r.body.state).toBe('approved');
    const done = await w.sfn.executions.waitFor(exec.executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'IsSubmitted', 'AwaitDecision', 'Decided', 'Approved']);
    expect(stepsOf(app.applicationId)).toEqual(['register', 'awaitDecision']);
    // the decision drops the token: nothing can answer a task that no longer waits
    expect((await stored(app.applicationId))?.taskToken).toBeUndefined();
  });

  it('without a decision: a reminder after each wait (audited on the application), then after maxReminders it expires and closes the application', async () => {
    const app = await seedApplication();
    const exec = start(app.applicationId, { reminderSeconds: 1, maxReminders: 2 });
    const done = await w.sfn.executions.waitFor(exec.executionArn, { timeoutMs: 20_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'IsSubmitted', 'AwaitDecision', 'Remind', 'RemindedEnough', 'AwaitDecision', 'Remind', 'RemindedEnough', 'Expire', 'Expired']);
    const events = await auditOf(w.fx, `dh-application/${app.applicationId}`);
    expect(events.map((e) => e.action)).toEqual([
      'dataset.access-application.submit',
      'dataset.access-application.await-committee',
      'dataset.access-application.remind',
      'dataset.access-application.await-committee',
      'dataset.access-application.remind',
      'dataset.access-application.expire',
    ]);
    expect(events.filter((e) => e.action.endsWith('.remind')).map((e) => [e.actor, e.details.reminders])).toEqual([
      ['system:datahub-access-flow', 1],
      ['system:datahub-access-flow', 2],
    ]);
    const seen = await api(researcher, 'GET', `/v1/datahub/access-applications/${app.applicationId}`);
    expect(seen.body).toMatchObject({ state: 'closed', reminders: 2, closedReason: 'no decision within the committee deadline' });
  });

  it('a decision between reminders ends the flow at the next Remind, without expiring it', async () => {
    const app = await seedApplication();
    const exec = start(app.applicationId, { reminderSeconds: 1, maxReminders: 5 });
    await tokenStored(app.applicationId);
    // withdrawn directly in the table, as if the API's answer to the task had been lost: the flow re-reads the application
    const item = (await stored(app.applicationId))!;
    await commitDatahub(
      { actor: { sub: researcher.sub, role: 'researcher' }, requestId: `lost-${app.applicationId}` },
      { changes: [applicationChange(item, { ...app, state: 'closed', closedReason: 'withdrawn by the applicant' }, 'dataset.access-application.withdraw')] },
    );
    const done = await w.sfn.executions.waitFor(exec.executionArn, { timeoutMs: 20_000 });
    expect(done.status).toBe('SUCCEEDED');
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'IsSubmitted', 'AwaitDecision', 'Remind', 'RemindedEnough', 'Done']);
    expect((await api(researcher, 'GET', `/v1/datahub/access-applications/${app.applicationId}`)).body.state).toBe('closed');
  });

  it('an application decided before its flow ran ends at once (a retried start is harmless)', async () => {
    const app = await seedApplication({ state: 'rejected' });
    const exec = start(app.applicationId, { reminderSeconds: 3600, maxReminders: 2 });
    expect((await w.sfn.executions.waitFor(exec.executionArn)).status).toBe('SUCCEEDED');
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'IsSubmitted', 'Done']);
  });

  it('a missing application ends in the error path (Missing): nothing to wait for, nothing written', async () => {
    const appId = `dha-${'z'.repeat(26)}`;
    const exec = start(appId, { reminderSeconds: 1, maxReminders: 1 });
    const done = await w.sfn.executions.waitFor(exec.executionArn);
    expect([done.status, done.error]).toEqual(['FAILED', 'ApplicationMissing']);
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'Missing']);
    expect(await auditOf(w.fx, `dh-application/${appId}`)).toEqual([]);
  });

  it('any other failure goes to RecordError: the application shows state error with the cause, and the execution fails', async () => {
    const app = await seedApplication();
    w.failStep.set('awaitDecision', () => Object.assign(new Error('the committee task could not be stored'), { name: 'Boom' }));
    let exec;
    try {
      exec = start(app.applicationId, { reminderSeconds: 3600, maxReminders: 2 });
      const done = await w.sfn.executions.waitFor(exec.executionArn);
      expect([done.status, done.error]).toEqual(['FAILED', 'AccessFlowError']);
    } finally {
      w.failStep.delete('awaitDecision');
    }
    expect(enteredStates(w.sfn.executions.history(exec.executionArn))).toEqual(['Register', 'IsSubmitted', 'AwaitDecision', 'RecordError', 'Error']);
    const seen = await api(steward, 'GET', `/v1/datahub/access-applications/${app.applicationId}`);
    expect(seen.body).toMatchObject({ state: 'error', error: expect.stringMatching(/^Boom: /) });
    expect((await auditOf(w.fx, `dh-application/${app.applicationId}`)).map((e) => e.action)).toEqual(['dataset.access-application.submit', 'dataset.access-application.error']);
  });

  it('an application made through the API starts its flow named after it, with the configured waits', async () => {
    const r = await api(researcher, 'POST', `/v1/datasets/${R}/access-applications`, applicationBody('alloc-flow'));
    expect(r.status).toBe(201);
    const [exec] = w.sfn.executions.list({ stateMachineArn: w.machineArn }).filter((e) => e.executionArn.endsWith(`:${r.body.applicationId}`));
    expect(exec).toBeDefined();
    expect(JSON.parse(w.sfn.executions.describe(exec.executionArn).input)).toEqual({ applicationId: r.body.applicationId, reminderSeconds: 3600, maxReminders: 2 });
    await tokenStored(r.body.applicationId);
    expect((await api(researcher, 'POST', `/v1/datahub/access-applications/${r.body.applicationId}/withdraw`)).body.state).toBe('closed');
    expect((await w.sfn.executions.waitFor(exec.executionArn)).status).toBe('SUCCEEDED');
  });
});
