/**
 * The administrator API as `elevate serve` mounts it (service-routes.ts): in front of the agent
 * API's /api/v1 router, bearer-only (no browser session, no cookie), refusals audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFullService, type FullService } from '../support/full-service.ts';

let s: FullService;
beforeAll(async () => {
  s = await startFullService();
}, 60_000);
afterAll(async () => {
  await s?.close();
});

describe('administrator API in the running service', () => {
  it('answers its own refusals (not the agent API\'s), sets no session cookie, and audits them', async () => {
    const anonymous = await fetch(`${s.url}/api/v1/requests`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="elevate"');
    expect(anonymous.headers.get('set-cookie')).toBeNull();
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe('unauthorized');

    const agent = await fetch(`${s.url}/api/v1/requests`, { headers: { authorization: `Bearer ${await s.agentToken()}` } });
    expect(agent.status).toBe(403);
    expect(((await agent.json()) as { error: { code: string } }).error.code).toBe('not_delegated');

    const audited = await s.service.context.store.all<{ event_type: string; details: string }>("SELECT event_type, details FROM audit_log WHERE event_type = 'api.auth.refused'");
    expect(audited.map((r) => JSON.parse(r.details).reason)).toEqual(expect.arrayContaining(['unauthorized', 'not_delegated']));
  });
});
