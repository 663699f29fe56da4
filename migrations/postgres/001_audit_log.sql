-- PostgreSQL twin of migrations/001_audit_log.sql (see README.md here for the type mapping).
-- Tamper-evident, append-only audit log. Each entry's `hash` is SHA-256 over its `prev_hash`
-- and the canonical JSON (RFC 8785) of every other column; see src/audit/audit-hash.ts.
-- `seq` is assigned by the writer as last seq + 1 (never by the database), so the chain is gapless.
-- Text columns are COLLATE "C": byte order, as SQLite's BINARY, whatever the database's locale.
CREATE TABLE audit_log (
  seq BIGINT PRIMARY KEY CHECK (seq >= 1),
  ts TEXT COLLATE "C" NOT NULL,
  actor_kind TEXT COLLATE "C" NOT NULL CHECK (actor_kind IN ('agent', 'user', 'service', 'system')),
  actor_id TEXT COLLATE "C" NOT NULL,
  actor_name TEXT COLLATE "C",
  event_type TEXT COLLATE "C" NOT NULL,
  subject TEXT COLLATE "C",
  agent_id TEXT COLLATE "C",
  request_id TEXT COLLATE "C",
  action TEXT COLLATE "C",
  scope TEXT COLLATE "C",
  outcome TEXT COLLATE "C",
  acting_identity TEXT COLLATE "C",
  approver_id TEXT COLLATE "C",
  details TEXT COLLATE "C" NOT NULL,
  prev_hash TEXT COLLATE "C" NOT NULL CHECK (length(prev_hash) = 64),
  hash TEXT COLLATE "C" NOT NULL CHECK (length(hash) = 64)
);

-- Where the chain starts when older entries were archived and removed (retention): the seq and
-- hash of the last removed entry. Absent: the chain starts at seq 1 from 64 zeros.
CREATE TABLE audit_anchor (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  through_seq BIGINT NOT NULL CHECK (through_seq >= 0),
  last_hash TEXT COLLATE "C" NOT NULL CHECK (length(last_hash) = 64),
  set_at TEXT COLLATE "C" NOT NULL,
  archive_ref TEXT COLLATE "C"
);

-- Accidental or buggy writes fail loudly; a deliberate attacker with the owner's rights can drop
-- these, which is what the hash chain (and signed checkpoints) are for. Same trigger names and
-- messages as SQLite. A trigger's WHEN cannot hold a subquery in PostgreSQL, so the conditions
-- live in the functions.
CREATE FUNCTION audit_log_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_no_update();

CREATE FUNCTION audit_log_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.seq > COALESCE((SELECT through_seq FROM audit_anchor WHERE id = 1), 0) THEN
    RAISE EXCEPTION 'audit_log is append-only: only entries behind the archive anchor may be deleted';
  END IF;
  RETURN OLD;
END;
$$;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_no_delete();

CREATE FUNCTION audit_anchor_insert_links() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM audit_log) AND NEW.last_hash IS DISTINCT FROM (SELECT hash FROM audit_log WHERE seq = NEW.through_seq) THEN
    RAISE EXCEPTION 'audit_anchor must point at an existing entry''s hash';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_anchor_insert_links BEFORE INSERT ON audit_anchor FOR EACH ROW EXECUTE FUNCTION audit_anchor_insert_links();

CREATE FUNCTION audit_anchor_update_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.through_seq < OLD.through_seq OR NEW.last_hash IS DISTINCT FROM (SELECT hash FROM audit_log WHERE seq = NEW.through_seq) THEN
    RAISE EXCEPTION 'audit_anchor only moves forward, onto an existing entry''s hash';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER audit_anchor_update_forward BEFORE UPDATE ON audit_anchor FOR EACH ROW EXECUTE FUNCTION audit_anchor_update_forward();

CREATE FUNCTION audit_anchor_no_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_anchor cannot be removed';
END;
$$;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor FOR EACH ROW EXECUTE FUNCTION audit_anchor_no_delete();

-- TRUNCATE skips row triggers (SQLite has no TRUNCATE), so every table that refuses a DELETE also
-- refuses TRUNCATE. The message is the trigger's argument.
CREATE FUNCTION elevate_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0];
END;
$$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION elevate_refuse_truncate('audit_log is append-only');
CREATE TRIGGER audit_anchor_no_truncate BEFORE TRUNCATE ON audit_anchor FOR EACH STATEMENT EXECUTE FUNCTION elevate_refuse_truncate('audit_anchor cannot be removed');

-- In SQLite every index entry ends with the rowid (seq), so `WHERE col = ? AND seq < ? ORDER BY
-- seq DESC LIMIT n` is a backwards range scan of one index: keyset pagination without a sort.
-- PostgreSQL orders equal keys by heap position instead, so seq is written out as the last key.
-- Partial indexes keep rows that lack the field out of the index.
CREATE INDEX audit_log_by_agent ON audit_log (agent_id, seq) WHERE agent_id IS NOT NULL;
CREATE INDEX audit_log_by_request ON audit_log (request_id, seq) WHERE request_id IS NOT NULL;
CREATE INDEX audit_log_by_action ON audit_log (action, seq) WHERE action IS NOT NULL;
CREATE INDEX audit_log_by_scope ON audit_log (scope, seq) WHERE scope IS NOT NULL;
CREATE INDEX audit_log_by_outcome ON audit_log (outcome, seq) WHERE outcome IS NOT NULL;
CREATE INDEX audit_log_by_acting_identity ON audit_log (acting_identity, seq) WHERE acting_identity IS NOT NULL;
CREATE INDEX audit_log_by_approver ON audit_log (approver_id, seq) WHERE approver_id IS NOT NULL;
CREATE INDEX audit_log_by_event_type ON audit_log (event_type, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_by_subject ON audit_log (subject, seq) WHERE subject IS NOT NULL;
CREATE INDEX audit_log_by_ts ON audit_log (ts, seq);
