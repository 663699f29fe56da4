-- PostgreSQL twin of migrations/017_rate_limits.sql.
-- Rate-limit counters shared by every instance on one database (issue 16). `reset_at` is epoch
-- milliseconds (BIGINT).
CREATE TABLE rate_limit_hits (
  key      TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  hits     BIGINT NOT NULL CHECK (hits >= 0),
  reset_at BIGINT NOT NULL
);

CREATE INDEX rate_limit_hits_reset_at ON rate_limit_hits (reset_at);
