// Task resource integrations: what a Task state does, by Resource ARN, once its Parameters are
// resolved. Results and error names follow the real service integrations, so that the same
// ResultSelector, Retry and Catch work locally and in AWS.
import * as DynamoDB from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { describeError, fatal, TaskFailure } from './errors';
import type { JsonValue } from './definition';

/** What a handler learns about the Task that called it. */
export interface TaskContext {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  stateName: string;
  /** The Task's Resource, as written in the definition. */
  resource: string;
  /** Set for .waitForTaskToken tasks: the token SendTaskSuccess/SendTaskFailure must carry. */
  taskToken?: string;
  /** Aborted when the task ends for any other reason (timeout, execution stopped, service stopped). */
  signal: AbortSignal;
  /** Set by the service: a handler that only waits for something outside it may mark the task parked. */
  activity?: { working(): void; parked(): void };
}

/** An EventBridge PutEvents entry as the API takes it (Detail is a JSON string). */
export interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  EventBusName?: string;
  Resources?: string[];
  Time?: Date;
  TraceHeader?: string;
}

export interface PutEventsResult {
  FailedEntryCount?: number;
  Entries?: Array<{ EventId?: string; ErrorCode?: string; ErrorMessage?: string }>;
}

export interface SnsPublishInput {
  TopicArn?: string;
  TargetArn?: string;
  PhoneNumber?: string;
  Message: string;
  Subject?: string;
  MessageStructure?: string;
  MessageAttributes?: Record<string, unknown>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export interface SqsSendMessageInput {
  QueueUrl: string;
  MessageBody: string;
  DelaySeconds?: number;
  MessageAttributes?: Record<string, unknown>;
  MessageGroupId?: string;
  MessageDeduplicationId?: string;
}

export type ResourceHandler = (parameters: unknown, ctx: TaskContext) => Promise<unknown>;

export interface LocalSfnTaskHandlers {
  /**
   * Runs a Lambda function and returns what it returned. A function error must reject: with the
   * thrown Error itself (its name becomes the task's Error), or with an object shaped like the
   * Lambda runtime's error payload ({ errorType, errorMessage, trace }). Reject with a
   * LambdaServiceError for failures of the invoke itself (function not found...).
   */
  invokeLambda(functionArnOrName: string, payload: unknown, ctx: TaskContext): Promise<unknown>;
  /** arn:aws:states:::events:putEvents */
  putEvents?(entries: PutEventsEntry[], ctx: TaskContext): Promise<PutEventsResult>;
  /** arn:aws:states:::sns:publish */
  publishSns?(input: SnsPublishInput, ctx: TaskContext): Promise<{ MessageId?: string; SequenceNumber?: string }>;
  /** arn:aws:states:::sqs:sendMessage */
  sendSqsMessage?(input: SqsSendMessageInput, ctx: TaskContext): Promise<{ MessageId?: string; MD5OfMessageBody?: string; SequenceNumber?: string }>;
  /**
   * Any other integration, keyed by the resource without its .waitForTaskToken/.sync suffix
   * (for example "arn:aws:states:::aws-sdk:s3:putObject"). Checked before the built-in ones.
   */
  resources?: Record<string, ResourceHandler>;
}

/** Thrown by invokeLambda for a failed invoke (not a function error): surfaces as Lambda.<name>. */
export class LambdaServiceError extends Error {
  constructor(exceptionName: string, message: string) {
    super(message);
    this.name = exceptionName;
  }
}

export interface NestedExecutions {
  start(input: { stateMachineArn: string; input: string; name?: string }): { executionArn: string; startDate: Date };
  waitUntilClosed(executionArn: string, signal: AbortSignal): Promise<ClosedExecution>;
  stop(executionArn: string, error: string, cause: string): Promise<void>;
}

export interface ClosedExecution {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface IntegrationEnv {
  handlers: LocalSfnTaskHandlers;
  dynamoDb(): DynamoDB.DynamoDBClient;
  nested: NestedExecutions;
}

const LAMBDA_FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[^:]+:\d{12}:function:[^:]+(:[^:]+)?$/;
const OPTIMISED_DYNAMODB = new Set(['getItem', 'putItem', 'updateItem', 'deleteItem']);

export function isLambdaFunctionArn(resource: string): boolean {
  return LAMBDA_FUNCTION_ARN.test(resource);
}

/** resourceType/resource as the history shows them: "lambda" / "invoke.waitForTaskToken". */
export function describeResource(resource: string): { resourceType: string; resource: string } {
  const match = /^arn:aws[\w-]*:states:::(.+)$/.exec(resource);
  if (!match) return { resourceType: 'lambda', resource };
  const rest = match[1];
  const split = rest.lastIndexOf(':');
  return split < 0 ? { resourceType: rest, resource: rest } : { resourceType: rest.slice(0, split), resource: rest.slice(split + 1) };
}

/**
 * Calls the integration behind a resource. `pattern` is "request" for everything except the
 * .sync variants of states:startExecution (the callback wait is the task runner's job).
 */
export async function callIntegration(base: string, pattern: 'request' | 'sync' | 'sync:2', parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  const custom = env.handlers.resources?.[base];
  if (custom) return toJson(await custom(parameters, ctx));

  const stateArn = /^arn:aws[\w-]*:states:::(.+)$/.exec(base);
  if (pattern !== 'request' && stateArn?.[1] !== 'states:startExecution') {
    throw unsupported(`${base}.${pattern}`, 'only states:startExecution supports .sync locally');
  }
  if (isLambdaFunctionArn(base)) return invokeLambda(base, parameters, ctx, env);
  if (!stateArn) throw unsupported(base, 'not a Lambda function ARN or an arn:aws:states::: integration');

  const integration = stateArn[1];
  if (integration === 'lambda:invoke') return lambdaInvokeIntegration(parameters, ctx, env);
  if (integration.startsWith('dynamodb:')) return dynamoDbIntegration(integration.slice('dynamodb:'.length), parameters, env);
  if (integration.startsWith('aws-sdk:dynamodb:')) return awsSdkDynamoDb(integration.slice('aws-sdk:dynamodb:'.length), parameters, env);
  if (integration === 'events:putEvents') return putEventsIntegration(parameters, ctx, env);
  if (integration === 'sns:publish') return snsPublishIntegration(parameters, ctx, env);
  if (integration === 'sqs:sendMessage') return sqsSendMessageIntegration(parameters, ctx, env);
  if (integration === 'states:startExecution') return startExecutionIntegration(pattern, parameters, ctx, env);
  throw unsupported(base, 'no local implementation; pass one in taskHandlers.resources');
}

function unsupported(resource: string, why: string): Error {
  return fatal(new TaskFailure('LocalSfn.UnsupportedResource', `Task resource "${resource}" cannot run locally: ${why}`));
}

function missingHandler(resource: string, option: string): Error {
  return fatal(new TaskFailure('LocalSfn.NoHandler', `Task resource "${resource}" needs taskHandlers.${option}, which was not given`));
}

// ---- Lambda -------------------------------------------------------------------------------

async function invokeLambda(functionName: string, payload: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  try {
    return toJson(await env.handlers.invokeLambda(functionName, payload, ctx));
  } catch (error) {
    throw lambdaFailure(error);
  }
}

/** A function error as Step Functions reports it: Error = errorType, Cause = the error payload. */
export function lambdaFailure(error: unknown): TaskFailure {
  if (error instanceof LambdaServiceError) return new TaskFailure(`Lambda.${error.name}`, error.message);
  const { name, message } = describeError(error);
  const shaped = error as { trace?: unknown; stack?: unknown } | undefined;
  const trace = Array.isArray(shaped?.trace) ? shaped!.trace : typeof shaped?.stack === 'string' ? shaped.stack.split('\n') : [];
  return new TaskFailure(name, JSON.stringify({ errorType: name, errorMessage: message, trace }));
}

async function lambdaInvokeIntegration(parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  const params = asObject(parameters, 'arn:aws:states:::lambda:invoke');
  const functionName = params.FunctionName;
  if (typeof functionName !== 'string') throw new TaskFailure('States.Runtime', 'lambda:invoke requires a string FunctionName parameter');
  const qualified = typeof params.Qualifier === 'string' ? `${functionName}:${params.Qualifier}` : functionName;
  // Invoke without a Payload delivers an empty object, as the Lambda API does.
  const payload = params.Payload === undefined ? {} : params.Payload;
  if (params.InvocationType === 'Event') {
    // Fire and forget, as the Event invocation type does; a function error is not the task's.
    void Promise.resolve()
      .then(() => env.handlers.invokeLambda(qualified, payload, ctx))
      .catch(() => undefined);
    return { ...sdkMetadata(202), Payload: '', StatusCode: 202 };
  }
  const result = await invokeLambda(qualified, payload, ctx, env);
  return { ExecutedVersion: '$LATEST', Payload: result, ...sdkMetadata(200), StatusCode: 200 };
}

// ---- DynamoDB -------------------------------------------------------------------------------

async function dynamoDbIntegration(action: string, parameters: unknown, env: IntegrationEnv): Promise<JsonValue> {
  if (!OPTIMISED_DYNAMODB.has(action)) throw unsupported(`arn:aws:states:::dynamodb:${action}`, 'optimised DynamoDB integrations are getItem/putItem/updateItem/deleteItem');
  const output = await sendDynamoDb(action, parameters, env, 'DynamoDB');
  return { ...output, ...sdkMetadata(200) };
}

async function awsSdkDynamoDb(action: string, parameters: unknown, env: IntegrationEnv): Promise<JsonValue> {
  return sendDynamoDb(action, parameters, env, 'DynamoDb');
}

async function sendDynamoDb(action: string, parameters: unknown, env: IntegrationEnv, errorPrefix: string): Promise<Record<string, JsonValue>> {
  const commandName = `${action.charAt(0).toUpperCase()}${action.slice(1)}Command`;
  const Command = (DynamoDB as unknown as Record<string, unknown>)[commandName] as (new (input: unknown) => DynamoDB.GetItemCommand) | undefined;
  if (typeof Command !== 'function') throw unsupported(`dynamodb:${action}`, `@aws-sdk/client-dynamodb has no ${commandName}`);
  try {
    const { $metadata: _metadata, ...output } = (await env.dynamoDb().send(new Command(parameters))) as unknown as Record<string, unknown>;
    return toJson(output) as Record<string, JsonValue>;
  } catch (error) {
    throw dynamoDbFailure(error, errorPrefix);
  }
}

function dynamoDbFailure(error: unknown, prefix: string): TaskFailure {
  const { name, message } = describeError(error);
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  if (!metadata?.httpStatusCode) {
    // No HTTP response at all: the local DynamoDB is unreachable or the request could not be built.
    return new TaskFailure(`${prefix}.SdkClientException`, `Unable to execute HTTP request: ${message}`);
  }
  const requestId = metadata.requestId ?? randomUUID();
  return new TaskFailure(`${prefix}.${name}`, `${message} (Service: AmazonDynamoDBv2; Status Code: ${metadata.httpStatusCode}; Error Code: ${name}; Request ID: ${requestId}; Proxy: null)`);
}

// ---- EventBridge, SNS, SQS ------------------------------------------------------------------

async function putEventsIntegration(parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  if (!env.handlers.putEvents) throw missingHandler('arn:aws:states:::events:putEvents', 'putEvents');
  const params = asObject(parameters, 'events:putEvents');
  if (!Array.isArray(params.Entries)) throw new TaskFailure('States.Runtime', 'events:putEvents requires an Entries array');
  // In the service integration Detail may be a JSON object; the API takes a string.
  const entries: PutEventsEntry[] = params.Entries.map((entry) => {
    const { Detail, Time, ...rest } = asObject(entry, 'events:putEvents entry');
    return {
      ...(rest as PutEventsEntry),
      ...(Detail === undefined ? {} : { Detail: typeof Detail === 'string' ? Detail : JSON.stringify(Detail) }),
      ...(Time === undefined ? {} : { Time: new Date(Time as string) }),
    };
  });
  const result = await env.handlers.putEvents(entries, ctx);
  const output = { Entries: (result.Entries ?? []).map((entry) => ({ ...entry })), FailedEntryCount: result.FailedEntryCount ?? 0 };
  if (output.FailedEntryCount > 0) throw new TaskFailure('EventBridge.FailedEntry', JSON.stringify(output));
  return toJson(output);
}

async function snsPublishIntegration(parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  if (!env.handlers.publishSns) throw missingHandler('arn:aws:states:::sns:publish', 'publishSns');
  const { Message, ...rest } = asObject(parameters, 'sns:publish');
  const input = { ...rest, Message: typeof Message === 'string' ? Message : JSON.stringify(Message) } as SnsPublishInput;
  const result = await env.handlers.publishSns(input, ctx);
  return toJson({ ...result, ...sdkMetadata(200) });
}

async function sqsSendMessageIntegration(parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  if (!env.handlers.sendSqsMessage) throw missingHandler('arn:aws:states:::sqs:sendMessage', 'sendSqsMessage');
  const { MessageBody, ...rest } = asObject(parameters, 'sqs:sendMessage');
  const input = { ...rest, MessageBody: typeof MessageBody === 'string' ? MessageBody : JSON.stringify(MessageBody) } as SqsSendMessageInput;
  const result = await env.handlers.sendSqsMessage(input, ctx);
  return toJson({ ...result, ...sdkMetadata(200) });
}

// ---- Nested executions ----------------------------------------------------------------------

async function startExecutionIntegration(pattern: 'request' | 'sync' | 'sync:2', parameters: unknown, ctx: TaskContext, env: IntegrationEnv): Promise<JsonValue> {
  const params = asObject(parameters, 'states:startExecution');
  if (typeof params.StateMachineArn !== 'string') throw new TaskFailure('States.Runtime', 'states:startExecution requires a StateMachineArn');
  const input = params.Input === undefined ? '{}' : typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input);
  let started: { executionArn: string; startDate: Date };
  try {
    started = env.nested.start({ stateMachineArn: params.StateMachineArn, input, name: typeof params.Name === 'string' ? params.Name : undefined });
  } catch (error) {
    const { name, message } = describeError(error);
    throw new TaskFailure(`StepFunctions.${name}`, message);
  }
  if (pattern === 'request') return { ExecutionArn: started.executionArn, StartDate: started.startDate.getTime(), ...sdkMetadata(200) };

