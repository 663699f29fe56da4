/**
 * Opaque page cursors for the audit API. A cursor names the last entry a page returned and the
 * direction of travel; it grants nothing (every page is filtered and authorised afresh), so it
 * needs no signature, only strict parsing.
 */

export type AuditOrder = 'desc' | 'asc';

export interface AuditCursor {
  order: AuditOrder;
  /** The seq of the last entry returned: the next page continues past it. */
  seq: number;
}

export class AuditCursorError extends Error {
  override name = 'AuditCursorError';
}

const PREFIX = 'c1.';
const BODY = /^(d|a)([1-9][0-9]{0,15})$/;

export function encodeCursor(cursor: AuditCursor): string {
  return PREFIX + Buffer.from(`${cursor.order === 'desc' ? 'd' : 'a'}${cursor.seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(value: string): AuditCursor {
  if (typeof value !== 'string' || !value.startsWith(PREFIX) || value.length > 64 || !/^[A-Za-z0-9_-]+$/.test(value.slice(PREFIX.length))) {
    throw new AuditCursorError('cursor is not one this service issued');
  }
  const m = BODY.exec(Buffer.from(value.slice(PREFIX.length), 'base64url').toString('utf8'));
  const seq = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(seq)) throw new AuditCursorError('cursor is not one this service issued');
  return { order: m[1] === 'd' ? 'desc' : 'asc', seq };
}
