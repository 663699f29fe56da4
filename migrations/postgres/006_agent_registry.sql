-- PostgreSQL twin of migrations/006_agent_registry.sql.
-- Resource groups removed from an agent whose Elevate-made role assignments may still exist.
-- The planner reads role assignments per subscription of the agent's managed groups; a group
-- released from the last managed group of its subscription would otherwise never be looked at
-- again, and its assignments would outlive the agent's access there. A row goes when a plan
-- finds nothing left to delete in that group (or the group is added back).
-- resource_group_id is binary here, as in SQLite; the code compares it with `= ? COLLATE NOCASE`.
CREATE TABLE agent_released_resource_groups (
  agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  resource_group_id TEXT COLLATE "C" NOT NULL,
  released_at TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (agent_id, resource_group_id)
);
