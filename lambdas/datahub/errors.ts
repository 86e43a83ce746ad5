// The data hub's one error of its own: content negotiation found no rendering the caller accepts.
import { KairrError } from '../domain/errors';

export class NotAcceptableError extends KairrError {
  constructor(message: string) {
    super(406, 'not_acceptable', message, [{ path: 'headers.Accept', problem: 'names no rendering of this version' }]);
  }
}
