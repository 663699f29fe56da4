import type { AgentRegistry } from './agent-registry.ts';
import type { Agent } from './agent-types.ts';

/** The sandbox's seeded agent, as SandboxTenantInfo describes it. */
export interface SandboxAgentInfo {
  name: string;
  uamiClientId: string;
  uamiPrincipalId: string;
  resourceGroupIds: string[];
}

/**
 * Registers the sandbox's seeded agent at service start, Reader level, if neither its name nor its
 * identity is registered yet. An existing registration is left exactly as the administrator left it.
 */
export async function seedSandboxAgent(registry: AgentRegistry, info: { agent: SandboxAgentInfo }): Promise<{ created: boolean; agent: Agent }> {
  const existing = (await registry.find(info.agent.name)) ?? (await registry.findByPrincipalId(info.agent.uamiPrincipalId));
  if (existing) return { created: false, agent: existing };
  const agent = await registry.create(
    {
      name: info.agent.name,
      uamiClientId: info.agent.uamiClientId,
      uamiPrincipalId: info.agent.uamiPrincipalId,
      level: 'Reader',
      runModeCeiling: 'Review',
      resourceGroupIds: info.agent.resourceGroupIds,
    },
    { kind: 'system', id: 'elevate', name: 'sandbox seeding' },
  );
  return { created: true, agent };
}
