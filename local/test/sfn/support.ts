// Shared fixtures for the local Step Functions tests: a fake Lambda fleet and history helpers.
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { TaskContext } from '../../sfn';

export const REGION = 'us-east-1';
export const ACCOUNT = '000000000000';

export function machineArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;
}

export function lambdaArn(name: string): string {
  return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
}

export function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({ endpoint, region: REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

export type LambdaFn = (payload: any, ctx: TaskContext) => unknown;

/** A registry of in-process "functions" addressed by name or ARN, recording every call. */
export class FakeLambdas {
  readonly calls: Array<{ name: string; payload: any; ctx: TaskContext }> = [];
  private readonly functions = new Map<string, LambdaFn>();

  define(name: string, fn: LambdaFn): void {
    this.functions.set(name, fn);
  }

  invoke = async (functionArnOrName: string, payload: unknown, ctx: TaskContext): Promise<unknown> => {
    const name = functionArnOrName.includes(':function:') ? functionArnOrName.split(':function:')[1].split(':')[0] : functionArnOrName;
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`test has no function named ${name}`);
    this.calls.push({ name, payload, ctx });
    return fn(payload, ctx);
  };

  callsTo(name: string): Array<{ payload: any; ctx: TaskContext }> {
    return this.calls.filter((call) => call.name === name);
  }
}

export function enteredStates(events: HistoryEvent[]): string[] {
  return events.filter((event) => event.type?.endsWith('StateEntered')).map((event) => event.stateEnteredEventDetails!.name!);
}

export function eventTypes(events: HistoryEvent[]): string[] {
  return events.map((event) => event.type!);
}

export class ConflictError extends Error {
  override name = 'ConflictError';
}
