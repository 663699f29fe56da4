-- PostgreSQL twin of migrations/003_agents.sql.
-- The SRE agents Elevate governs: each acts through one user-assigned managed identity (UAMI).

-- SQLite's NOCASE, under the same name: the code's `= ? COLLATE NOCASE` and `ORDER BY x COLLATE
-- NOCASE` then read the same on both databases, and UNIQUE on a NOCASE column is case-blind.
-- ICU level 2 (case-insensitive, accent-sensitive) folds case beyond ASCII, where SQLite folds
-- ASCII only: on PostgreSQL more names collide, never fewer. Non-deterministic collations cannot
-- serve LIKE before PostgreSQL 18; nothing matches these columns with LIKE.
CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2', deterministic = false);

CREATE TABLE agents (
  id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
  name TEXT COLLATE nocase NOT NULL UNIQUE,
  -- the UAMI's application (client) id: `appid`/`azp` of its tokens
  uami_client_id TEXT COLLATE nocase NOT NULL UNIQUE,
  -- the UAMI's object (principal) id: `oid` of its tokens, `principalId` of its role assignments
  uami_principal_id TEXT COLLATE nocase NOT NULL UNIQUE,
  tenant_id TEXT COLLATE nocase NOT NULL,
  level TEXT COLLATE "C" NOT NULL CHECK (level IN ('Reader', 'Privileged')),
  run_mode_ceiling TEXT COLLATE "C" NOT NULL CHECK (run_mode_ceiling IN ('ReadOnly', 'Review', 'Autonomous')),
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL
);

-- The resource groups an agent manages: /subscriptions/{id}/resourceGroups/{name}.
CREATE TABLE agent_resource_groups (
  agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  resource_group_id TEXT COLLATE nocase NOT NULL,
  PRIMARY KEY (agent_id, resource_group_id)
);
