-- PostgreSQL twin of migrations/005_audit_checkpoints.sql.
-- Signed checkpoints of the audit chain (issue 7): the seq and hash of an entry, when, and an
-- Ed25519 signature over both made with a key kept outside the database
-- (ELEVATE_AUDIT_CHECKPOINT_KEY). Someone who can write the database can delete rows here, but
-- cannot make new valid ones; the same checkpoints are also kept outside the database, so a
-- truncated tail or a rewritten chain still contradicts a checkpoint the attacker cannot remove
-- from both places.
CREATE TABLE audit_checkpoints (
  seq BIGINT PRIMARY KEY CHECK (seq >= 0),
  hash TEXT COLLATE "C" NOT NULL CHECK (length(hash) = 64),
  ts TEXT COLLATE "C" NOT NULL,
  key_id TEXT COLLATE "C" NOT NULL,
  signature TEXT COLLATE "C" NOT NULL,
  reason TEXT COLLATE "C" NOT NULL CHECK (reason IN ('periodic', 'on-demand', 'archive'))
);

-- Segment-aware, case-insensitive scope prefix searches: `lower(scope)` ranges over this index
-- (ARM scopes are case-insensitive). scope is COLLATE "C", under which lower() folds ASCII only,
-- as SQLite's does, and ranges compare bytes. seq last, as in 001.
CREATE INDEX audit_log_by_scope_lower ON audit_log (lower(scope), seq) WHERE scope IS NOT NULL;
