/**
 * How an operation request is laid out in its SQLite row (migrations/004_operation_requests.sql)
 * and back: the column list, the row -> resource mapping, and the SET clauses of a transition.
 */
import canonicalize from 'canonicalize';
import type { SqlValue } from '../store/database.ts';
import type { ArmResult, HttpMethod, JsonValue, OperationDecision, OperationRequest, RequestError, RequestState, TriggerKind } from './operation-types.ts';

export interface RequestRow {
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
  query_json: string | null;
}

/** Fields a transition may set along with the state. `null` clears; `undefined` leaves alone. */
export interface TransitionFields {
  actingIdentity?: string | null;
  stateReason?: string | null;
  expiresAt?: string | null;
  arm?: ArmResult | null;
  error?: RequestError | null;
}

export const COLUMNS = `id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version, body_json,
  justification, trigger_kind, trigger_ref, trigger_requested_by, action, scope, run_mode, outcome, decision_json,
  state, version, created_at, updated_at, expires_at, acting_identity, state_reason, arm_status, arm_correlation_id,
  arm_request_id, arm_async_status, arm_body_json, error_code, error_message, redecision_json, query_json`;

export const canonicalText = (value: JsonValue) => canonicalize(value) ?? 'null';

export function toRequest(row: RequestRow): OperationRequest {
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
  if (row.query_json !== null) request.operation.query = JSON.parse(row.query_json) as Record<string, string>;
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
export function fieldAssignments(fields: TransitionFields = {}): { sql: string[]; params: SqlValue[] } {
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

