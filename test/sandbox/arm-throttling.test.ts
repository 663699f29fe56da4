/**
 * ARM's request throttling in the sandbox (src/sandbox/arm/arm-throttling.ts): the token buckets
 * as a pure model, then through the Azure SDK against a private sandbox, where the throttling
 * retry policy waits out `Retry-After` as it does against Azure.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 */
import { ResourceManagementClient } from '@azure/arm-resources';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARM_DEFAULT_THROTTLE_LIMITS, createArmThrottle, operationKindOf, type ArmThrottleLimits } from '../../src/sandbox/arm/arm-throttling.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';

const SUB = '00000000-0000-0000-0000-00000000aaaa';
const A = '11111111-1111-1111-1111-111111111111';
const B = '22222222-2222-2222-2222-222222222222';

function clocked(limits?: ArmThrottleLimits) {
  let t = 0;
  const throttle = createArmThrottle({ ...(limits ? { limits } : {}), now: () => t });
  return { throttle, advance: (ms: number) => (t += ms) };
}

describe('ARM throttling (the model)', () => {
  it("allows Azure's bucket of 250 reads at once, refuses the next with Retry-After, and refills 25 a second", () => {
    const { throttle, advance } = clocked();
    for (let i = 0; i < 250; i++) expect(throttle.take({ principalId: A, subscriptionId: SUB, kind: 'read' }).ok).toBe(true);
    const refused = throttle.take({ principalId: A, subscriptionId: SUB, kind: 'read' });
    expect(refused).toEqual({
      ok: false,
      retryAfterSeconds: 1,
      code: 'SubscriptionRequestsThrottled',
      message: `Number of 'read' requests for subscription '${SUB}' actor '${A}' exceeded. Please try again after '1' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
    });
    advance(1000);
    let allowed = 0;
    while (throttle.take({ principalId: A, subscriptionId: SUB, kind: 'read' }).ok) allowed += 1;
    expect(allowed).toBe(25);
  });

  it('keeps reads, writes and deletes, principals and subscriptions apart, and says what is left', () => {
    const { throttle } = clocked();
    for (let i = 0; i < 250; i++) throttle.take({ principalId: A, subscriptionId: SUB, kind: 'read' });
    expect(throttle.take({ principalId: A, subscriptionId: SUB, kind: 'read' }).ok).toBe(false);
    expect(throttle.take({ principalId: A, subscriptionId: SUB, kind: 'write' })).toEqual({
      ok: true,
      headers: { 'x-ms-ratelimit-remaining-subscription-writes': '199', 'x-ms-ratelimit-remaining-subscription-global-writes': '2999' },
    });
    expect(throttle.take({ principalId: A, subscriptionId: SUB, kind: 'delete' }).ok).toBe(true);
    expect(throttle.take({ principalId: B, subscriptionId: SUB, kind: 'read' })).toEqual({
      ok: true,
      headers: { 'x-ms-ratelimit-remaining-subscription-reads': '249', 'x-ms-ratelimit-remaining-subscription-global-reads': '3499' },
    });
    expect(throttle.take({ principalId: A, subscriptionId: '00000000-0000-0000-0000-00000000bbbb', kind: 'read' }).ok).toBe(true);
    expect(throttle.take({ principalId: A, subscriptionId: undefined, kind: 'read' })).toEqual({ ok: true, headers: { 'x-ms-ratelimit-remaining-tenant-reads': '249' } });
  });

  it('shares a global bucket per subscription between principals, and throttles tenant requests with their own code', () => {
    const small: ArmThrottleLimits = { ...ARM_DEFAULT_THROTTLE_LIMITS, read: { size: 2, refillPerSecond: 1 }, globalMultiplier: 2 };
    const { throttle } = clocked(small);
    const principals = [A, B, '33333333-3333-3333-3333-333333333333'];
    const answers = principals.flatMap((p) => [0, 1].map(() => throttle.take({ principalId: p, subscriptionId: SUB, kind: 'read' }).ok));
    // Each principal has 2 of its own, but the subscription's 4 are gone before the third's.
    expect(answers).toEqual([true, true, true, true, false, false]);
    throttle.take({ principalId: A, subscriptionId: undefined, kind: 'read' });
    throttle.take({ principalId: A, subscriptionId: undefined, kind: 'read' });
    expect(throttle.take({ principalId: A, subscriptionId: undefined, kind: 'read' })).toMatchObject({ ok: false, code: 'TenantRequestsThrottled', retryAfterSeconds: 1 });
  });

  it('reads the method as ARM does', () => {
    expect(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'].map(operationKindOf)).toEqual(['read', 'read', 'write', 'write', 'write', 'delete']);
  });
});

describe('ARM throttling (through the Azure SDK)', () => {
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    sandbox = await startPrivateSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
  });

  const client = (maxRetries?: number, statuses: number[] = []) => {
    const app = sandbox.tenant.elevateApp;
    const credential = new ClientSecretCredential(sandbox.tenant.tenantId, app.clientId, app.clientSecret!, { authorityHost: sandbox.authorityHost, disableInstanceDiscovery: true });
    return new ResourceManagementClient(credential, sandbox.tenant.agent.subscriptionId, {
      endpoint: sandbox.armEndpoint,
      credentialScopes: ['https://management.azure.com/.default'],
      ...(maxRetries !== undefined ? { retryOptions: { maxRetries } } : {}),
      // Each attempt's status, retries included: what the SDK saw on the wire.
      additionalPolicies: [{ position: 'perRetry', policy: { name: 'record-status', sendRequest: async (req, next) => { const res = await next(req); statuses.push(res.status); return res; } } }],
    });
  };
  const setLimits = (limits: ArmThrottleLimits) =>
    fetch(`${sandbox.origin}/_sandbox/arm/throttling`, { method: 'PUT', headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' }, body: JSON.stringify(limits) });

  it("is on by default with Azure's limits, and refuses a change without the admin header or out of shape", async () => {
    expect(await (await fetch(`${sandbox.origin}/_sandbox/arm/throttling`)).json()).toEqual(ARM_DEFAULT_THROTTLE_LIMITS);
    const unguarded = await fetch(`${sandbox.origin}/_sandbox/arm/throttling`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ARM_DEFAULT_THROTTLE_LIMITS) });
    expect(unguarded.status).toBe(403);
    const bad = await setLimits({ ...ARM_DEFAULT_THROTTLE_LIMITS, read: { size: 0, refillPerSecond: 1 } });
    expect(bad.status).toBe(400);
  });

  it('answers 429 SubscriptionRequestsThrottled with Retry-After, which the SDK waits out and then succeeds', async () => {
    expect((await setLimits({ ...ARM_DEFAULT_THROTTLE_LIMITS, read: { size: 2, refillPerSecond: 1 } })).status).toBe(200);
    try {
      const noRetry = client(0);
      await noRetry.resourceGroups.get('rg-sre-apps');
      await noRetry.resourceGroups.get('rg-sre-apps');
      const err = (await noRetry.resourceGroups.get('rg-sre-apps').catch((e: unknown) => e)) as { statusCode?: number; code?: string; message?: string; response?: { headers: { get(n: string): string | undefined } } };
      expect(err).toMatchObject({ statusCode: 429, code: 'SubscriptionRequestsThrottled' });
      expect(err.message).toMatch(/^Number of 'read' requests for subscription '[0-9a-f-]+' actor '[0-9a-f-]+' exceeded\. Please try again after '1' seconds/);
      expect(err.response?.headers.get('retry-after')).toBe('1');

      // With the SDK's default retry policy, the same burst only takes longer: ARM did not process
      // the refused request, so the retry is safe.
      const statuses: number[] = [];
      const got = await client(undefined, statuses).resourceGroups.get('rg-sre-apps');
      expect(got.name).toBe('rg-sre-apps');
      expect(statuses[0]).toBe(429);
      expect(statuses[statuses.length - 1]).toBe(200);
    } finally {
      await fetch(`${sandbox.origin}/_sandbox/arm/throttling`, { method: 'DELETE', headers: { 'x-sandbox-admin': 'true' } });
    }
  });
});
