import { z } from 'zod';
import { strictMapping } from './policy-schema-parts.ts';

/**
 * rate-limits.yaml: how many calls each agent may make to Elevate's API per minute. A call over
 * the limit is answered 429 with Retry-After before any work (no decision, no ARM call).
 */

/**
 * The highest per-agent limit a file or ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE may set: a guard
 * against a typo, not a capacity. One instance on two cores answers over 7,000 decisions a
 * second (bench/RESULTS.md, 2026-12-07), about 420,000 a minute, so the ceiling sits above that:
 * a limit below what one instance serves would make the limit, not Elevate, the bottleneck.
 */
export const MAX_REQUESTS_PER_MINUTE = 1_000_000;

const requestsPerMinute = z
  .number({ error: 'expected a whole number of requests per minute' })
  .int('expected a whole number of requests per minute')
  .min(1, 'expected at least 1 request per minute')
  .max(MAX_REQUESTS_PER_MINUTE, `expected at most ${MAX_REQUESTS_PER_MINUTE} requests per minute`);

/** The names agents are registered under (agent-input.ts). */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export const rateLimitsSchema = strictMapping({
  agentApi: strictMapping({
    requestsPerMinute,
    agents: z
      .record(
        z.string().regex(AGENT_NAME, "expected an agent's registered name (1-63 letters, digits, '.', '_' or '-')"),
        strictMapping({ requestsPerMinute }),
        { error: 'expected a mapping of agent names' },
      )
      .optional(),
  }),
});

export type RateLimitsFile = z.infer<typeof rateLimitsSchema>;

export interface RateLimitsPolicy {
  agentApi: {
    /** Every agent not named in `agents`. */
    requestsPerMinute: number;
    /** By registered agent name. */
    agents?: Record<string, { requestsPerMinute: number }> | undefined;
  };
}
