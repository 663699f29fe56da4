-- Time-bound level raises (src/raises): an agent's level raised on some of its resource groups for
-- a window, on approval. Azure ends the window itself where PIM is available; otherwise (and to
-- check Azure did) Elevate's sweeper revokes from this table, retrying until the grants are gone,
-- across restarts. `grants` is the JSON list of role assignments the raise made (with the Azure
-- schedule request / role assignment ids), `approvals` the JSON list of approvals counted so far.
CREATE TABLE level_raises (
  id TEXT PRIMARY KEY NOT NULL,
  agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  principal_id TEXT NOT NULL COLLATE NOCASE,
  resource_group_ids TEXT NOT NULL,
  target_level TEXT NOT NULL CHECK (target_level IN ('Reader', 'Privileged')),
  duration_minutes INTEGER NOT NULL CHECK (duration_minutes > 0),
  justification TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  trigger_ref TEXT,
  state TEXT NOT NULL CHECK (state IN ('pending', 'granting', 'active', 'revoking', 'ended', 'denied', 'cancelled', 'expired')),
  mode TEXT CHECK (mode IN ('pim', 'fallback')),
  mode_reason TEXT,
  approvals TEXT NOT NULL DEFAULT '[]',
  grants TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  pending_until TEXT NOT NULL,
  starts_at TEXT,
  ends_at TEXT,
  end_reason TEXT,
  ended_at TEXT,
  verified_at TEXT,
  revoke_attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT,
  last_error TEXT,
  version INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX level_raises_by_agent ON level_raises (agent_id, created_at);
-- The sweeper's work: raises still holding (or maybe holding) role assignments.
CREATE INDEX level_raises_open ON level_raises (state, ends_at) WHERE state IN ('pending', 'granting', 'active', 'revoking');
