// The EventBridge API's errors, with the codes AWS answers (ValidationException, ...).
export class EventsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}
