// Errors the connector Lambdas raise to Step Functions (and to EventBridge's async retries), by a
// stable name, so ASL Retry/Catch can match them. Names are set explicitly: a bundled, minified
// class would otherwise report a mangled constructor name as its error type.
import { isSchedulerError } from './driver';
import { StaleWriteError } from '../shared/store/write-path';
import { KairrError } from '../domain/errors';

export const STEP_ERROR = {
  /** The scheduler or a store is unreachable or busy: retried with backoff (provisioning.asl.json). */
  transient: 'Connector.Transient',
  /** The scheduler refused, or the input cannot be served: the flow's Catch marks the allocation. */
  permanent: 'Connector.Permanent',
  /** The allocation (or job) does not exist. */
  notFound: 'Connector.NotFound',
} as const;

export class StepError extends Error {
  constructor(name: (typeof STEP_ERROR)[keyof typeof STEP_ERROR], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

const TRANSIENT_AWS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TransactionConflictException',
  'TimeoutError',
  'TooManyRequestsException',
]);
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

export function isTransient(e: unknown): boolean {
  if (isSchedulerError(e)) return e.retryable;
  if (e instanceof StaleWriteError) return true;
  const err = e as { name?: string; code?: string; $retryable?: unknown; cause?: { code?: string } };
  return TRANSIENT_AWS.has(err?.name ?? '') || TRANSIENT_NET.has(err?.code ?? '') || TRANSIENT_NET.has(err?.cause?.code ?? '') || !!err?.$retryable;
}

export function asStepError(e: unknown): StepError {
  if (e instanceof StepError) return e;
  const message = e instanceof Error ? e.message : String(e);
  if (isTransient(e)) return new StepError(STEP_ERROR.transient, message, { cause: e });
  if (isSchedulerError(e) && e.kind === 'not-found') return new StepError(STEP_ERROR.permanent, message, { cause: e });
  if (e instanceof KairrError && e.status === 404) return new StepError(STEP_ERROR.notFound, message, { cause: e });
  return new StepError(STEP_ERROR.permanent, message, { cause: e });
}
