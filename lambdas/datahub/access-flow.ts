// The access decision flow's Lambda: one function for every Task state of
// statemachines/datahub-access.asl.json, chosen by `step`. The input is parsed first (a malformed one
// is refused with a MalformedEventError before any step runs); errors are thrown as they are, so
// their name becomes the state's Error for the definition's Retry and Catch. Every change it makes
// to an application is an audited commit as `system:datahub-access-flow`.
import * as z from 'zod/mini';
import { applyExpire, APPLICATION_ID, type Application } from '../domain/datahub/application';
import { logger } from '../shared/log';
import { parseEvent } from '../shared/validation';
import { datahubKeys } from '../shared/store/keys';
import { retryOnStale, type AuditContext } from '../shared/store/write-path';
import { applicationChange, applicationOf } from './application-items';
import { recordFlowError } from './applications';
import { completeAccessTask } from './access-sfn';
import { commitDatahub, getItem } from './store';

const AppId = z.string().check(z.regex(APPLICATION_ID));
export const AccessStepSchema = z.discriminatedUnion('step', [
  z.strictObject({ step: z.literal('register'), applicationId: AppId }),
  z.strictObject({ step: z.literal('awaitDecision'), applicationId: AppId, taskToken: z.string().check(z.minLength(1), z.maxLength(4096)) }),
  z.strictObject({ step: z.literal('remind'), applicationId: AppId }),
  z.strictObject({ step: z.literal('expire'), applicationId: AppId }),
  z.strictObject({ step: z.literal('recordError'), applicationId: AppId, error: z.optional(z.unknown()) }),
]);
export type AccessStep = z.infer<typeof AccessStepSchema>;

/** The application is gone: nothing to wait for (the definition ends the flow in its error state). */
export class ApplicationMissing extends Error {
  override name = 'ApplicationMissing';
}

const ctxOf = (step: string, appId: string): AuditContext => ({ actor: { sub: 'system:datahub-access-flow', role: 'system' }, requestId: `flow:${appId}:${step}` });

async function read(appId: string) {
  const item = await getItem(datahubKeys.application(appId));
  if (!item) throw new ApplicationMissing(`No access application ${appId}`);
  return { item, app: applicationOf(item) };
}

const stateOf = (app: Application) => ({ state: app.state, reminders: app.reminders });

/** Stores the committee task's token on the application; a decision that came first answers the task at once. */
async function awaitDecision(appId: string, taskToken: string) {
  await retryOnStale(async () => {
    const { item, app } = await read(appId);
    if (app.state !== 'submitted') {
      await completeAccessTask(taskToken, { state: app.state });
      return;
    }
    await commitDatahub(ctxOf('await', appId), { changes: [applicationChange(item, { ...app, updatedAt: new Date().toISOString() }, 'dataset.access-application.await-committee', { reminders: app.reminders }, taskToken)] });
  });
  return {};
}

/** A reminder to the committee (an audited event on the application); the flow then waits again or gives up. */
async function remind(appId: string) {
  return retryOnStale(async () => {
    const { item, app } = await read(appId);
    if (app.state !== 'submitted') return stateOf(app);
    const next = { ...app, reminders: app.reminders + 1, updatedAt: new Date().toISOString() };
    await commitDatahub(ctxOf('remind', appId), { changes: [applicationChange(item, next, 'dataset.access-application.remind', { reminders: next.reminders })] });
    return stateOf(next);
  });
}

async function expire(appId: string) {
  return retryOnStale(async () => {
    const { item, app } = await read(appId);
    const next = applyExpire(app, new Date());
    if (!next) return stateOf(app);
    await commitDatahub(ctxOf('expire', appId), { changes: [applicationChange(item, next, 'dataset.access-application.expire', { reminders: app.reminders })] });
    return stateOf(next);
  });
}

function run(e: AccessStep): Promise<unknown> {
  switch (e.step) {
    case 'register':
      return read(e.applicationId).then(({ app }) => stateOf(app));
    case 'awaitDecision':
      return awaitDecision(e.applicationId, e.taskToken);
    case 'remind':
      return remind(e.applicationId);
    case 'expire':
      return expire(e.applicationId);
    case 'recordError': {
      const err = e.error as { Error?: string; Cause?: string } | undefined;
      return recordFlowError(e.applicationId, `${err?.Error ?? 'Error'}: ${err?.Cause ?? 'the decision flow failed'}`, ctxOf('error', e.applicationId)).then((a) => (a ? stateOf(a) : {}));
    }
  }
}

export async function handler(event: unknown): Promise<unknown> {
  const e = parseEvent(AccessStepSchema, event, 'the access flow step input');
  try {
    return await run(e);
  } catch (err) {
    logger.warn('access flow step failed', { step: e.step, applicationId: e.applicationId, error: (err as Error).name });
    throw err;
  }
}
