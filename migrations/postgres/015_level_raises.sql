-- PostgreSQL twin of migrations/015_level_raises.sql.
-- Time-bound level raises (src/raises): an agent's level raised on some of its resource groups for
-- a window, on approval. Azure ends the window itself where PIM is available; otherwise (and to
-- check Azure did) Elevate's sweeper revokes from this table, retrying until the grants are gone,
-- across restarts. `grants` is the JSON list of role assignments the raise made (with the Azure
-- schedule request / role assignment ids), `approvals` the JSON list of approvals counted so far.
CREATE TABLE level_raises (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  principal_id TEXT COLLATE nocase NOT NULL,
  resource_group_ids TEXT COLLATE "C" NOT NULL,
  target_level TEXT COLLATE "C" NOT NULL CHECK (target_level IN ('Reader', 'Privileged')),
  duration_minutes BIGINT NOT NULL CHECK (duration_minutes > 0),
  justification TEXT COLLATE "C" NOT NULL,
  requested_by TEXT COLLATE "C" NOT NULL,
  trigger_ref TEXT COLLATE "C",
  state TEXT COLLATE "C" NOT NULL CHECK (state IN ('pending', 'granting', 'active', 'revoking', 'ended', 'denied', 'cancelled', 'expired')),
  mode TEXT COLLATE "C" CHECK (mode IN ('pim', 'fallback')),
  mode_reason TEXT COLLATE "C",
  approvals TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  grants TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  created_at TEXT COLLATE "C" NOT NULL,
  pending_until TEXT COLLATE "C" NOT NULL,
  starts_at TEXT COLLATE "C",
  ends_at TEXT COLLATE "C",
  end_reason TEXT COLLATE "C",
  ended_at TEXT COLLATE "C",
  verified_at TEXT COLLATE "C",
  revoke_attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at TEXT COLLATE "C",
  last_error TEXT COLLATE "C",
  version BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX level_raises_by_agent ON level_raises (agent_id, created_at);
-- The sweeper's work: raises still holding (or maybe holding) role assignments.
CREATE INDEX level_raises_open ON level_raises (state, ends_at) WHERE state IN ('pending', 'granting', 'active', 'revoking');
