-- PostgreSQL twin of migrations/002_sessions.sql.
-- Browser sessions of Elevate's administrators (express-session store).
-- `data` is the session as JSON: identity claims and in-flight sign-in state, never a token.
-- `expires_at` (epoch seconds, hence BIGINT past 2038) is the sooner of the idle and absolute
-- deadlines; expired rows are never read and are swept periodically.
CREATE TABLE sessions (
  sid        TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  data       TEXT COLLATE "C" NOT NULL,
  expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
