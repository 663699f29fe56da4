/**
 * Elevate's app registration issues v1 access tokens unless its manifest asks for v2
 * (requestedAccessTokenVersion; null, i.e. 1, on a new registration:
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference). The default
 * sandbox seed keeps the default, so the rest of the suite runs on v1 tokens; this file runs the
 * agent and administrator APIs on a registration set to v2 (v2 issuer, the client id as audience,
 * azp instead of appid), so both shapes a real tenant can send are covered end to end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imdsCredential } from '../../approvals/support/approval-sandbox.ts';
import { startApprovalHarness, type ApprovalHarness } from '../../approvals/support/approval-harness.ts';
import { restartPayments } from '../../approvals/support/approval-steps.ts';
import { deviceCodeToken } from '../../support/device-code-token.ts';
import { decodeClaims } from '../../support/token-forge.ts';

let h: ApprovalHarness;

beforeAll(async () => {
  h = await startApprovalHarness({ accessTokenVersion: 2, deviceCodeIntervalSeconds: 1 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe('Elevate\'s registration set to v2 access tokens', { timeout: 90_000 }, () => {
  it('takes the agents\' and the administrators\' v2 tokens: an agent submits, an administrator approves through the API', async () => {
    const app = h.sandbox.tenant.elevateApp;
    const agentToken = (await imdsCredential(h.sandbox.origin, h.privilegedAgent.uamiClientId).getToken(`${app.apiAudience}/.default`))!.token;
    expect(decodeClaims(agentToken)).toMatchObject({ ver: '2.0', aud: app.clientId, azp: h.privilegedAgent.uamiClientId, iss: `${h.sandbox.origin}/${h.sandbox.tenant.tenantId}/v2.0` });

    const raised = await h.submit(h.privilegedAgent, restartPayments(h));
    expect(raised.state).toBe('pending_consent');

    const adminToken = await deviceCodeToken(h.sandbox, 'admin');
    expect(decodeClaims(adminToken)).toMatchObject({ ver: '2.0', aud: app.clientId, preferred_username: h.user('admin').upn });
    const approve = await fetch(`${h.url}/api/v1/requests/${raised.id}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'payments restart ok' }),
    });
    expect(approve.status).toBe(200);
    expect(await approve.json()).toMatchObject({ outcome: 'executed', state: 'succeeded' });
    expect(await h.executions(raised.id)).toBe(1);
  });
});
