-- Which process wrote an execution's intent or a one-time token's row (issue 16): with several
-- instances on one database, the reconcilers end only what was left by a process that is gone.
-- A row naming another instance that is still alive (src/store/instance-liveness.ts) is that
-- instance's, and is left alone. Rows written before this migration have none: an earlier
-- process, reconciled as before.
ALTER TABLE executions ADD COLUMN instance_id TEXT;
ALTER TABLE one_time_tokens ADD COLUMN instance_id TEXT;
