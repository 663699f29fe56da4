-- The SRE agents Elevate governs: each acts through one user-assigned managed identity (UAMI).
-- The operations API reads them (src/operations/sqlite-agent-directory.ts); the agent registry
-- (src/agents) writes them and extends these tables in later migrations.
CREATE TABLE agents (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL COLLATE NOCASE UNIQUE,
  -- the UAMI's application (client) id: `appid`/`azp` of its tokens
  uami_client_id TEXT NOT NULL COLLATE NOCASE UNIQUE,
  -- the UAMI's object (principal) id: `oid` of its tokens, `principalId` of its role assignments
  uami_principal_id TEXT NOT NULL COLLATE NOCASE UNIQUE,
  tenant_id TEXT NOT NULL COLLATE NOCASE,
  level TEXT NOT NULL CHECK (level IN ('Reader', 'Privileged')),
  run_mode_ceiling TEXT NOT NULL CHECK (run_mode_ceiling IN ('ReadOnly', 'Review', 'Autonomous')),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- The resource groups an agent manages: /subscriptions/{id}/resourceGroups/{name}.
CREATE TABLE agent_resource_groups (
  agent_id TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  resource_group_id TEXT NOT NULL COLLATE NOCASE,
  PRIMARY KEY (agent_id, resource_group_id)
) STRICT;
