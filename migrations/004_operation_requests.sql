-- Operation requests of the agent operations API (src/operations/operation-request-store.ts).
-- Every state change is a compare-and-set: UPDATE ... SET state = ?, version = version + 1
-- WHERE id = ? AND state = ?, accepted only when exactly one row changed.
-- Agent-supplied strings (path, body, justification, trigger ref/requestedBy) are stored as data.
CREATE TABLE operation_requests (
  id TEXT PRIMARY KEY NOT NULL,
  agent_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  -- SHA-256 of the whole submission: a retried key with other content is a conflict (409)
  submission_hash TEXT NOT NULL CHECK (length(submission_hash) = 64),
  -- SHA-256 of the canonical ARM operation (method, path, api-version, body), re-checked before it runs
  operation_hash TEXT NOT NULL CHECK (length(operation_hash) = 64),
  method TEXT NOT NULL CHECK (method IN ('GET', 'PUT', 'PATCH', 'DELETE', 'POST')),
  path TEXT NOT NULL,
  api_version TEXT NOT NULL,
  -- canonical JSON of the body; NULL when the operation has none
  body_json TEXT,
  justification TEXT,
  trigger_kind TEXT NOT NULL CHECK (trigger_kind IN ('chat', 'incident', 'scheduled', 'manual')),
  trigger_ref TEXT,
  trigger_requested_by TEXT,
  action TEXT NOT NULL,
  scope TEXT NOT NULL,
  run_mode TEXT NOT NULL CHECK (run_mode IN ('ReadOnly', 'Review', 'Autonomous')),
  outcome TEXT NOT NULL CHECK (outcome IN ('execute', 'pending_consent', 'pending_elevation')),
  -- the OperationDecision as JSON (reason, explanation, missing action, roles that would grant it)
  decision_json TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending_consent', 'pending_elevation', 'approved', 'executing', 'succeeded', 'failed', 'denied', 'expired', 'cancelled')),
  version INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- set while the request waits (pending or approved); the sweeper expires it after this time
  expires_at TEXT,
  acting_identity TEXT,
  state_reason TEXT,
  arm_status INTEGER,
  arm_correlation_id TEXT,
  arm_request_id TEXT,
  arm_async_status TEXT,
  arm_body_json TEXT,
  error_code TEXT,
  error_message TEXT,
  -- the decision made again after ARM answered AuthorizationFailed to an execution the cache allowed
  redecision_json TEXT
) STRICT;

-- One request per (agent, idempotency key), whatever the race.
CREATE UNIQUE INDEX operation_requests_idempotency ON operation_requests (agent_id, idempotency_key);
-- The agent's own list, newest first, keyset paged on (created_at, id).
CREATE INDEX operation_requests_by_agent ON operation_requests (agent_id, created_at, id);
-- The expiry sweeper's scan.
CREATE INDEX operation_requests_waiting ON operation_requests (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX operation_requests_by_state ON operation_requests (state);

-- The second lock of "executed at most once": a request gets one execution row, ever.
CREATE TABLE executions (
  request_id TEXT PRIMARY KEY NOT NULL REFERENCES operation_requests (id),
  acting_identity TEXT NOT NULL,
  operation_hash TEXT NOT NULL CHECK (length(operation_hash) = 64),
  started_at TEXT NOT NULL,
  finished_at TEXT,
  arm_status INTEGER,
  arm_correlation_id TEXT,
  arm_request_id TEXT,
  result TEXT CHECK (result IN ('succeeded', 'failed', 'running'))
) STRICT;
