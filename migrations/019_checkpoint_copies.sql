-- Whether a checkpoint's copy outside the database was confirmed (issue 16). The row is the claim
-- of several instances signing one head; the claimer then copies the checkpoint to the external
-- stores and checkpoints.jsonl. A process that dies between the two leaves a row that exists only
-- in the database: copied_at stays NULL, so it does not count as anchored (verification,
-- scheduling of nothing else), and once claim_expires_at has passed (the claimer is gone or gave
-- up) the next checkpointer run on any instance finishes the copy of that very checkpoint.
-- Rows from before this migration were kept only when their copy succeeded (a failed copy
-- withdrew them), so they count as copied at their signing time.
ALTER TABLE audit_checkpoints ADD COLUMN copied_at TEXT;
ALTER TABLE audit_checkpoints ADD COLUMN claim_expires_at TEXT;
UPDATE audit_checkpoints SET copied_at = ts, claim_expires_at = ts;
-- The checkpointer looks for unconfirmed rows on every run: few, in a table of a year of minutes.
CREATE INDEX audit_checkpoints_uncopied ON audit_checkpoints (claim_expires_at) WHERE copied_at IS NULL;
