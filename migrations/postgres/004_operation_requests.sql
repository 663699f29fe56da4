-- PostgreSQL twin of migrations/004_operation_requests.sql.
-- Operation requests of the agent operations API (src/operations/operation-request-store.ts).
-- Every state change is a compare-and-set: UPDATE ... SET state = ?, version = version + 1
-- WHERE id = ? AND state = ?, accepted only when exactly one row changed.
-- Agent-supplied strings (path, body, justification, trigger ref/requestedBy) are stored as data.
CREATE TABLE operation_requests (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL,
  idempotency_key TEXT COLLATE "C" NOT NULL,
  -- SHA-256 of the whole submission: a retried key with other content is a conflict (409)
  submission_hash TEXT COLLATE "C" NOT NULL CHECK (length(submission_hash) = 64),
  -- SHA-256 of the canonical ARM operation (method, path, api-version, body), re-checked before it runs
  operation_hash TEXT COLLATE "C" NOT NULL CHECK (length(operation_hash) = 64),
  method TEXT COLLATE "C" NOT NULL CHECK (method IN ('GET', 'PUT', 'PATCH', 'DELETE', 'POST')),
  path TEXT COLLATE "C" NOT NULL,
  api_version TEXT COLLATE "C" NOT NULL,
  -- canonical JSON of the body; NULL when the operation has none
  body_json TEXT COLLATE "C",
  justification TEXT COLLATE "C",
  trigger_kind TEXT COLLATE "C" NOT NULL CHECK (trigger_kind IN ('chat', 'incident', 'scheduled', 'manual')),
  trigger_ref TEXT COLLATE "C",
  trigger_requested_by TEXT COLLATE "C",
  action TEXT COLLATE "C" NOT NULL,
  scope TEXT COLLATE "C" NOT NULL,
  run_mode TEXT COLLATE "C" NOT NULL CHECK (run_mode IN ('ReadOnly', 'Review', 'Autonomous')),
  outcome TEXT COLLATE "C" NOT NULL CHECK (outcome IN ('execute', 'pending_consent', 'pending_elevation')),
  -- the OperationDecision as JSON (reason, explanation, missing action, roles that would grant it)
  decision_json TEXT COLLATE "C" NOT NULL,
  -- named, so that 008 can widen it
  state TEXT COLLATE "C" NOT NULL CONSTRAINT operation_requests_state_check CHECK (state IN ('pending_consent', 'pending_elevation', 'approved', 'executing', 'succeeded', 'failed', 'denied', 'expired', 'cancelled')),
  version BIGINT NOT NULL DEFAULT 0,
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  -- set while the request waits (pending or approved); the sweeper expires it after this time
  expires_at TEXT COLLATE "C",
  acting_identity TEXT COLLATE "C",
  state_reason TEXT COLLATE "C",
  arm_status BIGINT,
  arm_correlation_id TEXT COLLATE "C",
  arm_request_id TEXT COLLATE "C",
  arm_async_status TEXT COLLATE "C",
  arm_body_json TEXT COLLATE "C",
  error_code TEXT COLLATE "C",
  error_message TEXT COLLATE "C",
  -- the decision made again after ARM answered AuthorizationFailed to an execution the cache allowed
  redecision_json TEXT COLLATE "C"
);

-- One request per (agent, idempotency key), whatever the race.
CREATE UNIQUE INDEX operation_requests_idempotency ON operation_requests (agent_id, idempotency_key);
-- The agent's own list, newest first, keyset paged on (created_at, id).
CREATE INDEX operation_requests_by_agent ON operation_requests (agent_id, created_at, id);
-- The expiry sweeper's scan.
CREATE INDEX operation_requests_waiting ON operation_requests (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX operation_requests_by_state ON operation_requests (state);

-- The second lock of "executed at most once": a request gets one execution row, ever.
CREATE TABLE executions (
  request_id TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES operation_requests (id),
  acting_identity TEXT COLLATE "C" NOT NULL,
  operation_hash TEXT COLLATE "C" NOT NULL CHECK (length(operation_hash) = 64),
  started_at TEXT COLLATE "C" NOT NULL,
  finished_at TEXT COLLATE "C",
  arm_status BIGINT,
  arm_correlation_id TEXT COLLATE "C",
  arm_request_id TEXT COLLATE "C",
  result TEXT COLLATE "C" CHECK (result IN ('succeeded', 'failed', 'running'))
);
