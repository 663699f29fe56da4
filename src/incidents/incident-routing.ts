/**
 * Which agent an alert belongs to: the one managing the resource group of its targets. Pure: the
 * caller passes the registered agents. Targets are tried in the order the alert lists them; an
 * alert whose groups no agent manages is still recorded, for people, and routed to nobody.
 */
import { normalizeResourceGroupId, resourceGroupOfPath } from '../operations/arm-path-rules.ts';

export interface RoutableAgent {
  id: string;
  resourceGroupIds: readonly string[];
}

/** The canonical resource group ids of the targets (subscription-level targets have none). */
export function resourceGroupsOf(targetResourceIds: readonly string[]): string[] {
  const groups = new Set<string>();
  for (const id of targetResourceIds) {
    const group = resourceGroupOfPath(id);
    if (group) groups.add(group);
  }
  return [...groups];
}

export function agentForTargets(targetResourceIds: readonly string[], agents: readonly RoutableAgent[]): string | undefined {
  const sorted = [...agents].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const group of resourceGroupsOf(targetResourceIds)) {
    const agent = sorted.find((a) => a.resourceGroupIds.some((g) => normalizeResourceGroupId(g) === group));
    if (agent) return agent.id;
  }
  return undefined;
}

/** Whether the incident lies in one of the agent's managed groups (what ties its operations to it). */
export function incidentInAgentGroups(incidentGroups: readonly string[], agentGroups: readonly string[]): boolean {
  const mine = new Set(agentGroups.map(normalizeResourceGroupId));
  return incidentGroups.some((g) => mine.has(normalizeResourceGroupId(g)));
}
