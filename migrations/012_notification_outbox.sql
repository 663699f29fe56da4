-- The notification outbox (src/notifications): one row per (event, channel) to deliver, written in
-- the same transaction as the state change it reports, so a committed change always has its
-- notifications on record and a rolled-back one has none. The dispatcher delivers due rows at
-- least once, retries with backoff, and marks a row `dead` after the configured number of attempts.
-- Rows hold the event's facts (already summarised: never a token, a secret or a full body) and the
-- channel's name from policies/notifications.yaml; URLs and secrets stay in the environment.
CREATE TABLE notification_outbox (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  request_id TEXT,
  -- the request's version the change produced: a reverted transition retracts exactly its rows
  request_version INTEGER,
  route TEXT NOT NULL,
  channel TEXT NOT NULL,
  event_json TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (event_id, channel)
);

CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
CREATE INDEX notification_outbox_by_request ON notification_outbox (request_id, request_version);
