-- PostgreSQL twin of migrations/016_incidents.sql.
-- Incidents raised by Azure Monitor alerts (src/incidents). One incident per alert (its ARM id);
-- the alert's essentials and context are stored as received (validated JSON), rendered escaped.
-- `agent_id` is the agent that manages the target resource group when the alert arrived (NULL:
-- no registered agent manages it; the incident is still recorded and shown to people).
CREATE TABLE incidents (
  id TEXT COLLATE "C" PRIMARY KEY,
  alert_id TEXT COLLATE "C" NOT NULL,
  alert_guid TEXT COLLATE "C" NOT NULL UNIQUE,
  subscription_id TEXT COLLATE "C" NOT NULL,
  alert_rule TEXT COLLATE "C" NOT NULL,
  severity TEXT COLLATE "C" NOT NULL CHECK (severity IN ('Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4')),
  signal_type TEXT COLLATE "C" NOT NULL,
  monitoring_service TEXT COLLATE "C" NOT NULL,
  monitor_condition TEXT COLLATE "C" NOT NULL CHECK (monitor_condition IN ('Fired', 'Resolved')),
  description TEXT COLLATE "C",
  target_resource_ids_json TEXT COLLATE "C" NOT NULL,
  resource_group_ids_json TEXT COLLATE "C" NOT NULL,
  agent_id TEXT COLLATE "C",
  state TEXT COLLATE "C" NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  version BIGINT NOT NULL DEFAULT 0,
  source TEXT COLLATE "C" NOT NULL,
  essentials_json TEXT COLLATE "C" NOT NULL,
  alert_context_json TEXT COLLATE "C",
  fired_at TEXT COLLATE "C" NOT NULL,
  resolved_at TEXT COLLATE "C",
  created_at TEXT COLLATE "C" NOT NULL,
  updated_at TEXT COLLATE "C" NOT NULL,
  state_reason TEXT COLLATE "C"
);

-- The agent API lists an agent's incidents newest first (keyset on created_at, id); pages list all.
CREATE INDEX incidents_by_agent_created ON incidents (agent_id, created_at, id);
CREATE INDEX incidents_by_created ON incidents (created_at, id);

-- Every delivery Elevate accepted, keyed by alert and monitor condition: a repeat (Azure Monitor
-- retries, or two action groups with the same webhook) is recognised here and changes nothing.
CREATE TABLE incident_deliveries (
  delivery_key TEXT COLLATE "C" PRIMARY KEY,
  incident_id TEXT COLLATE "C" NOT NULL REFERENCES incidents (id),
  first_at TEXT COLLATE "C" NOT NULL,
  last_at TEXT COLLATE "C" NOT NULL,
  repeats BIGINT NOT NULL DEFAULT 0
);

-- Operations tied to an incident are found by their trigger (kind 'incident', ref = incident id).
CREATE INDEX operation_requests_by_trigger_ref ON operation_requests (trigger_kind, trigger_ref, created_at);

-- Query parameters an ARM operation takes besides api-version (the alert's changestate newState),
-- canonical JSON, covered by the operation hash. NULL: none.
ALTER TABLE operation_requests ADD COLUMN query_json TEXT COLLATE "C";
