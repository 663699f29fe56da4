/**
 * The run-time check of what is about to be sent to ARM (issue 11, item 3): the operation must
 * hash to the hash in the request's `operation.requested` audit entry, read from the hash-chained
 * log, not to the `operation_hash` column of the same row (someone able to change the body can
 * change that column too). The entry itself must still hash to its stored hash and link to its
 * neighbours, so rewriting it in place is caught as well; rewriting the chain from there on is what
 * signed checkpoints and `elevate audit verify` catch. What runs is what the chain says was asked
 * for, and (since approvals act on the request whose hash the chain holds) approved.
 */
import { chainStart } from '../audit/audit-anchor.ts';
import { computeEntryHash, type AuditRow } from '../audit/audit-hash.ts';
import { ROW_COLUMNS } from '../audit/audit-rows.ts';
import { OPERATION_AUDIT_EVENTS } from './operation-audit.ts';
import { operationHash } from './operation-hash.ts';
import type { OperationRequest } from './operation-types.ts';
import type { Database } from '../store/database.ts';

export type RequestedOperationCheck = { ok: true } | { ok: false; code: 'operation_mismatch' | 'requested_entry_invalid'; message: string };

const invalid = (message: string): RequestedOperationCheck => ({ ok: false, code: 'requested_entry_invalid', message });

function auditedHash(details: string): string | undefined {
  try {
    const parsed = JSON.parse(details) as { operation?: { operationHash?: unknown } };
    const h = parsed.operation?.operationHash;
    return typeof h === 'string' && /^[0-9a-f]{64}$/.test(h) ? h : undefined;
  } catch {
    return undefined;
  }
}

export function createRequestedOperationCheck(db: Pick<Database, 'fresh'>) {
  /** Fails closed: a missing, duplicated, altered or unlinked entry refuses as surely as a different hash. */
  return async function checkRequestedOperation(request: OperationRequest): Promise<RequestedOperationCheck> {
    // Fresh: the entry was appended (and committed) just before the request row was inserted.
    const rows = await db.fresh.all<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log WHERE request_id = ? AND event_type = ? ORDER BY seq LIMIT 2`, [
      request.id,
      OPERATION_AUDIT_EVENTS.requested,
    ]);
    if (rows.length !== 1) return invalid(rows.length === 0 ? 'the request has no operation.requested audit entry; refused' : 'the request has more than one operation.requested audit entry; refused');
    const row = rows[0]!;
    if (computeEntryHash(row.prev_hash, row) !== row.hash) return invalid('the operation.requested audit entry does not match its hash; refused');
    const start = await chainStart(db.fresh);
    const previous = row.seq - 1 <= start.seq ? start : await db.fresh.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', [row.seq - 1]);
    if (!previous || previous.hash !== row.prev_hash) return invalid('the operation.requested audit entry is not linked into the chain; refused');
    const next = await db.fresh.get<{ prev_hash: string }>('SELECT prev_hash FROM audit_log WHERE seq = ?', [row.seq + 1]);
    if (next && next.prev_hash !== row.hash) return invalid('the audit chain is broken after the operation.requested entry; refused');
    if (row.agent_id !== request.agentId) return invalid('the operation.requested audit entry names another agent; refused');

    const audited = auditedHash(row.details);
    if (!audited) return invalid('the operation.requested audit entry records no operation hash; refused');
    const actual = operationHash(request.operation);
    if (actual !== audited || request.operationHash !== audited) {
      return { ok: false, code: 'operation_mismatch', message: 'the stored operation no longer matches the one requested and audited (hash differs); refused' };
    }
    return { ok: true };
  };
}

export type CheckRequestedOperation = ReturnType<typeof createRequestedOperationCheck>;
