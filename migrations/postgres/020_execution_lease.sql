-- PostgreSQL twin of migrations/020_execution_lease.sql.
-- How long the instance running an execution holds it (issue 16): a reconciler takes another
-- instance's execution over only once that instance's liveness lock is free and this lease has
-- run out by the database's clock (src/operations/execution-lease.ts). NULL: no lease.
ALTER TABLE executions ADD COLUMN lease_until TEXT COLLATE "C";
