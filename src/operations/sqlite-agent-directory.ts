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
  /** JSON array of the agent's resource group ids (one round trip per look-up) */
  groups: string;
}

const SELECT = `SELECT a.id, a.name, a.uami_client_id, a.uami_principal_id, a.tenant_id, a.level, a.run_mode_ceiling, a.created_at, a.updated_at,
  (SELECT json_group_array(resource_group_id) FROM (SELECT resource_group_id FROM agent_resource_groups g WHERE g.agent_id = a.id ORDER BY resource_group_id)) AS groups
  FROM agents a`;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSqliteAgentDirectory(db: Pick<Queryable, 'get'>): AgentDirectory {
  function toAgent(row: AgentRow | undefined): Agent | undefined {
    if (!row) return undefined;
    return {
      id: row.id,
      name: row.name,
      uamiClientId: row.uami_client_id,
      uamiPrincipalId: row.uami_principal_id,
      tenantId: row.tenant_id,
      level: row.level as PermissionLevel,
      runModeCeiling: row.run_mode_ceiling as RunMode,
      resourceGroupIds: JSON.parse(row.groups) as string[],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  return {
    async findByIdentity(objectIdOrClientId) {
      if (typeof objectIdOrClientId !== 'string' || !GUID.test(objectIdOrClientId)) return undefined;
      return toAgent(await db.get<AgentRow>(`${SELECT} WHERE a.uami_principal_id = ?1 COLLATE NOCASE OR a.uami_client_id = ?1 COLLATE NOCASE LIMIT 1`, [objectIdOrClientId]));
    },
    async get(agentId) {
      if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 64) return undefined;
      return toAgent(await db.get<AgentRow>(`${SELECT} WHERE a.id = ?`, [agentId]));
    },
  };
}
