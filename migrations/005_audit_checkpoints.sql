-- Signed checkpoints of the audit chain (issue 7): the seq and hash of an entry, when, and an
-- Ed25519 signature over both made with a key kept outside the database
-- (ELEVATE_AUDIT_CHECKPOINT_KEY). Someone who can write the database can delete rows here, but
-- cannot make new valid ones; the same checkpoints are also appended to a file outside the
-- database (checkpoints.jsonl in ELEVATE_AUDIT_ARCHIVE_DIR), so a truncated tail or a rewritten
-- chain still contradicts a checkpoint the attacker cannot remove from both places.
CREATE TABLE audit_checkpoints (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  hash TEXT NOT NULL CHECK (length(hash) = 64),
  ts TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('periodic', 'on-demand', 'archive'))
) STRICT;

-- Segment-aware, case-insensitive scope prefix searches: `lower(scope)` ranges over this index
-- (ARM scopes are case-insensitive; SQLite's lower() folds ASCII only, as ARM names are).
CREATE INDEX audit_log_by_scope_lower ON audit_log (lower(scope)) WHERE scope IS NOT NULL;
