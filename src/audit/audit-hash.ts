import { hash as oneShotHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { JsonObject } from './audit-types.ts';

/**
 * The hash chain, as pure functions so an external verifier can be written from this file alone:
 *
 *   hash(n) = lowercase hex SHA-256 of UTF-8( prev_hash(n) + JCS(content(n)) )
 *   prev_hash(n) = hash(n-1); for the first entry, the anchor's hash or 64 zeros
 *
 * where content(n) is the JSON object of every audit_log column except prev_hash and hash, keyed
 * by column name, with `details` as its canonical JSON *text* (a string), and JCS is RFC 8785.
 * Hashing the stored details text, rather than re-canonicalising parsed JSON, means any byte
 * change to the column breaks the chain, and verification needs no JSON parse.
 */

export const GENESIS_HASH = '0'.repeat(64);

/** The audit_log columns covered by the hash, in table order. */
export const CONTENT_COLUMNS = [
  'seq',
  'ts',
  'actor_kind',
  'actor_id',
  'actor_name',
  'event_type',
  'subject',
  'agent_id',
  'request_id',
  'action',
  'scope',
  'outcome',
  'acting_identity',
  'approver_id',
  'details',
] as const;

export type ContentColumn = (typeof CONTENT_COLUMNS)[number];

/** One audit_log row as stored. */
export interface AuditRow {
  seq: number;
  ts: string;
  actor_kind: string;
  actor_id: string;
  actor_name: string | null;
  event_type: string;
  subject: string | null;
  agent_id: string | null;
  request_id: string | null;
  action: string | null;
  scope: string | null;
  outcome: string | null;
  acting_identity: string | null;
  approver_id: string | null;
  /** Canonical JSON text of the details object. */
  details: string;
  prev_hash: string;
  hash: string;
}

export type AuditRowContent = Pick<AuditRow, ContentColumn>;

function jcs(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON representation');
  return text;
}

/**
 * The canonical JSON of a row's content; extra properties on `row` are ignored.
 *
 * The content is a flat object with fixed ASCII keys whose values are strings, null or a safe
 * integer, so its RFC 8785 form is exactly `JSON.stringify` of the object with the keys inserted
 * in code-unit order: JCS serialises strings and numbers as ECMAScript does, and JSON.stringify
 * keeps insertion order for such keys. Taking that shortcut here (the library is ~5x slower on
 * this hot path, which verification runs a million times) is checked against the library by
 * the tests on hostile and non-ASCII rows. Anything else (a number that is not a safe integer, a
 * non-string value) goes through the library, so it is never silently mis-serialised.
 */
export function canonicalContent(row: AuditRowContent): string {
  for (const column of CONTENT_COLUMNS) {
    const v = row[column];
    const plain = column === 'seq' ? Number.isSafeInteger(v) : v === null || typeof v === 'string';
    if (!plain) return jcs(pick(row));
  }
  // Keys in code-unit order: acting_identity < action < actor_* < agent_id < approver_id < ...
  return JSON.stringify({
    acting_identity: row.acting_identity,
    action: row.action,
    actor_id: row.actor_id,
    actor_kind: row.actor_kind,
    actor_name: row.actor_name,
    agent_id: row.agent_id,
    approver_id: row.approver_id,
    details: row.details,
    event_type: row.event_type,
    outcome: row.outcome,
    request_id: row.request_id,
    scope: row.scope,
    seq: row.seq,
    subject: row.subject,
    ts: row.ts,
  });
}

function pick(row: AuditRowContent): AuditRowContent {
  const out: Partial<Record<ContentColumn, unknown>> = {};
  for (const column of CONTENT_COLUMNS) out[column] = row[column];
  return out as AuditRowContent;
}

export function computeEntryHash(prevHash: string, row: AuditRowContent): string {
  return hashOfContent(prevHash, canonicalContent(row));
}

/** The entry hash from its canonical content text (canonicalContent), for a caller that keeps the text. */
export function hashOfContent(prevHash: string, content: string): string {
  return oneShotHash('sha256', prevHash + content, 'hex');
}

/** RFC 8785 text of a details object (throws on lone surrogates, NaN, Infinity, cycles). */
export function canonicalDetails(details: JsonObject): string {
  return jcs(details);
}

export function isHashHex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}
