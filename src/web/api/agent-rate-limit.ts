/**
 * Per-agent limits on Elevate's API (rate-limits.yaml). Runs right after the agent is
 * authenticated and before any route: a call over the limit is answered 429 with Retry-After and
 * does nothing else (no decision is made or counted, ARM is not called). Each refusal goes to the
 * refusal sink, which appends the first per agent and minute and collapses the rest into one
 * `refusal.repeated` entry with their count.
 */
import type { RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import type { AuditInput } from '../../audit/audit-types.ts';
import type { Logger } from '../../observability/logger.ts';
import { agentActor } from '../../operations/operation-audit.ts';
import type { Agent } from '../../operations/operation-types.ts';
import { agentRequestsPerMinute } from '../../policies/agent-rate-limit.ts';
import type { RateLimitsPolicy } from '../../policies/rate-limits-schema.ts';

export const API_RATE_LIMITED = 'api.rate_limited';
const WINDOW_MS = 60_000;

export interface AgentRateLimitDeps {
  /** Read on every call, so a policy reload takes effect at once. */
  policy: () => RateLimitsPolicy;
  /** ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE */
  configuredDefault?: number | undefined;
  /** The refusal sink (collapsingAudit): api.rate_limited is one of its collapsed events. */
  audit: { append(input: AuditInput): Promise<unknown> };
  logger?: Logger | undefined;
  /** Shared counters when several instances share one database (absent: in this process). */
  store?: Store | undefined;
}

export function rateLimitedEntry(agent: Pick<Agent, 'id' | 'name'>, limit: number): AuditInput {
  return {
    actor: agentActor(agent),
    eventType: API_RATE_LIMITED,
    agentId: agent.id,
    outcome: 'refused',
    details: { reason: 'rate_limited', requestsPerMinute: limit },
  };
}

const agentOf = (res: Response) => res.locals.agent as Agent;

/** Mount after agentAuthentication (it needs `res.locals.agent`). */
export function agentRateLimit(deps: AgentRateLimitDeps): RequestHandler {
  const limitOf = (res: Response) => agentRequestsPerMinute(deps.policy(), agentOf(res).name, deps.configuredDefault);
  return rateLimit({
    ...(deps.store ? { store: deps.store } : {}),
    windowMs: WINDOW_MS,
    limit: (_req, res) => limitOf(res),
    // Per agent (its registry id), whatever address or token it calls with.
    keyGenerator: (_req, res) => `agent:${agentOf(res).id}`,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // The key is the agent, not an address: the library's IP-key checks do not apply.
    validate: { keyGeneratorIpFallback: false },
    handler: (_req, res) => {
      const agent = agentOf(res);
      const limit = limitOf(res);
      deps.audit.append(rateLimitedEntry(agent, limit)).catch((err: unknown) =>
        // The call is refused either way; a refusal that could not be audited is an operational alarm.
        deps.logger?.error({ agentId: agent.id, reason: err instanceof Error ? err.message : String(err) }, 'a rate-limit refusal could not be audited'),
      );
      res
        .status(429)
        .set('Cache-Control', 'no-store')
        .json({ error: { code: 'rate_limited', message: `too many requests: this agent may make ${limit} calls per minute to Elevate's API; retry after the time in Retry-After` } });
    },
  });
}
