import type { SqlValue } from '../store/database.ts';
import type { AuditRow } from './audit-hash.ts';
import type { ActorKind, AuditEntry, AuditFilter, JsonObject } from './audit-types.ts';
import { asciiLower } from './audit-search.ts';

export const ROW_COLUMNS =
  'seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash';

export function rowToEntry(row: AuditRow): AuditEntry {
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
    details: JSON.parse(row.details) as JsonObject,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
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
