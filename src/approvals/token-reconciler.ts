/**
 * Every one-time token gets its `token.discarded` entry, including a token that died with its
 * process (issue 11, item 2): an exchange recorded in `one_time_tokens` and never marked
 * discarded belongs to a process that ended (this process's own live ones are skipped). The
 * entry says so (reason `process_end`), with what is known: the uti hash, the expiry, whether
 * an execution ran with the approver's identity, and the request's state now.
 * Several instances on one database (issue 16): a row made by another instance that is still
 * alive (instance-liveness.ts) is a token that instance may hold right now, and is left alone.
 * An instance may also only look gone (its liveness session dropped): so a token whose execution
 * is still leased to it (execution-lease.ts) is left alone, and so is one begun less than a lease
 * ago (`recentMs`), which may be between its exchange and the start of its execution.
 */
import type { Logger } from '../observability/logger.ts';
import { ownedByAnotherLiveInstance, type InstanceLiveness } from '../store/instance-liveness.ts';
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import { tokenDiscardedEntry } from './approval-audit.ts';
import type { OneTimeTokenRecords } from './one-time-token-records.ts';

export async function reconcileTokens(deps: {
  records: Pick<OneTimeTokenRecords, 'orphaned' | 'discarded'>;
  requests: Pick<OperationRequestStore, 'get'>;
  audit: AuditSink;
  clock: () => Date;
  logger?: Logger | undefined;
  /** Absent: this process is the only one (every row not held here was left by an ended one). */
  liveness?: InstanceLiveness | undefined;
  /** Several instances: rows begun less than this long ago (by this clock) are left for a later pass. */
  recentMs?: number | undefined;
}): Promise<number> {
  let n = 0;
  const begunBefore = deps.recentMs === undefined ? undefined : new Date(deps.clock().getTime() - deps.recentMs).toISOString();
  for (const t of await deps.records.orphaned(500, begunBefore)) {
    if (deps.liveness && (await ownedByAnotherLiveInstance(deps.liveness, t.instanceId))) continue;
    const request = (await deps.requests.get(t.requestId))?.request;
    if (!request) continue;
    const at = deps.clock().toISOString();
    // Audit first; the row is marked only once the entry is on record (else: the next pass).
    await deps.audit.append(
      tokenDiscardedEntry(request, t.approver, {
        utiSha256: t.utiSha256,
        tokenExpiresAt: t.expiresAt,
        discardedAt: at,
        armCorrelationId: t.armCorrelationId,
        armStatus: null,
        requestState: t.requestState ?? request.state,
        used: t.used,
        reason: 'process_end',
      }),
    );
    await deps.records.discarded(t.id, at, 'process_end');
    n += 1;
  }
  if (n > 0) deps.logger?.warn({ tokens: n }, 'recorded one-time tokens that ended with a previous process');
  return n;
}
