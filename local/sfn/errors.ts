// Two kinds of error live here.
//  - SfnApiError: a failed API call, serialised by the HTTP layer as {"__type", "message"} so that
//    @aws-sdk/client-sfn raises its own exception class (ExecutionDoesNotExist, TaskTimedOut...).
//  - Task errors: what a Task state fails with inside an execution. aws-local-stepfunctions matches
//    Retry/Catch ErrorEquals against error.name and reports error.message as the Cause.

export type SfnApiErrorCode =
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'ExecutionLimitExceeded'
  | 'InvalidArn'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidName'
  | 'InvalidOutput'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'StateMachineTypeNotSupported'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'SerializationException';

export class SfnApiError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: SfnApiErrorCode,
    message: string,
    statusCode = 400,
  ) {
    super(message);
    this.name = code;
    this.statusCode = statusCode;
  }
}

/** A Task failure that Retry/Catch can match by name. */
export class TaskFailure extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/**
 * Marks an error so that the library neither retries nor catches it, like States.Runtime.
 * Used for local misconfiguration (unknown resource, missing handler) and for executions that
 * were stopped: a Catch on States.ALL must not hide those.
 */
export function fatal<E extends Error>(error: E): E {
  Object.defineProperties(error, {
    isRetryable: { value: false, enumerable: false },
    isCatchable: { value: false, enumerable: false },
  });
  return error;
}

export function describeError(error: unknown): { name: string; message: string } {
  if (error instanceof Error) return { name: error.name || 'Error', message: error.message };
  if (error && typeof error === 'object') {
    const shaped = error as { errorType?: unknown; errorMessage?: unknown; name?: unknown; message?: unknown };
    const name = typeof shaped.errorType === 'string' ? shaped.errorType : typeof shaped.name === 'string' ? shaped.name : 'Error';
    const message = typeof shaped.errorMessage === 'string' ? shaped.errorMessage : typeof shaped.message === 'string' ? shaped.message : JSON.stringify(error);
    return { name, message };
  }
  return { name: 'Error', message: String(error) };
}
