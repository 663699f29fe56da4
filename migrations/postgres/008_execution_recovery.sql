-- PostgreSQL twin of migrations/008_execution_recovery.sql.
-- Crash recovery of executions (issue 11): nothing stuck, nothing lost, nothing run twice.
--
-- 1. A request whose execution was interrupted and whose end cannot be learnt ends in the
--    explicit, final state `outcome_unknown` (src/operations/request-state-machine.ts).
--    PostgreSQL alters a CHECK constraint directly (SQLite needed writable_schema); the new
--    constraint only admits more values, so every stored row passes its validation.
ALTER TABLE operation_requests
  DROP CONSTRAINT operation_requests_state_check,
  ADD CONSTRAINT operation_requests_state_check CHECK (state IN ('pending_consent', 'pending_elevation', 'approved', 'executing', 'succeeded', 'failed', 'denied', 'expired', 'cancelled', 'outcome_unknown'));

-- 2. The durable record of an execution, written before ARM is called (the intent) and as soon
--    as ARM accepts a long-running operation (where to follow it). The reconciler reads it after
--    a crash; it never calls ARM with the operation again.
--    credential_kind: whose identity sent it ('agent': the agent's UAMI, which Elevate can still
--    use to follow the operation; 'obo': an approver's one-time token, gone with the process).
ALTER TABLE executions ADD COLUMN credential_kind TEXT COLLATE "C" CHECK (credential_kind IN ('agent', 'obo'));
-- The Azure-AsyncOperation / Location URL ARM answered with, and which of the two it is.
ALTER TABLE executions ADD COLUMN poll_url TEXT COLLATE "C";
ALTER TABLE executions ADD COLUMN poll_mode TEXT COLLATE "C" CHECK (poll_mode IN ('async-operation', 'location', 'provisioning-state'));

-- 3. Each on-behalf-of exchange for an elevation, recorded before the exchange is attempted and
--    marked when the token is discarded. A row left undiscarded belongs to a process that ended:
--    the start-up reconciler writes its `token.discarded` entry (reason: process end). No token
--    is stored, only the SHA-256 of its `uti` claim.
CREATE TABLE one_time_tokens (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  request_id TEXT COLLATE "C" NOT NULL REFERENCES operation_requests (id),
  approver_oid TEXT COLLATE "C" NOT NULL,
  approver_upn TEXT COLLATE "C" NOT NULL,
  approver_tid TEXT COLLATE "C" NOT NULL,
  requested_at TEXT COLLATE "C" NOT NULL,
  uti_sha256 TEXT COLLATE "C",
  expires_at TEXT COLLATE "C",
  discarded_at TEXT COLLATE "C",
  discard_reason TEXT COLLATE "C"
);
CREATE INDEX one_time_tokens_live ON one_time_tokens (requested_at) WHERE discarded_at IS NULL;
