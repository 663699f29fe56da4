-- How long the instance running an execution holds it (issue 16). An instance whose liveness
-- session dropped looks gone to the others, though it may still be running: a reconciler takes
-- another instance's execution over only once that instance's liveness lock is free AND this
-- lease has run out, by the database's clock (one clock for every instance). The running
-- instance renews the lease through its pool while it sends or follows the operation, and stops
-- talking to ARM about it before the lease runs out when it cannot renew it
-- (src/operations/execution-lease.ts). NULL: no lease (SQLite's single process, rows from before
-- this migration, an execution handed back at shutdown).
ALTER TABLE executions ADD COLUMN lease_until TEXT;
