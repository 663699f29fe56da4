import type { SqlValue } from '../store/database.ts';
import type { AuditRow } from './audit-hash.ts';
import type { ActorKind, AuditEntry, AuditFilter, JsonObject } from './audit-types.ts';
import { asciiLower } from './audit-search.ts';

export const ROW_COLUMNS =
  'seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash';

/**
 * The entry an append just wrote, its details parsed only if the caller reads them: most callers
 * of `append` (every decision-only query, issue 18) ignore what it returns, and parsing the text
 * back was work and garbage on every append. The details text is the canonical JSON the writer
 * stored, so a reader gets exactly what `get(seq)` would give; the parse happens once.
 */
export function appendedEntry(row: AuditRow): AuditEntry {
  let parsed: JsonObject | undefined;
  return {
    seq: row.seq,
    ts: row.ts,
    actor: { kind: row.actor_kind as ActorKind, id: row.actor_id, name: row.actor_name },
    eventType: row.event_type,
    subject: row.subject,
    agentId: row.agent_id,
    requestId: row.request_id,
    action: row.action,
    scope: row.scope,
    outcome: row.outcome,
    actingIdentity: row.acting_identity,
    approverId: row.approver_id,
    get details(): JsonObject {
      return (parsed ??= JSON.parse(row.details) as JsonObject);
    },
    set details(value: JsonObject) {
      parsed = value;
    },
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** An entry read back from the table: its details are parsed at once, so a row whose text does not parse fails here. */
export function rowToEntry(row: AuditRow): AuditEntry {
  const entry = appendedEntry(row);
  void entry.details;
  return entry;
}

/** Filter field -> column; the names are fixed here, never taken from input. */
const EXACT: ReadonlyArray<[keyof AuditFilter, string]> = [
  ['agentId', 'agent_id'],
  ['requestId', 'request_id'],
  ['action', 'action'],
  ['scope', 'scope'],
  ['outcome', 'outcome'],
  ['actingIdentity', 'acting_identity'],
  ['approverId', 'approver_id'],
  ['eventType', 'event_type'],
  ['actorId', 'actor_id'],
  ['subject', 'subject'],
];

/** WHERE terms (joined with AND) and their parameters for a filter; throws on a bad filter. */
export function filterClause(filter: AuditFilter): { terms: string[]; params: SqlValue[] } {
  const terms: string[] = [];
  const params: SqlValue[] = [];
  for (const [field, column] of EXACT) {
    const value = filter[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new TypeError(`audit filter ${field} must be a string`);
    if (column === 'scope') {
      // Read through audit_log_by_scope_lower, the one scope index (migration 021); the exact
      // comparison after it keeps the filter case-sensitive, as it always was.
      terms.push('lower(scope) = ? AND scope = ?');
      params.push(asciiLower(value), value);
      continue;
    }
    terms.push(`${column} = ?`);
    params.push(value);
  }
  if (filter.fromSeq !== undefined) {
    terms.push('seq >= ?');
    params.push(wholeNumber(filter.fromSeq, 'fromSeq'));
  }
  if (filter.toSeq !== undefined) {
    terms.push('seq <= ?');
    params.push(wholeNumber(filter.toSeq, 'toSeq'));
  }
  return { terms, params };
}

export function wholeNumber(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`audit ${what} must be a whole number`);
  }
  return value;
}
