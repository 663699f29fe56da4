/**
 * What an auditor can search the log by, shared by the pages, the API, exports and the CLI:
 * one parser for untrusted query strings and one pure matcher that states the semantics the SQL
 * in audit-query.ts must reproduce.
 */
import { actingIdentityOfEntry } from './acting-identity.ts';
import type { AuditEntry } from './audit-types.ts';

export interface AuditSearch {
  /** Inclusive lower bound on `ts`, normalised to ISO-8601 UTC with milliseconds. */
  from?: string;
  /** Exclusive upper bound on `ts`, normalised like `from`. */
  to?: string;
  agentId?: string;
  /**
   * Whose permissions were used: `agent:<id>` (the managed identity), or the approver whose OBO
   * token was used. Matches the recorded value, or the identity as acting-identity.ts reads it
   * (so `agent:<id>` also finds entries written before 011 recorded the UAMI's principal id).
   */
  actingIdentity?: string;
  approverId?: string;
  action?: string;
  /** Segment-aware, case-insensitive: `/subscriptions/s/resourceGroups/rg1` matches itself and what lies under it, not rg10. */
  scopePrefix?: string;
  requestId?: string;
  eventType?: string;
  outcome?: string;
  /**
   * An incident (src/incidents): its own entries (subject = incident id) and every entry of the
   * operation requests tied to it (trigger kind `incident`, ref = the incident id).
   */
  incidentId?: string;
}

/** The exact-match fields and their audit_log columns (fixed names, never taken from input). */
export const EXACT_SEARCH_FIELDS = [
  ['agentId', 'agent_id'],
  ['actingIdentity', 'acting_identity'],
  ['approverId', 'approver_id'],
  ['action', 'action'],
  ['requestId', 'request_id'],
  ['eventType', 'event_type'],
  ['outcome', 'outcome'],
] as const satisfies ReadonlyArray<readonly [keyof AuditSearch, string]>;

export type ExactSearchField = (typeof EXACT_SEARCH_FIELDS)[number][0];

export const SEARCH_PARAMS: ReadonlyArray<keyof AuditSearch> = ['from', 'to', ...EXACT_SEARCH_FIELDS.map(([f]) => f), 'scopePrefix', 'incidentId'];

/** A bad search parameter; the message is one line and safe to show (it quotes no long input). */
export class AuditSearchError extends Error {
  override name = 'AuditSearchError';
}

const MAX_VALUE = 1024;
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * An ISO-8601 date or date-time as the UTC instant the log's `ts` column compares with. A time
 * without a zone is UTC. A bare date is the start of that day for `from`, and for `to` the start
 * of the next day, so "to 2026-03-05" includes all of the 5th. Undefined: no bound (see below).
 */
export function parseInstant(value: string, bound: 'from' | 'to'): string | undefined {
  const m = INSTANT.exec(value);
  if (!m) throw new AuditSearchError(`${bound} must be an ISO-8601 date or date-time such as 2026-03-01 or 2026-03-01T12:00:00Z`);
  const dateOnly = m[4] === undefined;
  const text = dateOnly ? `${value}T00:00:00Z` : m[8] === undefined ? `${value}Z` : value;
  const ms = Date.parse(text);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Date.parse rolls 2026-02-30 over into March; a calendar date that does not exist is an error.
  const check = new Date(Date.UTC(year, month - 1, day));
  if (Number.isNaN(ms) || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) {
    throw new AuditSearchError(`${bound} is not a valid date`);
  }
  const instant = dateOnly && bound === 'to' ? ms + 86_400_000 : ms;
  // The log's timestamps are four-digit years, compared as text. Past 9999 toISOString writes
  // `+010000-…`, which sorts before every one of them, so "to 9999-12-31" matched nothing; before
  // year 0 it writes `-000001-…`. An instant outside the years the log can hold is no bound on
  // the side it opens (nothing is later than year 9999, nothing earlier than year 0) and a
  // search that cannot match on the other.
  if (instant >= FIRST_INSTANT_AFTER_9999 || instant < FIRST_INSTANT_OF_YEAR_0) {
    const opens = (bound === 'to') === instant >= FIRST_INSTANT_AFTER_9999;
    if (opens) return undefined;
    throw new AuditSearchError(`${bound} lies outside the years 0000 to 9999, so nothing in the log could match`);
  }
  return new Date(instant).toISOString();
}

const FIRST_INSTANT_AFTER_9999 = Date.UTC(10000, 0, 1);
const FIRST_INSTANT_OF_YEAR_0 = new Date('0000-01-01T00:00:00Z').getTime();

