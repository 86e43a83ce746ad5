// The approval flow's Step Functions calls, with the client created once per execution environment.
// The state machine's ARN arrives in the environment (APPROVAL_STATE_MACHINE_ARN, set by the
// construct); locally the SDK reaches the local service through AWS_ENDPOINT_URL_SFN.
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/config';
import { logger } from '../shared/log';

let client: SFNClient | undefined;
const sfn = () => (client ??= new SFNClient({ maxAttempts: 4 }));

export function stateMachineArn(): string {
  return requireEnv('APPROVAL_STATE_MACHINE_ARN');
}

/** One execution per submission round; the name makes a retried start the same execution. */
export function executionName(proposalId: string, round: number): string {
  return `${proposalId}-r${round}`;
}

export function executionArnOf(name: string): string {
  return `${stateMachineArn().replace(':stateMachine:', ':execution:')}:${name}`;
}

export async function startFlow(proposalId: string, round: number): Promise<string> {
  const out = await sfn().send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: executionName(proposalId, round), input: JSON.stringify({ proposalId, round }) }));
  return out.executionArn ?? executionArnOf(executionName(proposalId, round));
}

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Completes a waiting task. 'gone' when the task no longer waits (it timed out, was answered, or
 * its execution stopped): the flow's own steps re-read the item, so nothing is lost then.
 */
export async function completeTask(taskToken: string, output: Record<string, unknown>): Promise<'sent' | 'gone'> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'sent';
  } catch (e) {
    if (GONE.has((e as Error).name)) {
      logger.info('the waiting task is gone; the flow re-reads the item', { error: (e as Error).name });
      return 'gone';
    }
    throw e;
  }
}

/** Stops a running execution (a withdrawal); an execution that already ended is left alone. */
export async function stopFlow(executionArn: string, cause: string): Promise<void> {
  try {
    await sfn().send(new StopExecutionCommand({ executionArn, error: 'ProposalWithdrawn', cause }));
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return;
    throw e;
  }
}
