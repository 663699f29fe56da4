/**
 * Keeps the exact bytes of a JSON body beside the parsed value, for the routes that check a
 * signature over them (the alert intake's HMAC mode) or remember what they validated by them
 * (POST /api/v1/decisions); everywhere else the bytes are dropped.
 */
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';

export interface RawBodyRequest extends Request {
  rawBody?: Buffer;
}

/** A `verify` hook for express.json: keeps `req.rawBody` for requests under `prefix`. */
export function keepRawBodyUnder(prefix: string) {
  return (req: IncomingMessage, _res: unknown, buf: Buffer) => {
    if ((req.url ?? '').startsWith(`${prefix}/`)) (req as RawBodyRequest).rawBody = buf;
  };
}

/** A `verify` hook for express.json: keeps `req.rawBody` for every request the parser reads. */
export function keepRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  (req as RawBodyRequest).rawBody = buf;
}
