-- Browser sessions of Elevate's administrators (express-session store).
-- `data` is the session as JSON: identity claims and in-flight sign-in state, never a token.
-- `expires_at` (epoch seconds) is the sooner of the idle and absolute deadlines; expired rows
-- are never read and are swept periodically.
CREATE TABLE sessions (
  sid        TEXT    PRIMARY KEY NOT NULL,
  data       TEXT    NOT NULL,
  expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_expires_at ON sessions (expires_at);
