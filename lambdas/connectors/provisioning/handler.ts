// The provisioning flow's task function (statemachines/provisioning.asl.json invokes it with an
// "action"). The input is parsed against inputs.ts first. Failures reach Step Functions under stable
// names (step-errors.ts) for Retry/Catch: a malformed input is Connector.Permanent (its cause a
// MalformedEventError naming the field), so it is not retried and the allocation shows why.
import { parseEvent } from '../../shared/validation';
import { asStepError } from '../step-errors';
import { StepInputSchema } from './inputs';
import { apply, fail, plan, record } from './steps';

export async function handler(event: unknown): Promise<unknown> {
  try {
    const input = parseEvent(StepInputSchema, event, 'the provisioning step input');
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
  } catch (e) {
    throw asStepError(e);
  }
}
