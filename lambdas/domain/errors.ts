// Typed errors raised by domain logic and handlers. They carry an HTTP status, a stable code and
// field-level details; lambdas/shared/http/respond.ts maps them to the one error shape in ONE place.
// Anything that is not a KairrError becomes a bare 500 without internals.

export interface ErrorDetail {
  path: string;
  problem: string;
}

export class KairrError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed or a field is invalid. Always names the field(s). */
export class ValidationError extends KairrError {
  constructor(details: ErrorDetail[], message = 'The request is invalid') {
    super(400, 'validation_failed', message, details);
  }
  static field(path: string, problem: string): ValidationError {
    return new ValidationError([{ path, problem }], `${path} ${problem}`);
  }
}

/**
 * A payload from another part of KAIRR (a Lambda-to-Lambda event, a state machine step's input)
 * does not match its contract. Nothing was written. The name is set explicitly: a minified bundle
 * would otherwise report a mangled class name as the error type Step Functions and callers match.
 */
export class MalformedEventError extends KairrError {
  override name = 'MalformedEventError';
  constructor(what: string, details: ErrorDetail[]) {
    super(
      400,
      'malformed_event',
      `${what} is malformed: ${details
        .slice(0, 5)
        .map((d) => `${d.path || '(event)'} ${d.problem}`)
        .join('; ')}`,
      details,
    );
  }
}

export class UnauthorizedError extends KairrError {
  constructor(message = 'Authentication is required') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends KairrError {
  constructor(message = 'You are not allowed to do this') {
    super(403, 'forbidden', message);
  }
}

export class NotFoundError extends KairrError {
  constructor(what: string, id: string) {
    super(404, 'not_found', `${what} "${id}" was not found`);
  }
}

/** 409: the request conflicts with the current state (wrong state, lost a race, duplicate). */
export class ConflictError extends KairrError {
  constructor(message: string, details: ErrorDetail[] = [], code = 'conflict') {
    super(409, code, message, details);
  }
}

/** 422: well-formed, but a business rule refuses it (e.g. outside the call's window). */
export class RuleViolationError extends KairrError {
  constructor(message: string, details: ErrorDetail[] = [], code = 'rule_violation') {
    super(422, code, message, details);
  }
}

export class PayloadTooLargeError extends KairrError {
  constructor(message: string, details: ErrorDetail[] = []) {
    super(413, 'payload_too_large', message, details);
  }
}

/** 503: a dependency (a site's scheduler) is unavailable; safe to retry. */
export class UnavailableError extends KairrError {
  constructor(message: string) {
    super(503, 'unavailable', message);
  }
}
