// The provisioning flow's task function (statemachines/provisioning.asl.json invokes it with an
// "action"). Failures reach Step Functions under stable names (step-errors.ts) for Retry/Catch.
import { asStepError } from '../step-errors';
import { apply, fail, plan, record, type StepInput } from './steps';

export async function handler(input: StepInput): Promise<unknown> {
  try {
    switch (input.action) {
      case 'plan':
        return await plan(input);
      case 'apply':
        return await apply(input);
      case 'record':
        return await record(input);
      case 'fail':
        return await fail(input);
    }
    throw new Error(`unknown action ${(input as { action?: string }).action}`);
  } catch (e) {
    throw asStepError(e);
  }
}
