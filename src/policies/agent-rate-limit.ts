import type { RateLimitsPolicy } from './rate-limits-schema.ts';

/**
 * The calls per minute one agent may make to Elevate's API: its own entry in rate-limits.yaml,
 * else the deployment's default (ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE) when one is configured,
 * else the policy's default. Agent names compare case-insensitively, as the registry's do.
 */
export function agentRequestsPerMinute(policy: RateLimitsPolicy, agentName: string, configuredDefault?: number): number {
  const wanted = agentName.toLowerCase();
  for (const [name, limit] of Object.entries(policy.agentApi.agents ?? {})) {
    if (name.toLowerCase() === wanted) return limit.requestsPerMinute;
  }
  return configuredDefault ?? policy.agentApi.requestsPerMinute;
}
