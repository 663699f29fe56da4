import { createServer } from 'node:net';
import { ConfidentialClientApplication, LogLevel } from '@azure/msal-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { armRequest, staticCredential } from '../support/arm-request.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { decodeHeader } from '../support/token-forge.ts';

// A private sandbox (own signing keys, shared CA): rotation and exact counters would disturb the
// shared one other test files use at the same time.
describe('sandbox handle: stats, key rotation, lifecycle', () => {
  let h: SandboxHandle;
  beforeAll(async () => {
    h = await startPrivateSandbox({ armPageSize: 3 });
  });
  afterAll(async () => {
    await h?.close();
  });

  const governanceToken = async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: h.tenant.elevateApp.clientId, clientSecret: h.tenant.elevateApp.clientSecret, authority: `${h.authorityHost}/${h.tenant.tenantId}`, knownAuthorities: [new URL(h.authorityHost).host] },
      system: { loggerOptions: { logLevel: LogLevel.Error, loggerCallback: () => undefined } },
    });
    return (await cca.acquireTokenByClientCredential({ scopes: ['https://management.azure.com/.default'], skipCache: true }))!.accessToken;
  };

  it('counts ARM requests per route kind and caller, pages included', async () => {
    h.resetStats();
    const cred = staticCredential(await governanceToken());
    let url: string | undefined = `${h.armEndpoint}/subscriptions/${h.tenant.subscriptions[0]!.subscriptionId}/providers/Microsoft.Authorization/roleAssignments?api-version=2022-04-01`;
    let pages = 0;
    while (url) {
      const r = await armRequest(cred, 'GET', url);
      expect(r.status).toBe(200);
      url = (r.body as { nextLink?: string }).nextLink;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const stats = h.stats();
    expect(stats.arm.byKind['roleAssignments.list']).toBe(pages);
    expect(stats.arm.byPrincipal[h.tenant.elevateApp.servicePrincipalId]!['roleAssignments.list']).toBe(pages);
    expect(stats.entra.byGrant.client_credentials).toBe(1);

    const fromHttp = (await (await fetch(`${h.origin}/_sandbox/stats`)).json()) as typeof stats;
    expect(fromHttp.arm.byKind['roleAssignments.list']).toBe(pages);
    // admin writes need the header a cross-site form cannot send
    expect((await fetch(`${h.origin}/_sandbox/stats/reset`, { method: 'POST' })).status).toBe(403);
    expect((await fetch(`${h.origin}/_sandbox/stats/reset`, { method: 'POST', headers: { 'x-sandbox-admin': 'true' } })).status).toBe(204);
    expect(h.stats().arm.total).toBe(0);
  });

  it('rotates the signing key: new tokens use the new kid, old ones stay valid, both are published', async () => {
    const before = await governanceToken();
    const oldKid = decodeHeader(before).kid;
    const { kid, previousKid } = h.rotateSigningKey();
    expect(previousKid).toBe(oldKid);
    const after = await governanceToken();
    expect(decodeHeader(after).kid).toBe(kid);
    const jwks = (await (await fetch(`${h.origin}/${h.tenant.tenantId}/discovery/v2.0/keys`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toEqual([kid, oldKid]);
    const url = `${h.armEndpoint}/subscriptions/${h.tenant.subscriptions[0]!.subscriptionId}/resourcegroups?api-version=2021-04-01`;
    expect((await armRequest(staticCredential(before), 'GET', url)).status).toBe(200);
    expect((await armRequest(staticCredential(after), 'GET', url)).status).toBe(200);
    const viaHttp = await fetch(`${h.origin}/_sandbox/signing-keys/rotate`, { method: 'POST', headers: { 'x-sandbox-admin': 'true' } });
    expect(((await viaHttp.json()) as { previousKid: string }).previousKid).toBe(kid);
  });

  it('fails to start on a port in use, releasing the other one, and frees its ports on close', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    await expect(startPrivateSandbox({ httpPort: busy })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    blocker.close();

    const other = await startPrivateSandbox();
    const port = Number(new URL(other.origin).port);
    await other.close();
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    probe.close();
  });
});
