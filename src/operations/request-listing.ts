/**
 * The agent's request list: query parsing (limit, opaque cursor, state filter) and keyset pages
 * newest first on (createdAt, id). The cursor is the last item's key, base64url JSON, checked
 * strictly on the way back in.
 */
import { REQUEST_STATES, type OperationRequest, type RequestState } from './operation-types.ts';
import { invalidRequest, type FieldError, type InvalidRequest } from './validate-operation.ts';

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;

export interface ListQuery {
  limit?: unknown;
  cursor?: unknown;
  state?: unknown;
}

export interface RequestPage {
  items: OperationRequest[];
  nextCursor: string | null;
}

export type ParsedListQuery =
  | { ok: true; limit: number; after: { createdAt: string; id: string } | undefined; state: RequestState | undefined }
  | { ok: false; error: InvalidRequest };

export function encodeCursor(r: Pick<OperationRequest, 'createdAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([r.createdAt, r.id]), 'utf8').toString('base64url');
}

const CURSOR_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function decodeCursor(cursor: string): { createdAt: string; id: string } | undefined {
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'string' || typeof value[1] !== 'string') return undefined;
    // Only the shape ids have (UUIDs): a cursor is the client's to hand back, and text such as
    // NUL would reach the store, where PostgreSQL's text type refuses it with an error, not a 400.
    if (!/^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/.test(value[0]) || !CURSOR_ID.test(value[1])) return undefined;
    return { createdAt: value[0], id: value[1] };
  } catch {
    return undefined;
  }
}

export function parseListQuery(query: ListQuery): ParsedListQuery {
  const fields: FieldError[] = [];
  let limit = DEFAULT_PAGE;
  if (query.limit !== undefined) {
    limit = typeof query.limit === 'string' && /^\d{1,4}$/.test(query.limit) ? Number(query.limit) : NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE)) fields.push({ path: 'limit', message: `expected a whole number from 1 to ${MAX_PAGE}` });
  }
  let after: { createdAt: string; id: string } | undefined;
  if (query.cursor !== undefined) {
    after = typeof query.cursor === 'string' ? decodeCursor(query.cursor) : undefined;
    if (!after) fields.push({ path: 'cursor', message: 'expected a cursor returned by a previous page' });
  }
  let state: RequestState | undefined;
  if (query.state !== undefined) {
    if (typeof query.state === 'string' && (REQUEST_STATES as readonly string[]).includes(query.state)) state = query.state as RequestState;
    else fields.push({ path: 'state', message: `expected one of ${REQUEST_STATES.join(', ')}` });
  }
  return fields.length > 0 ? { ok: false, error: invalidRequest(fields) } : { ok: true, limit, after, state };
}

/** `rows` holds up to limit + 1 items: the extra one only says another page follows. */
export function pageOf(rows: OperationRequest[], limit: number): RequestPage {
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1]!) : null };
}
