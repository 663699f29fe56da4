/**
 * The typed client (imported as `elevate/client`, the package's entry point) against the agent
 * API served on a port, over the run's sandbox: its token comes from ManagedIdentityCredential
 * (the client's default) for Elevate's API scope. Each outcome: a read executed, a write left
 * pending elevation, a guardrail/run-mode refusal, invalid input, idempotent replay and conflict,
 * list, get, cancel, a wait that sees another party's change, a client-side abort, and the
 * authentication refusals, each as a typed value with the API's error code.
 */
import { randomUUID } from 'node:crypto';
import { ClientSecretCredential, ManagedIdentityCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createElevateClient, isFinalState, type ElevateClient, type OperationInput } from 'elevate/client';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { createApiHarness, type ApiHarness } from '../web/api/support/api-harness.ts';
import { listen } from './support/listening-harness.ts';

let h: ApiHarness;
let served: Awaited<ReturnType<typeof listen>>;
let client: ElevateClient;

const tenant = () => sandboxInfo().tenant;
const scope = () => `${tenant().elevateApp.apiAudience}/.default`;
const checkout = () => tenant().resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.name === 'ca-checkout')!;
const revision = () => checkout().children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
const readCheckout = (): OperationInput => ({ method: 'GET', path: checkout().id, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'conv-7' } });
const restart = (kind: 'incident' | 'scheduled' | 'chat' = 'incident'): OperationInput => ({
  method: 'POST',
  path: `${revision().id}/restart`,
  apiVersion: '2024-03-01',
  justification: 'revision unhealthy after deploy',
  trigger: { kind, ref: 'INC-3001' },
});

beforeAll(async () => {
  h = await createApiHarness();
  served = await listen(h.app);
  // No credential given: the client's default, ManagedIdentityCredential for the agent's UAMI.
  client = createElevateClient({ baseUrl: served.url, scope: scope(), managedIdentityClientId: h.readerAgent.uamiClientId });
});

afterAll(async () => {
  await served?.close();
  await h?.close();
});

describe('outcomes', () => {
  it('decide: what would happen, the missing permission and the roles that would grant it', async () => {
    const r = await client.decide(restart());
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.value.outcome).toBe('pending_elevation');
    expect(r.value.missingAction?.toLowerCase()).toBe('microsoft.app/containerapps/revisions/restart/action');
    expect(r.value.wouldBeGrantedBy.map((x) => x.roleName)).toContain('Container Apps Contributor');
  });

  it("submit: a read executes with the agent's identity and carries ARM's answer; the idempotency key is made when absent", async () => {
    const r = await client.submit(readCheckout());
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.status).toBe(201);
    expect(r.value).toMatchObject({ state: 'succeeded', agentId: h.readerAgent.id, arm: { status: 200 } });
    expect(r.value.arm?.body).toMatchObject({ name: 'ca-checkout' });
    expect(r.value.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    expect(isFinalState(r.value.state)).toBe(true);
  });

  it('submit: the same key replays the request (200), a different submission under it is idempotency_conflict', async () => {
    const key = randomUUID();
    const first = await client.submit({ ...restart(), idempotencyKey: key });
    const again = await client.submit({ ...restart(), idempotencyKey: key });
    if (!first.ok || !again.ok) throw new Error('submission refused');
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.value.id).toBe(first.value.id);
    const conflict = await client.submit({ ...restart(), justification: 'something else', idempotencyKey: key });
    expect(conflict).toMatchObject({ ok: false, error: { status: 409, code: 'idempotency_conflict' } });
  });

  it('submit: a write the identity cannot do is pending_elevation; a write in a ReadOnly run is forbidden with the decision', async () => {
    const pending = await client.submit(restart('incident'));
    if (!pending.ok) throw new Error(JSON.stringify(pending.error));
    expect(pending.value.state).toBe('pending_elevation');
    expect(pending.value.arm).toBeUndefined();

    const forbidden = await client.submit(restart('scheduled'));
    expect(forbidden.ok).toBe(false);
    if (forbidden.ok) return;
    expect(forbidden.error).toMatchObject({ status: 403, code: 'forbidden', decision: { outcome: 'forbidden', reasonCode: 'run_mode_read_only' } });
  });

  it('submit: invalid input is invalid_request with the field errors, and is audited as a refusal', async () => {
    const before = (await h.auditLog.list({ eventType: 'operation.refused', agentId: h.readerAgent.id }, { limit: 1000 })).entries.length;
    const r = await client.submit({ ...restart(), justification: 'x'.repeat(2001) });
    expect(r).toMatchObject({ ok: false, error: { status: 400, code: 'invalid_request' } });
    if (r.ok) return;
    expect(r.error.fields?.map((f) => f.path)).toContain('justification');
    const after = (await h.auditLog.list({ eventType: 'operation.refused', agentId: h.readerAgent.id }, { limit: 1000 })).entries.length;
    expect(after).toBe(before + 1);
  });

  it('get, list, cancel; get of an unknown id is not_found; a second cancel is invalid_state', async () => {
    const created = await client.submit(restart());
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const got = await client.get(created.value.id);
    expect(got).toMatchObject({ ok: true, value: { id: created.value.id, state: 'pending_elevation' } });
    const page = await client.list({ limit: 2, state: 'pending_elevation' });
    if (!page.ok) throw new Error(JSON.stringify(page.error));
    expect(page.value.items[0]?.id).toBe(created.value.id);
    expect(page.value.items.every((x) => x.state === 'pending_elevation')).toBe(true);
    const cancelled = await client.cancel(created.value.id);
    expect(cancelled).toMatchObject({ ok: true, value: { state: 'cancelled' } });
    expect(await client.cancel(created.value.id)).toMatchObject({ ok: false, error: { status: 409, code: 'invalid_state' } });
    expect(await client.get('no-such-request')).toMatchObject({ ok: false, error: { status: 404, code: 'not_found' } });
    expect(await client.list({ limit: 500 })).toMatchObject({ ok: false, error: { status: 400, code: 'invalid_request' } });
  });
});