  const onParentStop = () => void env.nested.stop(started.executionArn, 'States.Aborted', 'the parent execution stopped').catch(() => undefined);
  ctx.signal.addEventListener('abort', onParentStop, { once: true });
  // The child's own activity is counted on the child; the parent only waits for it.
  ctx.activity?.parked();
  try {
    const child = await env.nested.waitUntilClosed(started.executionArn, ctx.signal);
    ctx.activity?.working();
    const structured = pattern === 'sync:2';
    const description: Record<string, JsonValue> = {
      ExecutionArn: child.executionArn,
      StateMachineArn: child.stateMachineArn,
      Name: child.name,
      Status: child.status,
      StartDate: child.startDate.getTime(),
      StopDate: child.stopDate ? child.stopDate.getTime() : null,
      Input: structured ? (JSON.parse(child.input) as JsonValue) : child.input,
      InputDetails: { Included: true },
    };
    if (child.status === 'SUCCEEDED') {
      description.Output = structured ? (JSON.parse(child.output ?? 'null') as JsonValue) : (child.output ?? null);
      description.OutputDetails = { Included: true };
      return description;
    }
    if (child.error !== undefined) description.Error = child.error;
    if (child.cause !== undefined) description.Cause = child.cause;
    throw new TaskFailure('States.TaskFailed', JSON.stringify(description));
  } finally {
    ctx.signal.removeEventListener('abort', onParentStop);
  }
}

// ---- helpers --------------------------------------------------------------------------------

function sdkMetadata(statusCode: number): Record<string, JsonValue> {
  const requestId = randomUUID();
  return {
    SdkHttpMetadata: { HttpHeaders: { 'Content-Type': 'application/json', 'x-amzn-RequestId': requestId }, HttpStatusCode: statusCode },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new TaskFailure('States.Runtime', `${what}: Parameters must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Normalises a handler's return value to JSON (undefined becomes null, Dates become strings). */
export function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}
