/**
 * A short-lived memory of agent look-ups in front of the registry, so an agent calling many
 * times a second costs one database read per `ttlMs`, not one per call. Registry changes (level,
 * resource groups, removal) are seen within `ttlMs`; misses are not remembered, so a newly
 * registered agent is recognised at once.
 */
import type { Agent, AgentDirectory } from './operation-types.ts';

export function cachingAgentDirectory(inner: AgentDirectory, options: { ttlMs: number; maxEntries?: number; now?: () => number }): AgentDirectory {
  const now = options.now ?? (() => Date.now());
  const maxEntries = options.maxEntries ?? 1000;
  const byIdentity = new Map<string, { agent: Agent; until: number }>();

  return {
    async findByIdentity(identity) {
      const key = typeof identity === 'string' ? identity.toLowerCase() : '';
      const hit = byIdentity.get(key);
      if (hit && now() < hit.until) return hit.agent;
      byIdentity.delete(key);
      const agent = await inner.findByIdentity(identity);
      if (agent) {
        if (byIdentity.size >= maxEntries) byIdentity.delete(byIdentity.keys().next().value!);
        byIdentity.set(key, { agent, until: now() + options.ttlMs });
      }
      return agent;
    },
    get: (agentId) => inner.get(agentId),
  };
}