describe('wait', () => {
  it('long-polls until the request is final: a cancel by another caller ends the wait with its state', async () => {
    const created = await client.submit(restart());
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const waiting = client.wait(created.value.id, { timeoutSeconds: 60 });
    await new Promise((r) => setTimeout(r, 300));
    const other = createElevateClient({ baseUrl: served.url, scope: scope(), credential: new ManagedIdentityCredential({ clientId: h.readerAgent.uamiClientId }) });
    expect((await other.cancel(created.value.id)).ok).toBe(true);
    expect(await waiting).toMatchObject({ ok: true, value: { id: created.value.id, state: 'cancelled' } });
  });

  it('answers with the current state when its own time is up', async () => {
    const created = await client.submit(restart());
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const r = await client.wait(created.value.id, { timeoutSeconds: 1 });
    expect(r).toMatchObject({ ok: true, value: { state: 'pending_elevation' } });
  });

  it('stops at once, as aborted, when the caller aborts; the request itself is untouched', async () => {
    const created = await client.submit(restart());
    if (!created.ok) throw new Error(JSON.stringify(created.error));
    const controller = new AbortController();
    const waiting = client.wait(created.value.id, { timeoutSeconds: 60, signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const r = await waiting;
    expect(r).toMatchObject({ ok: false, error: { status: 0, code: 'aborted' } });
    expect(await client.get(created.value.id)).toMatchObject({ ok: true, value: { state: 'pending_elevation' } });
  });
});

describe('authentication', () => {
  it("a token for another audience is the API's invalid_token (401); an identity that is not a registered agent is not_an_agent (403)", async () => {
    const armScoped = createElevateClient({ baseUrl: served.url, scope: 'https://management.azure.com/.default', managedIdentityClientId: h.readerAgent.uamiClientId });
    expect(await armScoped.list()).toMatchObject({ ok: false, error: { status: 401, code: 'invalid_token' } });

    // any TokenCredential: here another app's client secret, a valid token for Elevate's API
    const other = tenant().otherApps.find((a) => a.clientSecret)!;
    const credential = new ClientSecretCredential(tenant().tenantId, other.clientId, other.clientSecret!, { authorityHost: h.endpoints.authorityHost, disableInstanceDiscovery: true });
    const unregistered = createElevateClient({ baseUrl: served.url, scope: scope(), credential });
    expect(await unregistered.submit(readCheckout())).toMatchObject({ ok: false, error: { status: 403, code: 'not_an_agent' } });
    const [entry] = (await h.auditLog.list({ eventType: 'api.auth.refused' }, { limit: 1 })).entries;
    expect(entry?.details).toMatchObject({ reason: 'not_an_agent', clientAppId: other.clientId });
  });

  it('a credential that cannot produce a token is credential_unavailable, and nothing is sent', async () => {
    const broken = createElevateClient({ baseUrl: served.url, scope: scope(), credential: { getToken: async () => null } });
    expect(await broken.list()).toMatchObject({ ok: false, error: { status: 0, code: 'credential_unavailable' } });
  });

  it('refuses to send the token over plain http to anything but a loopback address', () => {
    expect(() => createElevateClient({ baseUrl: 'http://elevate.contoso.com', scope: scope() })).toThrow(/https/);
    expect(() => createElevateClient({ baseUrl: 'https://user:pw@elevate.contoso.com', scope: scope() })).toThrow(/credentials/);
  });
});
