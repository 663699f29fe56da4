/**
 * What was done about an incident, read back for its page: every operation request tied to it
 * (trigger kind `incident`, ref = its id), each request's approvals (consent or elevation, by
 * whom, why) and its execution, with whose identity ran it (`obo`: an approver's on-behalf-of
 * elevation; `agent`: the agent's own managed identity).
 */
import { COLUMNS, toRequest, type RequestRow } from '../operations/operation-request-rows.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { Queryable } from '../store/database.ts';

export interface IncidentReview {
  approverOid: string;
  approverUpn: string;
  kind: 'consent' | 'elevation';
  reason: string;
  createdAt: string;
}

export interface IncidentExecution {
  actingIdentity: string;
  credentialKind: 'agent' | 'obo' | null;
  startedAt: string;
  finishedAt: string | null;
  result: string | null;
  armStatus: number | null;
  armCorrelationId: string | null;
}

export interface IncidentOperation {
  request: OperationRequest;
  reviews: IncidentReview[];
  execution?: IncidentExecution | undefined;
}

/** At most this many operations per incident page; an incident with more says so. */
export const MAX_INCIDENT_OPERATIONS = 200;

export function createIncidentActivity(db: Pick<Queryable, 'all'>) {
  return {
    async operations(incidentId: string): Promise<IncidentOperation[]> {
      const rows = await db.all<RequestRow>(
        `SELECT ${COLUMNS} FROM operation_requests WHERE trigger_kind = 'incident' AND trigger_ref = ? ORDER BY created_at, id LIMIT ?`,
        [incidentId, MAX_INCIDENT_OPERATIONS],
      );
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      const marks = ids.map(() => '?').join(', ');
      const reviews = await db.all<{ request_id: string; approver_oid: string; approver_upn: string; kind: 'consent' | 'elevation'; reason: string; created_at: string }>(
        `SELECT request_id, approver_oid, approver_upn, kind, reason, created_at FROM approval_reviews WHERE request_id IN (${marks}) ORDER BY created_at`,
        ids,
      );
      const executions = await db.all<{ request_id: string; acting_identity: string; credential_kind: 'agent' | 'obo' | null; started_at: string; finished_at: string | null; result: string | null; arm_status: number | null; arm_correlation_id: string | null }>(
        `SELECT request_id, acting_identity, credential_kind, started_at, finished_at, result, arm_status, arm_correlation_id FROM executions WHERE request_id IN (${marks})`,
        ids,
      );
      return rows.map((row) => {
        const e = executions.find((x) => x.request_id === row.id);
        return {
          request: toRequest(row),
          reviews: reviews
            .filter((r) => r.request_id === row.id)
            .map((r) => ({ approverOid: r.approver_oid, approverUpn: r.approver_upn, kind: r.kind, reason: r.reason, createdAt: r.created_at })),
          execution: e
            ? { actingIdentity: e.acting_identity, credentialKind: e.credential_kind, startedAt: e.started_at, finishedAt: e.finished_at, result: e.result, armStatus: e.arm_status, armCorrelationId: e.arm_correlation_id }
            : undefined,
        };
      });
    },

    /** The incident a request is tied to, if any (the audit timeline links to it). */
    async incidentOfRequest(requestId: string): Promise<string | undefined> {
      const rows = await db.all<{ trigger_ref: string }>(
        `SELECT r.trigger_ref FROM operation_requests r JOIN incidents i ON i.id = r.trigger_ref WHERE r.id = ? AND r.trigger_kind = 'incident'`,
        [requestId],
      );
      return rows[0]?.trigger_ref;
    },
  };
}

export type IncidentActivity = ReturnType<typeof createIncidentActivity>;
