-- Crash recovery of executions (issue 11): nothing stuck, nothing lost, nothing run twice.
--
-- 1. A request whose execution was interrupted and whose end cannot be learnt ends in the
--    explicit, final state `outcome_unknown` (src/operations/request-state-machine.ts). SQLite
--    cannot alter a CHECK constraint, and rebuilding operation_requests under the foreign keys of
--    executions / approval_reviews / elevation_attempts is not possible inside the migration's
--    transaction. Widening an IN (...) list only admits more values (every stored row still
--    passes), which is the case https://www.sqlite.org/lang_altertable.html ("making other kinds
--    of table schema changes") allows through writable_schema; RESET reloads the schema in this
--    connection. Other processes open their connections after migrating.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql, '''expired'', ''cancelled''))', '''expired'', ''cancelled'', ''outcome_unknown''))')
 WHERE type = 'table' AND name = 'operation_requests';
PRAGMA writable_schema = RESET;

-- 2. The durable record of an execution, written before ARM is called (the intent) and as soon
--    as ARM accepts a long-running operation (where to follow it). The reconciler reads it after
--    a crash; it never calls ARM with the operation again.
--    credential_kind: whose identity sent it ('agent': the agent's UAMI, which Elevate can still
--    use to follow the operation; 'obo': an approver's one-time token, gone with the process).
ALTER TABLE executions ADD COLUMN credential_kind TEXT CHECK (credential_kind IN ('agent', 'obo'));
-- The Azure-AsyncOperation / Location URL ARM answered with, and which of the two it is.
ALTER TABLE executions ADD COLUMN poll_url TEXT;
ALTER TABLE executions ADD COLUMN poll_mode TEXT CHECK (poll_mode IN ('async-operation', 'location', 'provisioning-state'));

-- 3. Each on-behalf-of exchange for an elevation, recorded before the exchange is attempted and
--    marked when the token is discarded. A row left undiscarded belongs to a process that ended:
--    the start-up reconciler writes its `token.discarded` entry (reason: process end). No token
--    is stored, only the SHA-256 of its `uti` claim.
CREATE TABLE one_time_tokens (
  id TEXT PRIMARY KEY NOT NULL,
  request_id TEXT NOT NULL REFERENCES operation_requests (id),
  approver_oid TEXT NOT NULL,
  approver_upn TEXT NOT NULL,
  approver_tid TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  uti_sha256 TEXT,
  expires_at TEXT,
  discarded_at TEXT,
  discard_reason TEXT
) STRICT;
CREATE INDEX one_time_tokens_live ON one_time_tokens (requested_at) WHERE discarded_at IS NULL;
