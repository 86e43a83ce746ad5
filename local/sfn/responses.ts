// The API's answers about executions and state machines, shaped as Step Functions shapes them
// (which fields each operation includes, the fixed logging and tracing settings of a local
// machine). The service (service.ts) finds the records; this turns one into an answer.
import type * as Sfn from '@aws-sdk/client-sfn';
import type { Execution, MachineRecord } from './execution';

/** A local machine logs nothing and traces nothing: what every describe operation answers (a new object each time). */
const logging = (): Sfn.LoggingConfiguration => ({ level: 'OFF', includeExecutionData: false });
const tracing = (): Sfn.TracingConfiguration => ({ enabled: false });

export function describeExecutionOutput(execution: Execution): Sfn.DescribeExecutionOutput {
  return {
    ...executionListItem(execution),
    input: execution.input,
    inputDetails: { included: true },
    output: execution.output,
    outputDetails: execution.output === undefined ? undefined : { included: true },
    error: execution.error,
    cause: execution.cause,
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  };
}

/** StartSyncExecution's answer for a closed execution (an aborted one reads FAILED: the sync API has no ABORTED). */
export function syncExecutionOutput(machine: MachineRecord, execution: Execution): Sfn.StartSyncExecutionOutput {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: machine.arn,
    name: execution.executionName,
    startDate: execution.startDate,
    stopDate: execution.stopDate,
    status: execution.status === 'ABORTED' ? 'FAILED' : (execution.status as Sfn.SyncExecutionStatus),
    error: execution.error,
    cause: execution.cause,
    input: execution.input,
    inputDetails: { included: true },
    output: execution.output,
    outputDetails: { included: true },
  };
}

export function executionListItem(execution: Execution): Sfn.ExecutionListItem {
  return {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.executionName,
    status: execution.status,
    startDate: execution.startDate,
    stopDate: execution.stopDate,
  };
}

export function describeStateMachineOutput(machine: MachineRecord): Sfn.DescribeStateMachineOutput {
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    status: 'ACTIVE',
    definition: machine.definitionString,
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: machine.creationDate,
    loggingConfiguration: logging(),
    tracingConfiguration: tracing(),
  };
}

export function describeStateMachineForExecutionOutput(machine: MachineRecord): Sfn.DescribeStateMachineForExecutionOutput {
  return {
    stateMachineArn: machine.arn,
    name: machine.name,
    definition: machine.definitionString,
    roleArn: machine.roleArn,
    updateDate: machine.creationDate,
    loggingConfiguration: logging(),
    tracingConfiguration: tracing(),
  };
}

export function stateMachineListItem(machine: MachineRecord): Sfn.StateMachineListItem {
  return { stateMachineArn: machine.arn, name: machine.name, type: machine.type, creationDate: machine.creationDate };
}
