/**
 * SQLite access for operation requests and their executions. Knows rows and SQL, nothing about
 * policy: the service decides, this file stores. State changes are compare-and-set on the
 * current state, so two racing transitions cannot both win.
 */
import type { PollMode } from '../azure/arm-long-running-operation.ts';
import type { Database, Queryable, SqlDialect, SqlValue } from '../store/database.ts';
import { isUniqueViolation } from '../store/unique-violation.ts';
import type { RequestChangeOutbox } from './request-change-outbox.ts';
import { canonicalText, COLUMNS, fieldAssignments, toRequest, type RequestRow, type TransitionFields } from './operation-request-rows.ts';

export type { TransitionFields };
import type { ArmResult, OperationDecision, OperationRequest, RequestState, RunMode } from './operation-types.ts';

/** A request plus the hash of the submission it came from (for idempotent replays). */
export interface StoredRequest {
  request: OperationRequest;
  submissionHash: string;
}

export interface NewRequestRecord {
  request: OperationRequest;
  submissionHash: string;
}


export interface CasInput {
  id: string;
  from: RequestState;
  to: RequestState;
  now: string;
  fields?: TransitionFields;
  /** Also require this version (a compensating revert must undo exactly its own change). */
  expectVersion?: number;
  /**
   * Also require the request's deadline, if it has one, to lie after this instant (ISO text, as
   * stored): a request cannot be approved or started once its time is up, however long the
   * caller took between reading it and changing it.
   */
  unexpiredAt?: string;
  /**
   * The start gate's execution intent, inserted in the same transaction as the change to
   * `executing`: no one, on any instance, ever sees the request `executing` without its row.
   * Should the request already have an execution row (only if its state was tampered with), that
   * row is kept untouched and the change still commits: the caller tells by the correlation id.
   */
  execution?: ExecutionRecord;
  /** A compensating revert of a start gate: removes the execution row it inserted, with the change. */
  retractExecution?: { correlationId: string };
}

export interface AgentPageQuery {
  agentId: string;
  limit: number;
  /** the (createdAt, id) of the last request of the previous page */
  after?: { createdAt: string; id: string } | undefined;
  state?: RequestState | undefined;
}

export interface ExecutionRecord {
  requestId: string;
  actingIdentity: string;
  operationHash: string;
  startedAt: string;
  /** The correlation id the ARM call will carry: written before the call (the intent). */
  correlationId: string;
  /** Whose identity sends it: the agent's UAMI, or an approver's one-time OBO token. */
  credentialKind: 'agent' | 'obo';
  /** The instance running it (instance-liveness.ts); null on rows from before migration 018. */
  instanceId?: string | null | undefined;
  /**
   * How long the running instance holds it from now, by the database's clock (migration 020,
   * execution-lease.ts); undefined: no lease (one process per database).
   */
  leaseMs?: number | undefined;
}

/** An execution's durable record, as the reconciler reads it after a restart. */
export interface StoredExecution extends ExecutionRecord {
  finishedAt: string | null;
  result: 'succeeded' | 'failed' | 'running' | null;
  armStatus: number | null;
  armRequestId: string | null;
  pollUrl: string | null;
  pollMode: PollMode | null;
  /** Until when its instance holds it (database clock, ISO text); null: no lease. */
  leaseUntil: string | null;
}

interface ExecutionRow {
  request_id: string;
  acting_identity: string;
  operation_hash: string;
  started_at: string;
  finished_at: string | null;
  arm_status: number | null;
  arm_correlation_id: string | null;
  arm_request_id: string | null;
  result: 'succeeded' | 'failed' | 'running' | null;
  credential_kind: 'agent' | 'obo' | null;
  poll_url: string | null;
  poll_mode: PollMode | null;
  instance_id: string | null;
  lease_until: string | null;
}

export interface OperationRequestStoreOptions {
  /** Receives every new request and state change inside its transaction (the notification outbox). */
  outbox?: RequestChangeOutbox | undefined;
}

/**
 * The second lock of at-most-once execution: one row per request, ever. An existing row wins and
 * is left as it is (ON CONFLICT DO NOTHING: no error, so a PostgreSQL transaction goes on).
 */
