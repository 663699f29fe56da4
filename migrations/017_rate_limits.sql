-- Rate-limit counters shared by every instance on one database (issue 16): an agent, an address or
-- an administrator over its limit on instance A is over it on instance B too. One row per limiter
-- and key (the key is namespaced by the limiter: "agent-api:agent:<id>"), a fixed window.
-- `reset_at` is epoch milliseconds; rows past it are stale and swept.
CREATE TABLE rate_limit_hits (
  key      TEXT    PRIMARY KEY NOT NULL,
  hits     INTEGER NOT NULL CHECK (hits >= 0),
  reset_at INTEGER NOT NULL
);

CREATE INDEX rate_limit_hits_reset_at ON rate_limit_hits (reset_at);
