import type { Queryable } from '../store/database.ts';
import type { PermissionLevel, RunMode } from '../policies/policy-types.ts';
import type { Agent } from './agent-types.ts';

/**
 * SQL over the agent tables (`agents`, `agent_resource_groups` from 003_agents.sql and
 * `agent_released_resource_groups` from 006_agent_registry.sql). No validation here: the
 * registry service checks input before it reaches a statement, and every value is bound.
 */

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

async function withGroups(db: Queryable, row: AgentRow | undefined): Promise<Agent | undefined> {
  if (!row) return undefined;
  const groups = await db.all<{ resource_group_id: string }>(
    'SELECT resource_group_id FROM agent_resource_groups WHERE agent_id = ? ORDER BY resource_group_id COLLATE NOCASE',
    [row.id],
  );
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

export async function listAgents(db: Queryable): Promise<Agent[]> {
  const rows = await db.all<AgentRow>(`SELECT ${COLUMNS} FROM agents ORDER BY name COLLATE NOCASE`);
  const out: Agent[] = [];
  for (const row of rows) out.push((await withGroups(db, row))!);
  return out;
}

export async function findAgentById(db: Queryable, id: string): Promise<Agent | undefined> {
  return withGroups(db, await db.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE id = ?`, [id]));
}

export async function findAgentByName(db: Queryable, name: string): Promise<Agent | undefined> {
  return withGroups(db, await db.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE name = ? COLLATE NOCASE`, [name]));
}

export async function findAgentByPrincipal(db: Queryable, principalId: string): Promise<Agent | undefined> {
  return withGroups(db, await db.get<AgentRow>(`SELECT ${COLUMNS} FROM agents WHERE uami_principal_id = ? COLLATE NOCASE`, [principalId]));
}

export async function insertAgent(db: Queryable, agent: Agent): Promise<void> {
  await db.run(
    `INSERT INTO agents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [agent.id, agent.name, agent.uamiClientId, agent.uamiPrincipalId, agent.tenantId, agent.level, agent.runModeCeiling, agent.createdAt, agent.updatedAt],
  );
  for (const rg of agent.resourceGroupIds) await insertResourceGroup(db, agent.id, rg);
}

/** Compare-and-set on updated_at: false when someone else changed the agent in between. */
export async function updateAgentFields(
  db: Queryable,
  id: string,
  expectedUpdatedAt: string,
  fields: { level?: PermissionLevel; runModeCeiling?: RunMode },
  updatedAt: string,
): Promise<boolean> {
  const sets: string[] = ['updated_at = ?'];
  const params: string[] = [updatedAt];
  if (fields.level !== undefined) {
    sets.push('level = ?');
    params.push(fields.level);
  }
  if (fields.runModeCeiling !== undefined) {
    sets.push('run_mode_ceiling = ?');
    params.push(fields.runModeCeiling);
  }
  const result = await db.run(`UPDATE agents SET ${sets.join(', ')} WHERE id = ? AND updated_at = ?`, [...params, id, expectedUpdatedAt]);
  return result.changes === 1;
}

export async function insertResourceGroup(db: Queryable, agentId: string, resourceGroupId: string): Promise<void> {
  await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [agentId, resourceGroupId]);
  await db.run('DELETE FROM agent_released_resource_groups WHERE agent_id = ? AND resource_group_id = ? COLLATE NOCASE', [agentId, resourceGroupId]);
}

export async function deleteResourceGroup(db: Queryable, agentId: string, resourceGroupId: string, releasedAt: string): Promise<boolean> {
  const result = await db.run('DELETE FROM agent_resource_groups WHERE agent_id = ? AND resource_group_id = ? COLLATE NOCASE', [agentId, resourceGroupId]);
  if (result.changes === 0) return false;
  await db.run(
    'INSERT INTO agent_released_resource_groups (agent_id, resource_group_id, released_at) VALUES (?, ?, ?) ON CONFLICT (agent_id, resource_group_id) DO UPDATE SET released_at = excluded.released_at',
    [agentId, resourceGroupId, releasedAt],
  );
  return true;
}

/** Groups removed from the agent whose Elevate-made assignments may still need deleting. */
export async function listReleasedResourceGroups(db: Queryable, agentId: string): Promise<string[]> {
  const rows = await db.all<{ resource_group_id: string }>(
    'SELECT resource_group_id FROM agent_released_resource_groups WHERE agent_id = ? ORDER BY resource_group_id COLLATE NOCASE',
    [agentId],
  );
  return rows.map((r) => r.resource_group_id);
}

export async function forgetReleasedResourceGroups(db: Queryable, agentId: string, resourceGroupIds: string[]): Promise<void> {
  for (const rg of resourceGroupIds) {
    await db.run('DELETE FROM agent_released_resource_groups WHERE agent_id = ? AND resource_group_id = ? COLLATE NOCASE', [agentId, rg]);
  }
}