async function insertExecutionRow(q: Queryable, dialect: SqlDialect, record: ExecutionRecord): Promise<void> {
  const lease = record.leaseMs === undefined ? 'NULL' : dialect.clockPlusMs;
  await q.run(
    `INSERT INTO executions (request_id, acting_identity, operation_hash, started_at, arm_correlation_id, credential_kind, instance_id, lease_until)
     VALUES (?, ?, ?, ?, ?, ?, ?, ${lease}) ON CONFLICT (request_id) DO NOTHING`,
    [
      record.requestId,
      record.actingIdentity,
      record.operationHash,
      record.startedAt,
      record.correlationId,
      record.credentialKind,
      record.instanceId ?? null,
      ...(record.leaseMs === undefined ? [] : [record.leaseMs]),
    ],
  );
}

export function createOperationRequestStore(db: Database, options: OperationRequestStoreOptions = {}) {
  const outbox = options.outbox;
  /** Without an outbox a single statement needs no transaction; with one, both commit together. */
  const atomically = <T>(fn: (q: Queryable) => Promise<T>): Promise<T> => (outbox ? db.transaction(fn) : fn(db));
  return {
    /** Inserts a new request; false when (agent, idempotency key) or the id already exists. */
    async insert(record: NewRequestRecord): Promise<boolean> {
      const r = record.request;
      const d = r.decision;
      const params: SqlValue[] = [
        r.id,
        r.agentId,
        r.idempotencyKey,
        record.submissionHash,
        r.operationHash,
        r.operation.method,
        r.operation.path,
        r.operation.apiVersion,
        r.operation.body === undefined ? null : canonicalText(r.operation.body),
        r.justification ?? null,
        r.trigger.kind,
        r.trigger.ref ?? null,
        r.trigger.requestedBy ?? null,
        d.action,
        d.scope,
        d.runMode satisfies RunMode,
        d.outcome,
        JSON.stringify(d),
        r.state,
        r.version,
        r.createdAt,
        r.updatedAt,
        r.expiresAt ?? null,
        r.actingIdentity ?? null,
        r.stateReason ?? null,
        r.operation.query === undefined ? null : canonicalText(r.operation.query),
      ];
      try {
        await atomically(async (q) => {
          await q.run(
          `INSERT INTO operation_requests (id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version,
             body_json, justification, trigger_kind, trigger_ref, trigger_requested_by, action, scope, run_mode, outcome,
             decision_json, state, version, created_at, updated_at, expires_at, acting_identity, state_reason, query_json)
           VALUES (${new Array(params.length).fill('?').join(', ')})`,
          params,
          );
          await outbox?.record(q, { kind: 'state', request: r, from: null, at: r.createdAt, audited: true });
        });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    /**
     * One request as last committed by this process (read-your-writes): the executor, the
     * lifecycle and the approval flows act on what this returns right after writing it.
     */
    async get(id: string): Promise<StoredRequest | undefined> {
      const row = await db.fresh.get<RequestRow>(`SELECT ${COLUMNS} FROM operation_requests WHERE id = ?`, [id]);
      return row ? { request: toRequest(row), submissionHash: row.submission_hash } : undefined;
    },

    async findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<StoredRequest | undefined> {
      const row = await db.fresh.get<RequestRow>(`SELECT ${COLUMNS} FROM operation_requests WHERE agent_id = ? AND idempotency_key = ?`, [
        agentId,
        idempotencyKey,
      ]);
      return row ? { request: toRequest(row), submissionHash: row.submission_hash } : undefined;
    },

    /** Newest first, keyset paged on (created_at, id). Returns one extra row to tell if more follow. */
    async listForAgent(q: AgentPageQuery): Promise<OperationRequest[]> {
      const terms = ['agent_id = ?'];
      const params: SqlValue[] = [q.agentId];
      if (q.state) {
        terms.push('state = ?');
        params.push(q.state);
      }
      if (q.after) {
        terms.push('(created_at < ? OR (created_at = ? AND id < ?))');
        params.push(q.after.createdAt, q.after.createdAt, q.after.id);
      }
      params.push(q.limit);
      const rows = await db.all<RequestRow>(
        `SELECT ${COLUMNS} FROM operation_requests WHERE ${terms.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT ?`,
        params,
      );
      return rows.map(toRequest);
    },

    /**
     * The compare-and-set every state change goes through. True only when this call moved the
     * row from `from` to `to`; a racing call that got there first makes it return false.
     */
    async compareAndSet(input: CasInput): Promise<boolean> {
      const extra = fieldAssignments(input.fields);
      const sets = ['state = ?', 'version = version + 1', 'updated_at = ?', ...extra.sql];
      const where = ['id = ?', 'state = ?'];
      const params: SqlValue[] = [input.to, input.now, ...extra.params, input.id, input.from];
      if (input.expectVersion !== undefined) {
        where.push('version = ?');
        params.push(input.expectVersion);
      }
      if (input.unexpiredAt !== undefined) {
        where.push('(expires_at IS NULL OR expires_at > ?)');
        params.push(input.unexpiredAt);
      }
      const execution = input.execution;
      const retract = input.retractExecution;
      const inOne = execution || retract ? <T>(fn: (q: Queryable) => Promise<T>) => db.transaction(fn) : atomically;
      return inOne(async (q) => {
        const result = await q.run(`UPDATE operation_requests SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`, params);
        if (result.changes !== 1) return false;
        if (execution) await insertExecutionRow(q, db.dialect, execution);
        if (retract) await q.run('DELETE FROM executions WHERE request_id = ? AND arm_correlation_id = ?', [input.id, retract.correlationId]);
        if (!outbox) return true;
        // A compensating revert (the lifecycle's audit failed) takes back what its change recorded.
        if (input.expectVersion !== undefined) {
          await outbox.retract(q, input.id, input.expectVersion);
          return true;
        }
        const row = await q.get<RequestRow>(`SELECT ${COLUMNS} FROM operation_requests WHERE id = ?`, [input.id]);
        if (row) await outbox.record(q, { kind: 'state', request: toRequest(row), from: input.from, at: input.now, audited: false });
        return true;
      });
    },

    /** Records ARM results on a request without changing its state (a still-running operation). */
    async recordArm(id: string, state: RequestState, now: string, arm: ArmResult): Promise<boolean> {
      const extra = fieldAssignments({ arm });
      const result = await db.run(`UPDATE operation_requests SET updated_at = ?, ${extra.sql.join(', ')} WHERE id = ? AND state = ?`, [
        now,
        ...extra.params,
        id,
        state,
      ]);
      return result.changes === 1;
    },

    /** Attaches the decision re-made after an AuthorizationFailed surprise (no state change). */
    async recordRedecision(id: string, now: string, decision: OperationDecision): Promise<void> {
      await db.run('UPDATE operation_requests SET redecision_json = ?, updated_at = ? WHERE id = ?', [JSON.stringify(decision), now, id]);
    },

    async finishExecution(requestId: string, finishedAt: string, result: 'succeeded' | 'failed' | 'running', arm?: ArmResult): Promise<void> {
      await db.run(
        `UPDATE executions SET finished_at = ?, result = ?, arm_status = ?, arm_correlation_id = COALESCE(?, arm_correlation_id), arm_request_id = ?
         WHERE request_id = ?`,
        [result === 'running' ? null : finishedAt, result, arm?.status ?? null, arm?.correlationId ?? null, arm?.armRequestId ?? null, requestId],
      );
    },

    /** Where ARM said to follow a long-running operation: recorded before anyone waits on it. */
    async recordPollTarget(requestId: string, target: { mode: PollMode; url: string }, arm: { status: number; armRequestId?: string | undefined }): Promise<void> {
      await db.run('UPDATE executions SET poll_url = ?, poll_mode = ?, arm_status = ?, arm_request_id = ?, result = ? WHERE request_id = ?', [
        target.url,
        target.mode,
        arm.status,
        arm.armRequestId ?? null,
        'running',
        requestId,
      ]);
    },

    /**
     * Hands an execution over to instance `to` (a reconciler taking over a dead instance's), if it
     * still names `from` (null: none) and its lease has run out by the database's clock (or it has
     * none): compare-and-set, so of two reconcilers only one takes it, and none while the instance
     * that runs it still renews its lease. `leaseMs`: the new holder's lease (none if undefined).
     */
    async claimExecution(requestId: string, from: string | null, to: string | null, leaseMs?: number): Promise<boolean> {
      const lease = leaseMs === undefined ? 'NULL' : db.dialect.clockPlusMs;
      // COALESCE: one portable comparison that also matches a null owner (no IS NOT DISTINCT FROM in SQLite).
      const result = await db.run(
        `UPDATE executions SET instance_id = ?, lease_until = ${lease}
         WHERE request_id = ? AND COALESCE(instance_id, '') = ? AND (lease_until IS NULL OR lease_until < ${db.dialect.clockPlusMs})`,
        [to, ...(leaseMs === undefined ? [] : [leaseMs]), requestId, from ?? '', 0],
      );
      return result.changes === 1;
    },

    /** Undoes this instance's claim (`claimExecution` from `from` to `self`): the row names `from` again, with no lease. */
    async handBackExecution(requestId: string, self: string, from: string | null): Promise<boolean> {
      const result = await db.run('UPDATE executions SET instance_id = ?, lease_until = NULL WHERE request_id = ? AND instance_id = ?', [from, requestId, self]);
      return result.changes === 1;
    },

    /**
     * Extends the lease of an execution `instanceId` runs to `leaseMs` from now (database clock).
     * False when the row no longer names that instance: another one took it over.
     */
    async renewExecutionLease(requestId: string, instanceId: string, leaseMs: number): Promise<boolean> {
      const result = await db.run(`UPDATE executions SET lease_until = ${db.dialect.clockPlusMs} WHERE request_id = ? AND instance_id = ?`, [leaseMs, requestId, instanceId]);
      return result.changes === 1;
    },

    /** Gives an execution's lease up (a shutdown that stops following it): others may take it over at once. */
    async releaseExecutionLease(requestId: string, instanceId: string): Promise<void> {
      await db.run('UPDATE executions SET lease_until = NULL WHERE request_id = ? AND instance_id = ?', [requestId, instanceId]);
    },

    /** Marks an execution the reconciler ended without learning ARM's answer. */
    async closeExecution(requestId: string, finishedAt: string): Promise<void> {
      await db.run('UPDATE executions SET finished_at = COALESCE(finished_at, ?) WHERE request_id = ?', [finishedAt, requestId]);
    },

    async getExecution(requestId: string): Promise<StoredExecution | undefined> {
      const r = await db.fresh.get<ExecutionRow>('SELECT * FROM executions WHERE request_id = ?', [requestId]);
      if (!r) return undefined;
      return {
        requestId: r.request_id,
        actingIdentity: r.acting_identity,
        operationHash: r.operation_hash,
        startedAt: r.started_at,
        correlationId: r.arm_correlation_id ?? '',
        // Rows from before migration 008 carry no kind: treat as the approver's (never re-usable).
        credentialKind: r.credential_kind ?? 'obo',
        finishedAt: r.finished_at,
        result: r.result,
        armStatus: r.arm_status,
        armRequestId: r.arm_request_id,
        pollUrl: r.poll_url,
        pollMode: r.poll_mode,
        instanceId: r.instance_id ?? null,
        leaseUntil: r.lease_until ?? null,
      };
    },

    /** Requests in `state` last changed at or before `cutoff` (all of them without one), oldest first. */
    async listInState(state: RequestState, cutoff: string | undefined, limit: number): Promise<Array<{ id: string; updatedAt: string }>> {
      const rows = await db.fresh.all<{ id: string; updated_at: string }>(
        `SELECT id, updated_at FROM operation_requests WHERE state = ? ${cutoff ? 'AND updated_at <= ?' : ''} ORDER BY updated_at LIMIT ?`,
        cutoff ? [state, cutoff, limit] : [state, limit],
      );
      return rows.map((r) => ({ id: r.id, updatedAt: r.updated_at }));
    },

    async countExecutions(requestId: string): Promise<number> {
      const row = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM executions WHERE request_id = ?', [requestId]);
      return row?.n ?? 0;
    },

    /** Waiting requests whose time is up, oldest first. */
    async listExpired(now: string, limit: number): Promise<Array<{ id: string; state: RequestState }>> {
      return db.all<{ id: string; state: RequestState }>(
        `SELECT id, state FROM operation_requests
         WHERE expires_at IS NOT NULL AND expires_at <= ? AND state IN ('pending_consent', 'pending_elevation', 'approved')
         ORDER BY expires_at LIMIT ?`,
        [now, limit],
      );
    },
  };
}

export type OperationRequestStore = ReturnType<typeof createOperationRequestStore>;
