import type { Request } from 'express';
import { armErrors } from './arm-errors.ts';

/**
 * ARM-style paging: a page of `value` and, when more remain, an absolute `nextLink` that repeats
 * the request with an opaque `$skiptoken`. Offsets are read at request time, so an item added or
 * removed between pages can shift the rest by one (as ARM's own lists can).
 */
export function queryParam(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw armErrors.invalidParameter(`The query parameter '${name}' is repeated or malformed.`);
  return v;
}

export function pageOf<T>(req: Request, origin: string, path: string, items: T[], defaultPageSize: number): { value: T[]; nextLink?: string } {
  const topRaw = queryParam(req, '$top');
  let size = defaultPageSize;
  if (topRaw !== undefined) {
    if (!/^\d{1,4}$/.test(topRaw) || Number(topRaw) < 1 || Number(topRaw) > 1000) throw armErrors.invalidParameter(`The value '${topRaw.slice(0, 20)}' of $top is invalid; it must be between 1 and 1000.`);
    size = Number(topRaw);
  }
  let offset = 0;
  const token = queryParam(req, '$skiptoken');
  if (token !== undefined) {
    try {
      const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown };
      if (typeof parsed.o !== 'number' || !Number.isInteger(parsed.o) || parsed.o < 0) throw new Error('bad offset');
      offset = parsed.o;
    } catch {
      throw armErrors.invalidSkipToken();
    }
  }
  const value = items.slice(offset, offset + size);
  if (offset + size >= items.length) return { value };
  const next = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) if (k !== '$skiptoken' && typeof v === 'string') next.set(k, v);
  next.set('$skiptoken', Buffer.from(JSON.stringify({ o: offset + size })).toString('base64url'));
  return { value, nextLink: `${origin}${path.split('/').map(encodeURIComponent).join('/')}?${next.toString()}` };
}
