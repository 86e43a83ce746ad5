// The pipeline flow's Step Functions calls, with the client created once per execution environment.
// The state machine's ARN arrives in the environment (PIPELINE_STATE_MACHINE_ARN, set by the
// construct); locally the SDK reaches the local service through AWS_ENDPOINT_URL_SFN.
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/config';
import { logger } from '../shared/log';
import { takeDoorbell } from './store';

let client: SFNClient | undefined;
const sfn = () => (client ??= new SFNClient({ maxAttempts: 4 }));

const stateMachineArn = () => requireEnv('PIPELINE_STATE_MACHINE_ARN');

/** One execution per run of a pipeline; the name makes a retried start the same execution. */
export function executionName(pipelineId: string, run: number): string {
  return `${pipelineId}-r${run}`;
}

/**
 * Starts the run's execution. Starting it again (a replayed create, a retried retry) is harmless:
 * Step Functions answers a start with the same name and input with the same execution, and one
 * with the same name that already ended with ExecutionAlreadyExists, which means it was started.
 */
export async function startRun(pipelineId: string, executionId: string): Promise<void> {
  try {
    await sfn().send(new StartExecutionCommand({ stateMachineArn: stateMachineArn(), name: executionId, input: JSON.stringify({ pipelineId, executionId }) }));
  } catch (e) {
    if ((e as Error).name === 'ExecutionAlreadyExists') return;
    throw e;
  }
}

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Rings the doorbell: the waiting flow plans again. A task that no longer waits is fine (it re-plans anyway). */
export async function ring(taskToken: string): Promise<'sent' | 'gone'> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    return 'sent';
  } catch (e) {
    if (GONE.has((e as Error).name)) {
      logger.info('the waiting task is gone; the flow re-plans by itself', { error: (e as Error).name });
      return 'gone';
    }
    throw e;
  }
}

/** After a change that bumped the pipeline to `version`: wakes the flow if it waits on an older one. */
export async function ringDoorbell(pipelineId: string, version: number): Promise<boolean> {
  const token = await takeDoorbell(pipelineId, { olderThan: version });
  if (!token) return false;
  await ring(token);
  return true;
}
