import { canonicalDetails, type AuditRowContent } from './audit-hash.ts';
import { AuditAppendError } from './audit-errors.ts';
import { ACTOR_KINDS, type AuditInput, type JsonObject, type JsonValue } from './audit-types.ts';

/** An entry ready to be written: everything but the seq and ts the writer assigns. */
export type PreparedEntry = Omit<AuditRowContent, 'seq' | 'ts'>;

const EVENT_TYPE = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)+$/;
const MAX_EVENT_TYPE = 100;
const MAX_FIELD = 4096;
const MAX_DETAILS = 64 * 1024;
const MAX_DEPTH = 32;

/** Same shape the logger scrubs: a token must never be stored, even in an audit record. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const REDACTED = '[redacted-jwt]';

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function reject(message: string): never {
  throw new AuditAppendError(`audit entry rejected: ${message}`);
}

function cleanString(value: string, what: string, max: number): string {
  if (value.length > max) reject(`${what} is longer than ${max} characters`);
  // Lone surrogates cannot be encoded as UTF-8 faithfully, so they would not survive storage.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) {
    reject(`${what} contains a lone surrogate`);
  }
  return value.replace(JWT_SHAPE, REDACTED);
}

/**
 * A string for one of the entry's own text columns. PostgreSQL's text type cannot hold U+0000
 * ("invalid byte sequence for encoding UTF8: 0x00",
 * https://www.postgresql.org/docs/current/datatype-character.html), so an entry carrying one
 * would fail to append there: a requester could make their own refusal unauditable on one engine
 * only. Both engines therefore record it as U+FFFD, before hashing, so a chain reads the same on
 * either. `details` keeps NUL faithfully: it is stored as JSON text, where NUL is escaped.
 */
function columnString(value: string, what: string, max: number): string {
  return cleanString(value, what, max).replaceAll('\u0000', '\uFFFD');
}

function optionalField(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') reject(`${what} must be a string`);
  return columnString(value, what, MAX_FIELD);
}

function cleanJson(value: unknown, path: string, depth: number): JsonValue {
  if (depth > MAX_DEPTH) reject(`details nest deeper than ${MAX_DEPTH} levels`);
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) reject(`${path} is not a finite number`);
    return value;
  }
  if (typeof value === 'string') return cleanString(value, path, MAX_DETAILS);
  if (Array.isArray(value)) return value.map((v, i) => cleanJson(v, `${path}[${i}]`, depth + 1));
  if (typeof value === 'object' && isPlainObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const key = cleanString(k, `a key in ${path}`, MAX_FIELD);
      // defineProperty: a hostile "__proto__" key stays a plain data property.
      Object.defineProperty(out, key, { value: cleanJson(v, `${path}.${key}`, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return reject(`${path} is not plain JSON (got ${Array.isArray(value) ? 'array' : typeof value === 'object' ? 'an object with a prototype' : typeof value})`);
}

/**
 * Validates and normalises an append input. Strings are recorded faithfully (they are evidence,
 * hostile or not) within length limits, except JWT-shaped text, which is redacted, and NUL in the
 * entry's own columns, which becomes U+FFFD (see columnString).
 */
export function prepareEntry(input: AuditInput): PreparedEntry {
  if (typeof input !== 'object' || input === null) reject('input must be an object');
  const actor = input.actor as unknown;
  if (typeof actor !== 'object' || actor === null) reject('actor is required');
  const { kind, id, name } = actor as Record<string, unknown>;
  if (!ACTOR_KINDS.includes(kind as never)) reject(`actor.kind must be one of ${ACTOR_KINDS.join(', ')}`);
  if (typeof id !== 'string' || id.length === 0) reject('actor.id must be a non-empty string');
  if (typeof input.eventType !== 'string' || input.eventType.length > MAX_EVENT_TYPE || !EVENT_TYPE.test(input.eventType)) {
    reject('eventType must be a dotted lower-case name such as operation.requested');
  }
  const rawDetails = input.details ?? {};
  if (typeof rawDetails !== 'object' || rawDetails === null || Array.isArray(rawDetails)) reject('details must be a JSON object');
  const details = canonicalDetails(cleanJson(rawDetails, 'details', 0) as JsonObject);
  if (details.length > MAX_DETAILS) reject(`details exceed ${MAX_DETAILS} characters of JSON`);

  return {
    actor_kind: kind as string,
    actor_id: columnString(id, 'actor.id', MAX_FIELD),
    actor_name: optionalField(name, 'actor.name'),
    event_type: input.eventType,
    subject: optionalField(input.subject, 'subject'),
    agent_id: optionalField(input.agentId, 'agentId'),
    request_id: optionalField(input.requestId, 'requestId'),
    action: optionalField(input.action, 'action'),
    scope: optionalField(input.scope, 'scope'),
    outcome: optionalField(input.outcome, 'outcome'),
    acting_identity: optionalField(input.actingIdentity, 'actingIdentity'),
    approver_id: optionalField(input.approverId, 'approverId'),
    details,
  };
}
