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
}

const COLUMNS = 'id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function createSqliteAgentDirectory(db: Pick<Queryable, 'get' | 'all'>): AgentDirectory {
  async function withGroups(row: AgentRow | undefined): Promise<Agent | undefined> {
    if (!row) return undefined;
    const groups = await db.all<{ resource_group_id: string }>('SELECT resource_group_id FROM agent_resource_groups WHERE agent_id = ? ORDER BY resource_group_id', [row.id]);
    return {
      id: row.id,
      name: row.name,
      uamiClientId: row.uami_client_id,
      uamiPrincipalId: row.uami_principal_id,
      tenantId: row.tenant_id,
      level: row.level as PermissionLevel,
      runModeCeiling: row.run_mode_ceiling as RunMode,
      resourceGroupIds: groups.map((g) => g.resource_group_id),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  return {
    async findByIdentity(objectIdOrClientId) {
      if (typeof objectIdOrClientId !== 'string' || !GUID.test(objectIdOrClientId)) return undefined;
      const row = await db.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE uami_principal_id = ?1 COLLATE NOCASE OR uami_client_id = ?1 COLLATE NOCASE LIMIT 1`, [
        objectIdOrClientId,
      ]);
      return withGroups(row);
    },
    async get(agentId) {
      if (typeof agentId !== 'string' || agentId.length === 0 || agentId.length > 64) return undefined;
      return withGroups(await db.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = ?`, [agentId]));
    },
  };
}
