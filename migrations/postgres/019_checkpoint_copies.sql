-- PostgreSQL twin of migrations/019_checkpoint_copies.sql.
-- Whether a checkpoint's copy outside the database was confirmed (issue 16): copied_at NULL means
-- claimed only (the claimer died or failed before its copy to the external stores and
-- checkpoints.jsonl was confirmed); it does not count as anchored, and once claim_expires_at has
-- passed the next checkpointer run on any instance finishes the copy. Rows from before this
-- migration were kept only when their copy succeeded: copied at their signing time.
ALTER TABLE audit_checkpoints ADD COLUMN copied_at TEXT COLLATE "C";
ALTER TABLE audit_checkpoints ADD COLUMN claim_expires_at TEXT COLLATE "C";
UPDATE audit_checkpoints SET copied_at = ts, claim_expires_at = ts;
-- claim_expires_at then seq, as SQLite's index on a rowid table ends with the rowid (see README.md).
CREATE INDEX audit_checkpoints_uncopied ON audit_checkpoints (claim_expires_at, seq) WHERE copied_at IS NULL;
