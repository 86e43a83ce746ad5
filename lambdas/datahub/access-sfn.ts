// The access decision flow's Step Functions calls (statemachines/datahub-access.asl.json), with the
// client created once per execution environment. The machine's ARN arrives as
// DATAHUB_ACCESS_STATE_MACHINE_ARN (set by the construct); locally the SDK reaches the local service
// through AWS_ENDPOINT_URL_SFN.
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { requireEnv } from '../shared/config';
import { datahubConfig } from './config';

let client: SFNClient | undefined;
const sfn = () => (client ??= new SFNClient({ maxAttempts: 4 }));

export const accessMachineArn = () => requireEnv('DATAHUB_ACCESS_STATE_MACHINE_ARN');

/** What the flow starts with (checked by the flow's first step). */
export interface AccessFlowInput {
  applicationId: string;
  reminderSeconds: number;
  maxReminders: number;
}

/** One execution per application, named after it: a retried start is the same execution. */
export async function startAccessFlow(applicationId: string): Promise<string> {
  const { reminderSeconds, maxReminders } = datahubConfig().access;
  const input: AccessFlowInput = { applicationId, reminderSeconds, maxReminders };
  const out = await sfn().send(new StartExecutionCommand({ stateMachineArn: accessMachineArn(), name: applicationId, input: JSON.stringify(input) }));
  return out.executionArn ?? `${accessMachineArn().replace(':stateMachine:', ':execution:')}:${applicationId}`;
}

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Completes the committee's waiting task; 'gone' when it no longer waits (the flow's next step re-reads the application). */
export async function completeAccessTask(taskToken: string, output: Record<string, unknown>): Promise<'sent' | 'gone'> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
    return 'sent';
  } catch (e) {
    if (GONE.has((e as Error).name)) return 'gone';
    throw e;
  }
}
