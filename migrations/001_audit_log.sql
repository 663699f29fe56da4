-- Tamper-evident, append-only audit log. Each entry's `hash` is SHA-256 over its `prev_hash`
-- and the canonical JSON (RFC 8785) of every other column; see src/audit/audit-hash.ts.
-- `seq` is the rowid, assigned by the writer as last seq + 1, so the chain is gapless.
-- The filter columns (agent_id ... approver_id) are denormalised for searches over millions of
-- rows and are covered by the hash like every other column.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY CHECK (seq >= 1),
  ts TEXT NOT NULL,
  actor_kind TEXT NOT NULL CHECK (actor_kind IN ('agent', 'user', 'service', 'system')),
  actor_id TEXT NOT NULL,
  actor_name TEXT,
  event_type TEXT NOT NULL,
  subject TEXT,
  agent_id TEXT,
  request_id TEXT,
  action TEXT,
  scope TEXT,
  outcome TEXT,
  acting_identity TEXT,
  approver_id TEXT,
  details TEXT NOT NULL,
  prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;

-- Where the chain starts when older entries were archived and removed (retention): the seq and
-- hash of the last removed entry. Absent: the chain starts at seq 1 from 64 zeros.
CREATE TABLE audit_anchor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  through_seq INTEGER NOT NULL CHECK (through_seq >= 0),
  last_hash TEXT NOT NULL CHECK (length(last_hash) = 64),
  set_at TEXT NOT NULL,
  archive_ref TEXT
) STRICT;

-- Accidental or buggy writes fail loudly; a deliberate attacker with the file can drop these,
-- which is what the hash chain (and signed checkpoints) are for.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > COALESCE((SELECT through_seq FROM audit_anchor WHERE id = 1), 0)
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: only entries behind the archive anchor may be deleted');
END;

CREATE TRIGGER audit_anchor_insert_links BEFORE INSERT ON audit_anchor
WHEN EXISTS (SELECT 1 FROM audit_log) AND NEW.last_hash IS NOT (SELECT hash FROM audit_log WHERE seq = NEW.through_seq)
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor must point at an existing entry''s hash');
END;

CREATE TRIGGER audit_anchor_update_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.through_seq < OLD.through_seq OR NEW.last_hash IS NOT (SELECT hash FROM audit_log WHERE seq = NEW.through_seq)
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor only moves forward, onto an existing entry''s hash');
END;

CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
  SELECT RAISE(ABORT, 'audit_anchor cannot be removed');
END;

-- Every index entry ends with the rowid (seq), so `WHERE col = ? AND seq < ? ORDER BY seq DESC
-- LIMIT n` is a backwards range scan of one index: keyset pagination without a sort.
-- Partial indexes keep rows that lack the field out of the index.
CREATE INDEX audit_log_by_agent ON audit_log (agent_id) WHERE agent_id IS NOT NULL;
CREATE INDEX audit_log_by_request ON audit_log (request_id) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_by_action ON audit_log (action) WHERE action IS NOT NULL;
CREATE INDEX audit_log_by_scope ON audit_log (scope) WHERE scope IS NOT NULL;
CREATE INDEX audit_log_by_outcome ON audit_log (outcome) WHERE outcome IS NOT NULL;
CREATE INDEX audit_log_by_acting_identity ON audit_log (acting_identity) WHERE acting_identity IS NOT NULL;
CREATE INDEX audit_log_by_approver ON audit_log (approver_id) WHERE approver_id IS NOT NULL;
CREATE INDEX audit_log_by_event_type ON audit_log (event_type);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id);
CREATE INDEX audit_log_by_subject ON audit_log (subject) WHERE subject IS NOT NULL;
CREATE INDEX audit_log_by_ts ON audit_log (ts);
