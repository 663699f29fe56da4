import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { HttpError } from './http-error.ts';

/** Requests answered with JSON errors: the API, and clients that do not accept HTML. */
export function wantsJson(req: Request): boolean {
  if (req.path === '/api' || req.path.startsWith('/api/')) return true;
  return req.accepts(['html', 'json']) !== 'html';
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new HttpError(404, 'not_found', req.path.startsWith('/api') ? 'no such API endpoint' : 'no such page'));
};

/** body-parser signals its own failures with `type`; they are client errors with a fixed message. */
const BODY_ERRORS: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'request body is not valid JSON'],
  'entity.too.large': [413, 'body_too_large', 'request body is too large'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'request body encoding is not supported'],
  'charset.unsupported': [415, 'unsupported_charset', 'request body charset is not supported'],
  'request.aborted': [400, 'request_aborted', 'request was aborted'],
  'parameters.too.many': [413, 'too_many_parameters', 'request has too many parameters'],
};

/**
 * The router decodes route parameters with decodeURIComponent before any handler runs; a
 * parameter that is not valid percent-encoding (`/approvals/%ZZ`, an overlong UTF-8 sequence)
 * throws a URIError the router marks 400. A client error: it must not read as our failure.
 */
function isMalformedParameter(err: unknown): boolean {
  return err instanceof URIError && (err as { status?: unknown }).status === 400;
}

function classify(err: unknown): { status: number; code: string; message: string; unexpected: boolean } {
  if (err instanceof HttpError) return { status: err.status, code: err.code, message: err.message, unexpected: false };
  if (isMalformedParameter(err)) return { status: 400, code: 'malformed_url', message: 'the URL is not valid percent-encoding', unexpected: false };
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string' && BODY_ERRORS[type]) {
    const [status, code, message] = BODY_ERRORS[type];
    return { status, code, message, unexpected: false };
  }
  return { status: 500, code: 'internal_error', message: 'something went wrong; the error has been logged', unexpected: true };
}

/**
 * Last in the chain: JSON `{error:{code,message}}` for the API, an HTML page for browsers. Only
 * messages we wrote reach the client; unexpected errors are logged with the request id and
 * answered generically (no stack, no internal message).
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  if (res.headersSent) return next(err);
  const { status, code, message, unexpected } = classify(err);
  if (unexpected) req.log?.error({ err: errorDetails(err) }, 'unhandled error');
  else if (status >= 500) req.log?.warn({ code, message }, 'request failed');
  res.status(status).set('Cache-Control', 'no-store');
  if (wantsJson(req)) {
    res.json({ error: { code, message } });
    return;
  }
  renderErrorPage(res, status, code, message, req.id);
};

/** The logger's scrubber walks own enumerable fields, which an Error has none of; flatten it first. */
function errorDetails(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { value: String(err) };
  return { type: err.name, message: err.message, stack: err.stack };
}

function renderErrorPage(res: Response, status: number, code: string, message: string, requestId: string | undefined): void {
  const view = status === 404 ? 'errors/404.njk' : 'errors/error.njk';
  res.render(view, { status, code, message, requestId }, (renderErr: Error | null, html?: string) => {
    if (renderErr || html === undefined) {
      // A broken template must not turn an error page into a second failure.
      res.type('text/plain').send(`${status} ${message}`);
      return;
    }
    res.type('html').send(html);
  });
}
