/**
 * Per-agent limits on Elevate's API (rate-limits.yaml). Runs right after the agent is
 * authenticated and before any route: a call over the limit is answered 429 with Retry-After and
 * does nothing else (no decision is made or counted, ARM is not called). Each refusal goes to the
 * refusal sink, which appends the first per agent and minute and collapses the rest into one
 * `refusal.repeated` entry with their count.
 *
 * A fixed window per agent, as express-rate-limit's memory store kept it, counted here directly:
 * that library spent more on each call of the agents' hot path than the decision itself (issue
 * 18: eight debug calls, the client address parsed for one of them, a SHA-256 of the key for a
 * header, five awaits). The answer is the same: every call counts, refused ones too; over the
 * limit, 429 with Retry-After; the IETF RateLimit and RateLimit-Policy headers on every answer.
 * With several instances on one database the window is counted there instead (`store`, the
 * shared express-rate-limit store), so an agent over its limit on one instance is over it on all.
 */
import type { RequestHandler, Response } from 'express';
import type { Options, Store } from 'express-rate-limit';
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

/**
 * Windows remembered at once before the ended ones are swept. Windows are keyed by registered
 * agents only (this runs after authentication), so the map holds at most one per agent.
 */
export const RATE_LIMIT_SWEEP_AT = 10_000;

/** Mount after agentAuthentication (it needs `res.locals.agent`). */
export function agentRateLimit(deps: AgentRateLimitDeps & { now?: () => number }): RequestHandler {
  const now = deps.now ?? Date.now;
  const windows = new Map<string, { count: number; resetAt: number }>();
  const sweep = (t: number) => {
    for (const [key, w] of windows) if (w.resetAt <= t) windows.delete(key);
  };

  const countHere = (agentId: string, t: number): { count: number; resetAt: number } => {
    let w = windows.get(agentId);
    if (!w || w.resetAt <= t) {
      if (!w && windows.size >= RATE_LIMIT_SWEEP_AT) sweep(t);
      w = { count: 0, resetAt: t + WINDOW_MS };
      windows.set(agentId, w);
    }
    w.count += 1;
    return w;
  };
  const shared = deps.store;
  void shared?.init?.({ windowMs: WINDOW_MS } as Options);

  const answer = (res: Response, next: () => void, agent: Agent, limit: number, w: { count: number; resetAt: number }, t: number) => {
    const resetSeconds = Math.max(0, Math.ceil((w.resetAt - t) / 1000));
    // draft-ietf-httpapi-ratelimit-headers-08, as the library sent them (without its hashed partition key)
    res.setHeader('RateLimit-Policy', `"agent"; q=${limit}; w=${WINDOW_MS / 1000}`);
    res.setHeader('RateLimit', `"agent"; r=${Math.max(0, limit - w.count)}; t=${resetSeconds}`);
    if (w.count <= limit) {
      next();
      return;
    }
    deps.audit.append(rateLimitedEntry(agent, limit)).catch((err: unknown) =>
      // The call is refused either way; a refusal that could not be audited is an operational alarm.
      deps.logger?.error({ agentId: agent.id, reason: err instanceof Error ? err.message : String(err) }, 'a rate-limit refusal could not be audited'),
    );
    res
      .status(429)
      .set('Retry-After', String(resetSeconds))
      .set('Cache-Control', 'no-store')
      .json({ error: { code: 'rate_limited', message: `too many requests: this agent may make ${limit} calls per minute to Elevate's API; retry after the time in Retry-After` } });
  };

  return (_req, res, next) => {
    const agent = agentOf(res);
    // read on every call: a policy reload applies to the next call
    const limit = agentRequestsPerMinute(deps.policy(), agent.name, deps.configuredDefault);
    const t = now();
    if (!shared) {
      answer(res, next, agent, limit, countHere(agent.id, t), t);
      return;
    }
    // Fail closed: a count the database could not take is an error answer, never a free pass.
    Promise.resolve(shared.increment(`agent:${agent.id}`))
      .then((r) => answer(res, next, agent, limit, { count: r.totalHits, resetAt: r.resetTime?.getTime() ?? t + WINDOW_MS }, t), next);
  };
}
