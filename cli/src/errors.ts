// The CLI's typed errors, each with its exit code, mapped to output in one place (main.ts run()).
// Exit codes (issue 19): 0 OK, 1 an error, 2 a usage error; `job submit --wait` exits with the job's.
// The CLI's own errors carry a message of the catalogue (i18n.ts), rendered in the user's language
// when printed; their .message is the English rendering.
import { type Message, render } from './i18n';

/** One bad field, as the API's 4xx error shape names it. */
export interface FieldProblem {
  path: string;
  problem: string;
}

/** An answer of the API that is not a success: its status and the error shape's named fields. */
export class ApiError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldProblem[],
    /** The body as the API sent it (printed as-is under --json). */
    readonly body: unknown,
  ) {
    super(message);
  }
}

/** An error in the CLI's own words: a message of the catalogue. */
export abstract class LocalisedError extends Error {
  abstract readonly exitCode: number;
  readonly msg?: Message;
  // A plain string is not localised; cli/test/i18n.test.ts fails on any left in the sources.
  constructor(msg: Message | string) {
    super(typeof msg === 'string' ? msg : render('en', msg));
    if (typeof msg !== 'string') this.msg = msg;
  }
}

/** The user asked for something malformed (a bad flag value, a missing file): exit code 2. */
export class UsageError extends LocalisedError {
  readonly exitCode = 2;
}

/** Anything else the CLI itself refuses or cannot do (not logged in, an issuer that said no): exit code 1. */
export class CliError extends LocalisedError {
  readonly exitCode = 1;
}

/** Ends the program with a given code and nothing more to print (the job's exit code under --wait). */
export class ExitWith extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
