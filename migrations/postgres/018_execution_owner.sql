-- PostgreSQL twin of migrations/018_execution_owner.sql.
-- Which process wrote an execution's intent or a one-time token's row (issue 16): the reconcilers
-- end only what was left by a process that is gone (src/store/instance-liveness.ts). Rows written
-- before this migration have none: an earlier process, reconciled as before.
ALTER TABLE executions ADD COLUMN instance_id TEXT COLLATE "C";
ALTER TABLE one_time_tokens ADD COLUMN instance_id TEXT COLLATE "C";
