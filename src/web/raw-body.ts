/**
 * Keeps the exact bytes of a JSON body beside the parsed value, for the routes that check a
 * signature over them (the alert intake's HMAC mode) or remember what they validated by them
 * (POST /api/v1/decisions); everywhere else the bytes are dropped.
 *
 * The bytes are held in a WeakMap by request, not as a property of it: a property added to the
 * request object (whose shape Node, Express and the parsers have already grown) cost ~2 µs per
 * call on the agents' hot path in place, a WeakMap entry well under one (issue 18). The entry
 * goes with the request.
 */
import type { IncomingMessage } from 'node:http';

const kept = new WeakMap<object, Buffer>();

/** A `verify` hook for express.json: keeps the bytes of requests under `prefix`. */
export function keepRawBodyUnder(prefix: string) {
  return (req: IncomingMessage, _res: unknown, buf: Buffer) => {
    if ((req.url ?? '').startsWith(`${prefix}/`)) kept.set(req, buf);
  };
}

/** A `verify` hook for express.json: keeps the bytes of every request the parser reads. */
export function keepRawBody(req: IncomingMessage, _res: unknown, buf: Buffer): void {
  kept.set(req, buf);
}

/** The exact bytes the JSON parser read for this request, if a hook above kept them. */
export function rawBodyOf(req: object): Buffer | undefined {
  return kept.get(req);
}
