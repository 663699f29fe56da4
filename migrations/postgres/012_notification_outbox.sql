-- PostgreSQL twin of migrations/012_notification_outbox.sql.
-- The notification outbox (src/notifications): one row per (event, channel) to deliver, written in
-- the same transaction as the state change it reports, so a committed change always has its
-- notifications on record and a rolled-back one has none. The dispatcher delivers due rows at
-- least once, retries with backoff, and marks a row `dead` after the configured number of attempts.
-- Rows hold the event's facts (already summarised: never a token, a secret or a full body) and the
-- channel's name from policies/notifications.yaml; URLs and secrets stay in the environment.
CREATE TABLE notification_outbox (
  id TEXT COLLATE "C" PRIMARY KEY,
  event_id TEXT COLLATE "C" NOT NULL,
  event_type TEXT COLLATE "C" NOT NULL,
  request_id TEXT COLLATE "C",
  -- the request's version the change produced: a reverted transition retracts exactly its rows
  request_version BIGINT,
  route TEXT COLLATE "C" NOT NULL,
  channel TEXT COLLATE "C" NOT NULL,
  event_json TEXT COLLATE "C" NOT NULL,
  status TEXT COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at TEXT COLLATE "C" NOT NULL,
  last_error TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  UNIQUE (event_id, channel)
);

CREATE INDEX notification_outbox_due ON notification_outbox (status, next_attempt_at);
CREATE INDEX notification_outbox_by_request ON notification_outbox (request_id, request_version);
