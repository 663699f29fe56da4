import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { agentRequestsPerMinute } from '../../src/policies/agent-rate-limit.ts';
import { parseWith, policyErrorLines, shippedPolicies } from './policy-fixtures.ts';

describe('rate-limits.yaml', () => {
  it('ships a default for every agent', () => {
    expect(shippedPolicies().rateLimits).toEqual({ agentApi: { requestsPerMinute: 600 } });
  });

  it('takes per-agent limits by registered name', () => {
    const p = parseWith({ 'rate-limits.yaml': 'agentApi:\n  requestsPerMinute: 100\n  agents:\n    sre-agent-prod:\n      requestsPerMinute: 1200\n' });
    expect(p.rateLimits.agentApi.agents).toEqual({ 'sre-agent-prod': { requestsPerMinute: 1200 } });
  });

  it.each([
    ['agentApi:\n  requestsPerMinute: 0\n', /requestsPerMinute: expected at least 1 request per minute/],
    ['agentApi:\n  requestsPerMinute: 1.5\n', /requestsPerMinute: expected a whole number of requests per minute/],
    ['agentApi:\n  requestsPerMinute: "600"\n', /requestsPerMinute: expected a whole number of requests per minute/],
    ['agentApi:\n  requestsPerMinute: 1000001\n', /expected at most 1000000 requests per minute/],
    ['agentApi:\n  requestPerMinute: 600\n', /unknown key 'requestPerMinute'/],
    ['agentApi:\n  requestsPerMinute: 600\n  agents:\n    "bad name!":\n      requestsPerMinute: 1\n', /expected an agent's registered name/],
    ['agentApi:\n  requestsPerMinute: 600\n  agents:\n    a1:\n      limit: 1\n', /unknown key 'limit'/],
    ['agentApi:\n  requestsPerMinute: 600\n  agents:\n    Agent-1:\n      requestsPerMinute: 1\n    agent-1:\n      requestsPerMinute: 2\n', /the same agent as 'Agent-1'/],
  ])('refuses %j', (text, message) => {
    const lines = policyErrorLines(() => parseWith({ 'rate-limits.yaml': text }));
    expect(lines.join('\n')).toMatch(/^policies\/rate-limits\.yaml: /);
    expect(lines.join('\n')).toMatch(message);
  });

  it('is required like the other policy files', () => {
    expect(policyErrorLines(() => parseWith({ 'rate-limits.yaml': undefined }))).toEqual(['policies/rate-limits.yaml: file not found; expected it in the policies folder']);
  });
});

describe('agentRequestsPerMinute', () => {
  const policy = { agentApi: { requestsPerMinute: 600, agents: { 'SRE-Agent-Prod': { requestsPerMinute: 1200 } } } };

  it("uses the agent's own entry (names are not case-sensitive), whatever the deployment default", () => {
    expect(agentRequestsPerMinute(policy, 'sre-agent-prod')).toBe(1200);
    expect(agentRequestsPerMinute(policy, 'sre-agent-prod', 50)).toBe(1200);
  });

  it('uses the deployment default (ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE) over the policy default for other agents', () => {
    expect(agentRequestsPerMinute(policy, 'other')).toBe(600);
    expect(agentRequestsPerMinute(policy, 'other', 50)).toBe(50);
  });

  it('reads ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE from the environment, validated', () => {
    expect(parseConfig({}).agentRateLimitPerMinute).toBeUndefined();
    expect(parseConfig({ ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: '120' }).agentRateLimitPerMinute).toBe(120);
    expect(() => parseConfig({ ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: '0' })).toThrow(/ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: expected a positive whole number/);
    expect(() => parseConfig({ ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: 'lots' })).toThrow(/ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE/);
  });
});
