/**
 * The operations API's read-only view of registered agents, straight from the `agents` tables
 * (migrations/003_agents.sql). Token identities are matched case-insensitively: Entra prints
 * GUIDs in lower case, but an operator may have registered them in upper case.
 */
import type { Queryable } from '../store/database.ts';
import type { Agent, AgentDirectory, PermissionLevel, RunMode } from './operation-types.ts';

interface AgentRow {
  id: string;
  name: string;
  uami_client_id: string;
  uami_principal_id: string;
  tenant_id: string;
  level: string;
  run_mode_ceiling: string;
  created_at: string;
  updated_at: string;
  /** One of the agent's resource group ids, or null when it has none. */
  resource_group_id: string | null;
}

/**
 * One row per resource group (one with null when there is none): a single round trip and one
 * snapshot per look-up, in SQL both SQLite and PostgreSQL run (no JSON aggregates, which differ).
 */
const SELECT = `SELECT a.id, a.name, a.uami_client_id, a.uami_principal_id, a.tenant_id, a.level, a.run_mode_ceiling, a.created_at, a.updated_at, g.resource_group_id
  FROM agents a LEFT JOIN agent_resource_groups g ON g.agent_id = a.id`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSqliteAgentDirectory(db: Pick<Queryable, 'all'>): AgentDirectory {
  function toAgent(rows: AgentRow[]): Agent | undefined {
    const row = rows[0];
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      uamiClientId: row.uami_client_id,
      uamiPrincipalId: row.uami_principal_id,
      tenantId: row.tenant_id,
      level: row.level as PermissionLevel,
      runModeCeiling: row.run_mode_ceiling as RunMode,
      resourceGroupIds: rows.flatMap((r) => (r.resource_group_id === null ? [] : [r.resource_group_id])),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  return {
    async findByIdentity(objectIdOrClientId) {
      if (typeof objectIdOrClientId !== 'string' || !GUID.test(objectIdOrClientId)) return undefined;
      return toAgent(
        await db.all<AgentRow>(
          `${SELECT} WHERE a.id = (SELECT id FROM agents WHERE uami_principal_id = ? COLLATE NOCASE OR uami_client_id = ? COLLATE NOCASE LIMIT 1) ORDER BY g.resource_group_id`,
          [objectIdOrClientId, objectIdOrClientId],
        ),
      );
    },
    async get(agentId) {
      if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 64) return undefined;
      return toAgent(await db.all<AgentRow>(`${SELECT} WHERE a.id = ? ORDER BY g.resource_group_id`, [agentId]));
    },
  };
}
