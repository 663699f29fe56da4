import type { AuditRowContent } from './audit-hash.ts';
import { AuditAppendError } from './audit-errors.ts';
import { ACTOR_KINDS, type AuditInput } from './audit-types.ts';

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

/**
 * `what` names the field in a rejection: a name, or where in the details the string sits (as the
 * value there, or as a key of the object there), so a valid entry builds no names.
 */
function cleanString(value: string, what: string | PathTrail, max: number, isKey = false): string {
  if (value.length > max) reject(`${nameOf(what, isKey)} is longer than ${max} characters`);
  // Lone surrogates cannot be encoded as UTF-8 faithfully, so they would not survive storage.
  // isWellFormed is exactly "no lone surrogate" (ES2024), native rather than a look-around pattern.
  if (!value.isWellFormed()) reject(`${nameOf(what, isKey)} contains a lone surrogate`);
  // Every JWT starts with `eyJ` (base64url of `{"`): a string without it has nothing to redact.
  return value.includes('eyJ') ? value.replace(JWT_SHAPE, REDACTED) : value;
}

function nameOf(what: string | PathTrail, isKey: boolean): string {
  if (typeof what === 'string') return what;
  return isKey ? `a key in ${what.text()}` : what.text();
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

/**
 * The details object as RFC 8785 (JCS) text, checked and cleaned in the same pass: strings
 * within limits and without lone surrogates, JWT-shaped text redacted (keys too), numbers finite,
 * only plain objects and arrays, at most MAX_DEPTH levels (which also stops a cycle). Undefined
 * members are dropped, as JSON drops them; if two keys become the same once redacted, the later
 * one's value is kept, as assigning them in order would.
 *
 * One pass instead of a cleaned copy serialised by the canonicalize library (issue 18): this runs
 * for every audit entry, on the event loop, and the copy and the library's own checks were two
 * walks and a second object graph per entry. JCS serialises strings and finite numbers as
 * ECMAScript's JSON.stringify does and sorts keys by UTF-16 code units, as Array.prototype.sort
 * does (RFC 8785 sections 3.2.2 and 3.2.3); test/audit/audit-input.test.ts checks this against
 * the library on generated JSON.
 */
function canonicalCleanJson(value: unknown, path: PathTrail, depth: number): string {
  if (depth > MAX_DEPTH) reject(`details nest deeper than ${MAX_DEPTH} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) reject(`${path.text()} is not a finite number`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(cleanString(value, path, MAX_DETAILS));
  }
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out += (i === 0 ? '' : ',') + canonicalCleanJson(value[i], path, depth + 1);
      path.pop();
    }
    return `${out}]`;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    const keys: string[] = [];
    const texts: string[] = [];
    let redactedKey = false;
    let sorted = true;
    for (const key of Object.keys(value)) {
      const member: unknown = (value as Record<string, unknown>)[key];
      if (member === undefined) continue;
      const clean = cleanString(key, path, MAX_FIELD, true);
      if (clean !== key) redactedKey = true;
      else if (sorted && keys.length > 0 && keys[keys.length - 1]! > clean) sorted = false;
      path.push(clean);
      texts.push(canonicalCleanJson(member, path, depth + 1));
      path.pop();
      keys.push(clean);
    }
    // Object keys are distinct, and stay so unless one was redacted: then no map is needed, and a
    // small object is put in order in place (most details' objects have a handful of keys).
    if (redactedKey || (!sorted && keys.length > SMALL_OBJECT)) return sortedMembers(keys, texts);
    if (!sorted) insertionSort(keys, texts);
    let out = '{';
    for (let i = 0; i < keys.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${texts[i]!}`;
    return `${out}}`;
  }
  return reject(`${path.text()} is not plain JSON (got ${typeof value === 'object' ? 'an object with a prototype' : typeof value})`);
}

/** Objects of at most this many keys are sorted in place; insertion sort is quadratic, so larger ones are not. */
const SMALL_OBJECT = 16;

/** Sorts `keys` (distinct) in code-unit order, moving `texts` alongside. */
function insertionSort(keys: string[], texts: string[]): void {
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    const text = texts[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) {
      keys[j + 1] = keys[j]!;
      texts[j + 1] = texts[j]!;
    }
    keys[j + 1] = key;
    texts[j + 1] = text;
  }
}

/**
 * Members in code-unit order of their keys. A key seen again (two keys redacted alike) takes the
 * later value, as assigning them in order would.
 */
function sortedMembers(keys: string[], texts: string[]): string {
  const members = new Map<string, string>();
  for (let i = 0; i < keys.length; i++) members.set(keys[i]!, texts[i]!);
  const order = [...members.keys()].sort();
  let out = '{';
  for (let i = 0; i < order.length; i++) out += `${i === 0 ? '' : ','}${JSON.stringify(order[i])}:${members.get(order[i]!)!}`;
  return `${out}}`;
}

/**
 * Where in the details a value sits (`details.a[2].b`), for rejection messages only: kept as a
 * stack of keys and indexes and joined only when a message needs it, so a valid entry builds no
 * path strings.
 */
class PathTrail {
  private readonly parts: Array<string | number> = [];
  text(): string {
    let out = 'details';
    for (const p of this.parts) out += typeof p === 'number' ? `[${p}]` : `.${p}`;
    return out;
  }
  push(part: string | number): void {
    this.parts.push(part);
  }
  pop(): void {
    this.parts.pop();
  }
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
  const details = canonicalCleanJson(rawDetails, new PathTrail(), 0);
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