/** ASCII-only lower-casing, exactly SQLite's lower() without ICU. */
export function asciiLower(value: string): string {
  return value.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/** A scope prefix as compared: ASCII lower case, no trailing slash, one leading slash. */
export function normaliseScopePrefix(value: string): string {
  const trimmed = value.trim().replace(/\/+$/, '');
  if (!trimmed.startsWith('/') || trimmed.length < 2 || trimmed.includes('//')) {
    throw new AuditSearchError('scopePrefix must be an ARM scope such as /subscriptions/<id>/resourceGroups/<name>');
  }
  return asciiLower(trimmed);
}

/** True when `scope` is `prefix` or lies under it, segment by segment, ignoring ASCII case. */
export function scopeWithin(scope: string | null, prefix: string): boolean {
  if (scope === null) return false;
  const s = asciiLower(scope);
  const p = normaliseScopePrefix(prefix);
  return s === p || (s.startsWith(p) && s.charAt(p.length) === '/');
}

/**
 * The reference semantics of a search, entry by entry. `incidentRequests`: the ids of the requests
 * tied to `search.incidentId` (the query reads them from the requests' triggers).
 */
export function matchesSearch(entry: AuditEntry, search: AuditSearch, incidentRequests: ReadonlySet<string> = new Set()): boolean {
  if (search.incidentId !== undefined && entry.subject !== search.incidentId && !(entry.requestId !== null && incidentRequests.has(entry.requestId))) return false;
  if (search.from !== undefined && entry.ts < search.from) return false;
  if (search.to !== undefined && entry.ts >= search.to) return false;
  for (const [field] of EXACT_SEARCH_FIELDS) {
    const wanted = search[field];
    if (wanted === undefined || entry[field] === wanted) continue;
    if (field === 'actingIdentity' && actingIdentityOfEntry(entry)?.id === wanted) continue;
    return false;
  }
  return search.scopePrefix === undefined || scopeWithin(entry.scope, search.scopePrefix);
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new AuditSearchError(`${name} may be given once`);
  if (typeof value !== 'string') throw new AuditSearchError(`${name} must be text`);
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (trimmed.length > MAX_VALUE) throw new AuditSearchError(`${name} is longer than ${MAX_VALUE} characters`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new AuditSearchError(`${name} contains control characters`);
  return trimmed;
}

/**
 * Parses a search from untrusted parameters (a URL query, CLI flags). Empty values are unset.
 * Names outside SEARCH_PARAMS and `allowed` are refused, so a typo never silently widens a search.
 */
export function parseAuditSearch(params: Record<string, unknown>, allowed: readonly string[] = []): AuditSearch {
  for (const name of Object.keys(params)) {
    if (!(SEARCH_PARAMS as readonly string[]).includes(name) && !allowed.includes(name)) {
      throw new AuditSearchError(`unknown search parameter ${JSON.stringify(name.slice(0, 40))}; known: ${SEARCH_PARAMS.join(', ')}`);
    }
  }
  const search: AuditSearch = {};
  const from = text('from', params.from);
  const to = text('to', params.to);
  const fromInstant = from === undefined ? undefined : parseInstant(from, 'from');
  const toInstant = to === undefined ? undefined : parseInstant(to, 'to');
  if (fromInstant !== undefined) search.from = fromInstant;
  if (toInstant !== undefined) search.to = toInstant;
  if (search.from !== undefined && search.to !== undefined && search.from >= search.to) {
    throw new AuditSearchError('from must be before to');
  }
  for (const [field] of EXACT_SEARCH_FIELDS) {
    const value = text(field, params[field]);
    if (value !== undefined) search[field] = value;
  }
  const incident = text('incidentId', params.incidentId);
  if (incident !== undefined) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(incident)) throw new AuditSearchError('incidentId must be an incident id (a GUID)');
    search.incidentId = incident.toLowerCase();
  }
  const scope = text('scopePrefix', params.scopePrefix);
  if (scope !== undefined) search.scopePrefix = normaliseScopePrefix(scope);
  return search;
}

/** The search as query parameters, for links (next page, export, timeline back-links). */
export function searchToParams(search: AuditSearch): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of SEARCH_PARAMS) {
    const value = search[name];
    if (value !== undefined) params.set(name, value);
  }
  return params;
}

export function isEmptySearch(search: AuditSearch): boolean {
  return SEARCH_PARAMS.every((name) => search[name] === undefined);
}
