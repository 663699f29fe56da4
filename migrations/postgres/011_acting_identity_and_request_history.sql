-- PostgreSQL twin of migrations/011_acting_identity_and_request_history.sql.
-- 1. Work done with the agent's own managed identity was recorded with the UAMI's principal id
--    as the acting identity, which reads like an approver's object id (on-behalf-of). Since this
--    migration it is recorded as `agent:<agent id>` (src/audit/acting-identity.ts). The request
--    and execution rows are mutable and are corrected here; audit_log entries are hash-chained and
--    are never rewritten: acting-identity.ts reads the old value.
--    The comparisons are binary, as in SQLite (whose left operand's BINARY collation wins);
--    PostgreSQL needs that said, since uami_principal_id is NOCASE and acting_identity is not.
UPDATE operation_requests
   SET acting_identity = 'agent:' || agent_id
 WHERE acting_identity IS NOT NULL
   AND acting_identity = (SELECT uami_principal_id FROM agents WHERE agents.id = operation_requests.agent_id) COLLATE "C";

UPDATE executions
   SET acting_identity = 'agent:' || (SELECT agent_id FROM operation_requests r WHERE r.id = executions.request_id)
 WHERE acting_identity = (SELECT a.uami_principal_id FROM operation_requests r JOIN agents a ON a.id = r.agent_id WHERE r.id = executions.request_id) COLLATE "C";

-- 2. The approvers' history (/approvals/history): every request, newest first, keyset paged on
--    (created_at, id), optionally by state or by what it was raised for (outcome). By agent, the
--    existing operation_requests_by_agent index serves.
CREATE INDEX operation_requests_by_created ON operation_requests (created_at, id);
CREATE INDEX operation_requests_by_state_created ON operation_requests (state, created_at, id);
CREATE INDEX operation_requests_by_outcome_created ON operation_requests (outcome, created_at, id);
-- "My decisions": the requests an administrator approved (approval_reviews has request_id first).
CREATE INDEX approval_reviews_by_approver ON approval_reviews (approver_oid, request_id);
