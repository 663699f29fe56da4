/**
 * An error a route means to show: its status, a stable machine code and a message that is safe
 * for the client. Anything else that reaches the error handler is a 500 with a generic message.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message = 'no such page') => new HttpError(404, 'not_found', message);
export const badRequest = (message: string, code = 'bad_request') => new HttpError(400, code, message);
