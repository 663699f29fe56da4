/**
 * Decision routes are rate limited per signed-in user: a flood of approve/deny posts is cut off
 * with 429 before it reaches the use cases, and other administrators keep their own allowance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { csrfOf, requestPage, restartCheckout } from '../approvals/support/approval-steps.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startApprovalHarness({ decisionLimit: 3 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('decision rate limit', { timeout: 60_000 }, () => {
  it('answers 429 after the limit, per user', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const admin = await h.signedIn('admin');
    const token = csrfOf((await requestPage(admin, h, raised.id)).body);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      // No reason: each would be refused with 400, so nothing is decided along the way.
      statuses.push((await admin.post(`${h.url}/approvals/${raised.id}/deny`, { _csrf: token })).status);
    }
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    const limited = await admin.post(`${h.url}/approvals/${raised.id}/approve`, { _csrf: token, reason: 'now?' });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatch(/Too many attempts/);
    // Reading is not limited, and another administrator still decides.
    expect((await requestPage(admin, h, raised.id)).status).toBe(200);
    const admin2 = await h.signedIn('admin2');
    const denied = await admin2.post(`${h.url}/approvals/${raised.id}/deny`, { _csrf: csrfOf((await requestPage(admin2, h, raised.id)).body), reason: 'no' });
    expect(denied.status).toBe(303);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('denied');
  });
});
