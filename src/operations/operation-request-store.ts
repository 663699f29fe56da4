/**
 * SQLite access for operation requests and their executions. Knows rows and SQL, nothing about
 * policy: the service decides, this file stores. State changes are compare-and-set on the
 * current state, so two racing transitions cannot both win.
 */
import canonicalize from 'canonicalize';
import type { Database, SqlValue } from '../store/database.ts';
import type {
  ArmResult,
  HttpMethod,
  JsonValue,
  OperationDecision,
  OperationRequest,
  RequestError,
  RequestState,
  RunMode,
  TriggerKind,
} from './operation-types.ts';

interface RequestRow {
  id: string;
  agent_id: string;
  idempotency_key: string;
  submission_hash: string;
  operation_hash: string;
  method: string;
  path: string;
  api_version: string;
  body_json: string | null;
  justification: string | null;
  trigger_kind: string;
  trigger_ref: string | null;
  trigger_requested_by: string | null;
  action: string;
  scope: string;
  run_mode: string;
  outcome: string;
  decision_json: string;
  state: string;
  version: number;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  acting_identity: string | null;
  state_reason: string | null;
  arm_status: number | null;
  arm_correlation_id: string | null;
  arm_request_id: string | null;
  arm_async_status: string | null;
  arm_body_json: string | null;
  error_code: string | null;
  error_message: string | null;
  redecision_json: string | null;
}

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

const COLUMNS = `id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version, body_json,
  justification, trigger_kind, trigger_ref, trigger_requested_by, action, scope, run_mode, outcome, decision_json,
  state, version, created_at, updated_at, expires_at, acting_identity, state_reason, arm_status, arm_correlation_id,
  arm_request_id, arm_async_status, arm_body_json, error_code, error_message, redecision_json`;

const canonicalText = (value: JsonValue) => canonicalize(value) ?? 'null';

function toRequest(row: RequestRow): OperationRequest {
  const request: OperationRequest = {
    id: row.id,
    agentId: row.agent_id,
    idempotencyKey: row.idempotency_key,
    state: row.state as RequestState,
    version: row.version,
    operation: { method: row.method as HttpMethod, path: row.path, apiVersion: row.api_version },
    operationHash: row.operation_hash,
    trigger: { kind: row.trigger_kind as TriggerKind },
    decision: JSON.parse(row.decision_json) as OperationDecision,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (row.body_json !== null) request.operation.body = JSON.parse(row.body_json) as JsonValue;
  if (row.justification !== null) request.justification = row.justification;
  if (row.trigger_ref !== null) request.trigger.ref = row.trigger_ref;
  if (row.trigger_requested_by !== null) request.trigger.requestedBy = row.trigger_requested_by;
  if (row.expires_at !== null) request.expiresAt = row.expires_at;
  if (row.acting_identity !== null) request.actingIdentity = row.acting_identity;
  if (row.state_reason !== null) request.stateReason = row.state_reason;
  if (row.arm_status !== null) {
    const arm: ArmResult = { status: row.arm_status };
    if (row.arm_correlation_id !== null) arm.correlationId = row.arm_correlation_id;
    if (row.arm_request_id !== null) arm.armRequestId = row.arm_request_id;
    if (row.arm_async_status !== null) arm.asyncStatus = row.arm_async_status;
    if (row.arm_body_json !== null) arm.body = JSON.parse(row.arm_body_json) as JsonValue;
    request.arm = arm;
  }
  if (row.error_code !== null) request.error = { code: row.error_code, message: row.error_message ?? '' };
  if (row.redecision_json !== null) request.redecision = JSON.parse(row.redecision_json) as OperationDecision;
  return request;
}

/** Column assignments for the optional transition fields, in a fixed order. */
function fieldAssignments(fields: TransitionFields = {}): { sql: string[]; params: SqlValue[] } {
  const sql: string[] = [];
  const params: SqlValue[] = [];
  const set = (column: string, value: SqlValue) => {
    sql.push(`${column} = ?`);
    params.push(value);
  };
  if (fields.actingIdentity !== undefined) set('acting_identity', fields.actingIdentity);
  if (fields.stateReason !== undefined) set('state_reason', fields.stateReason);
  if (fields.expiresAt !== undefined) set('expires_at', fields.expiresAt);
  if (fields.arm !== undefined) {
    const a = fields.arm;
    set('arm_status', a?.status ?? null);
    set('arm_correlation_id', a?.correlationId ?? null);
    set('arm_request_id', a?.armRequestId ?? null);
    set('arm_async_status', a?.asyncStatus ?? null);
    set('arm_body_json', a?.body === undefined ? null : JSON.stringify(a.body));
  }
  if (fields.error !== undefined) {
    set('error_code', fields.error?.code ?? null);
    set('error_message', fields.error?.message ?? null);
  }
  return { sql, params };
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

    async get(id: string): Promise<StoredRequest | undefined> {
      const row = await db.get<RequestRow>(`SELECT ${COLUMNS} FROM operation_requests WHERE id = ?`, [id]);
      return row ? { request: toRequest(row), submissionHash: row.submission_hash } : undefined;
    },

    async findByIdempotencyKey(agentId: string, idempotencyKey: string): Promise<StoredRequest | undefined> {
      const row = await db.get<RequestRow>(`SELECT ${COLUMNS} FROM operation_requests WHERE agent_id = ? AND idempotency_key = ?`, [
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
