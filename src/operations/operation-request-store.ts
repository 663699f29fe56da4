/**
 * SQLite access for operation requests and their executions. Knows rows and SQL, nothing about
 * policy: the service decides, this file stores. State changes are compare-and-set on the
 * current state, so two racing transitions cannot both win.
 */
import type { Database, SqlValue } from '../store/database.ts';
import { canonicalText, COLUMNS, fieldAssignments, toRequest, type RequestRow } from './operation-request-rows.ts';
import type { ArmResult, OperationDecision, OperationRequest, RequestError, RequestState, RunMode } from './operation-types.ts';

/** A request plus the hash of the submission it came from (for idempotent replays). */
export interface StoredRequest {
  request: OperationRequest;
  submissionHash: string;
}

export interface NewRequestRecord {
  request: OperationRequest;
  submissionHash: string;
}

/** Fields a transition may set along with the state. `null` clears; `undefined` leaves alone. */
export interface TransitionFields {
  actingIdentity?: string | null;
  stateReason?: string | null;
  expiresAt?: string | null;
  arm?: ArmResult | null;
  error?: RequestError | null;
}

export interface CasInput {
  id: string;
  from: RequestState;
  to: RequestState;
  now: string;
  fields?: TransitionFields;
  /** Also require this version (a compensating revert must undo exactly its own change). */
  expectVersion?: number;
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
}

export function isUniqueViolation(err: unknown): boolean {
  return err instanceof Error && /SQLITE_CONSTRAINT/.test(err.message) && /UNIQUE|PRIMARY KEY/i.test(err.message);
}

export function createOperationRequestStore(db: Database) {
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
      ];
      try {
        await db.run(
          `INSERT INTO operation_requests (id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version,
             body_json, justification, trigger_kind, trigger_ref, trigger_requested_by, action, scope, run_mode, outcome,
             decision_json, state, version, created_at, updated_at, expires_at, acting_identity, state_reason)
           VALUES (${new Array(params.length).fill('?').join(', ')})`,
          params,
        );
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
      const result = await db.run(`UPDATE operation_requests SET ${sets.join(', ')} WHERE ${where.join(' AND ')}`, params);
      return result.changes === 1;
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

    /** The second lock of at-most-once execution: false if the request already has an execution. */
    async insertExecution(record: ExecutionRecord): Promise<boolean> {
      try {
        await db.run('INSERT INTO executions (request_id, acting_identity, operation_hash, started_at) VALUES (?, ?, ?, ?)', [
          record.requestId,
          record.actingIdentity,
          record.operationHash,
          record.startedAt,
        ]);
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async finishExecution(requestId: string, finishedAt: string, result: 'succeeded' | 'failed' | 'running', arm?: ArmResult): Promise<void> {
      await db.run(
        'UPDATE executions SET finished_at = ?, result = ?, arm_status = ?, arm_correlation_id = ?, arm_request_id = ? WHERE request_id = ?',
        [result === 'running' ? null : finishedAt, result, arm?.status ?? null, arm?.correlationId ?? null, arm?.armRequestId ?? null, requestId],
      );
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
