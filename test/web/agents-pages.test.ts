/**
 * The /agents pages with real sign-ins (shared sandbox) over the real web app, and level
 * enforcement against the level tests' own sandbox instance (so apply really changes ARM there).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { ServiceContext } from '../../src/service/service-context.ts';
import { mountSignIn, type SignInMount } from '../../src/service/mount-sign-in.ts';
import { createWebApp } from '../../src/web/create-web-app.ts';
import { agentRoutes } from '../../src/web/pages/agents-routes.ts';
import { LV_UAMI, RG_LV_APPS, RG_LV_VMS, startLevelsSandbox, writesSeen, type LevelsSandbox } from '../levels/levels-test-sandbox.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { signInAs } from '../signin/support/sign-in-steps.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';

let sb: LevelsSandbox;
let server: Server;
let mount: SignInMount;
let url: string;
const admin = new BrowserLikeClient();
const reader = new BrowserLikeClient();

async function csrfOf(client: BrowserLikeClient, page = '/agents'): Promise<string> {
  const body = (await client.get(`${url}${page}`)).body;
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error(`no CSRF token on ${page}`);
  return m[1]!;
}

/** The apply form as the plan page renders it: its CSRF token and the digest of the plan shown. */
async function applyFormOf(client: BrowserLikeClient, agent: string): Promise<{ _csrf: string; planDigest: string }> {
  const page = await client.get(`${url}/agents/${agent}/plan`);
  expect(page.status).toBe(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body);
  const digest = /name="planDigest" value="([0-9a-f]{64})"/.exec(page.body);
  if (!csrf || !digest) throw new Error(`no apply form on the plan of ${agent}`);
  return { _csrf: csrf[1]!, planDigest: digest[1]! };
}

beforeAll(async () => {
  sb = await startLevelsSandbox();
  server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  url = `http://127.0.0.1:${port}`;
  const shared = sandboxInfo();
  const config = parseConfig({ ELEVATE_HOST: '127.0.0.1', ELEVATE_PORT: String(port), ELEVATE_LOG_LEVEL: 'silent' });
  const endpoints = resolveAzureEndpoints(config, shared);
  const source = resolveServiceCredentialSource(config, shared);
  const catalog = loadBuiltinCatalog();
  const ctx: ServiceContext = {
    config,
    logger: createLogger('silent'),
    metrics: createMetrics(),
    endpoints,
    store: sb.db,
    policies: { ...sb.policies },
    roleCatalog: catalog,
    serviceCredentialSource: source,
    serviceCredential: createServiceCredential(endpoints, source),
    tokenValidator: createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri }),
    sandbox: undefined,
    onShutdown: () => undefined,
  };
  mount = mountSignIn(ctx, { audit: sb.audit, rateLimits: { signIn: { limit: 1000, windowMs: 60_000 }, decisions: { limit: 1000, windowMs: 60_000 } } });
  const app = createWebApp({
    mode: 'sandbox',
    logger: ctx.logger,
    metrics: ctx.metrics,
    trustProxy: false,
    https: false,
    authorizeOrigin: endpoints.browserAuthorityHost,
    readiness: [],
    middleware: mount.middleware,
    routes: [...mount.routes, ...agentRoutes({ runtime: sb.runtime, requireAbility: mount.signIn.requireAbility, csrfProtection: mount.signIn.csrfProtection })],
    auth: mount.auth,
  });
  server.on('request', app);
  expect((await signInAs(admin, url, sandboxUser('admin').oid)).status).toBe(303);
  expect((await signInAs(reader, url, sandboxUser('reader').oid)).status).toBe(303);
});

afterAll(async () => {
  mount?.close();
  await new Promise<void>((r) => {
    server?.close(() => r());
    server?.closeAllConnections();
  });
  await sb?.close();
});

describe('/agents pages', { timeout: 60_000 }, () => {
  it('lets a Reader see the list but not register, plan or apply', async () => {
    expect((await reader.get(`${url}/agents`)).status).toBe(200);
    const refused = await reader.post(`${url}/agents`, { _csrf: await csrfOf(reader), name: 'x', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader' });
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('SRE Agent Administrator');
    expect((await sb.runtime.registry.list()).length).toBe(0);
    expect((await reader.get(`${url}/agents/anything/plan`)).status).toBe(403);
    expect((await reader.get(`${url}/agents/anything/test-connection`)).status).toBe(403);
    const anonymous = await new BrowserLikeClient().get(`${url}/agents`);
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toContain('/auth/signin');
  });

  it('refuses a registration without the form token, and bad input with the reason, escaped', async () => {
    const noToken = await admin.post(`${url}/agents`, { name: 'x', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader' });
    expect(noToken.status).toBe(403);
    const bad = await admin.post(`${url}/agents`, {
      _csrf: await csrfOf(admin),
      name: '<script>alert(1)</script>',
      uamiClientId: LV_UAMI.clientId,
      uamiPrincipalId: LV_UAMI.principalId,
      level: 'Admin',
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toContain('data-testid="form-error"');
    expect(bad.body).not.toContain('<script>alert(1)</script>');
    expect(bad.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const badLevel = await admin.post(`${url}/agents`, { _csrf: await csrfOf(admin), name: 'ok-name', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Admin' });
    expect(badLevel.status).toBe(400);
    expect(badLevel.body).toContain('level &quot;Admin&quot;: not a level in the policy; expected Reader or Privileged');
    const foreign = await admin.post(`${url}/agents`, {
      _csrf: await csrfOf(admin),
      name: 'ok-name',
      uamiClientId: LV_UAMI.clientId,
      uamiPrincipalId: LV_UAMI.principalId,
      level: 'Reader',
      resourceGroupIds: '/subscriptions/0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f/resourceGroups/rg-x',
    });
    expect(foreign.status).toBe(400);
    expect(foreign.body).toContain('is not visible to Elevate in tenant');
    expect(await sb.runtime.registry.list()).toEqual([]);
    expect((await admin.get(`${url}/agents/nobody`)).status).toBe(404);
  });

  it('registers an agent, changes its level, plans and applies, each audited with the administrator as actor', async () => {
    const created = await admin.post(`${url}/agents`, {
      _csrf: await csrfOf(admin),
      name: 'web-agent',
      uamiClientId: LV_UAMI.clientId,
      uamiPrincipalId: LV_UAMI.principalId,
      level: 'Reader',
      resourceGroupIds: `${RG_LV_APPS}\n${RG_LV_VMS}`,
    });
    expect(created.status).toBe(303);
    expect(created.location).toBe(`${url}/agents/web-agent`);
    const detail = await admin.get(`${url}/agents/web-agent`);
    expect(detail.body).toContain(RG_LV_APPS);

    const level = await admin.post(`${url}/agents/web-agent/level`, { _csrf: await csrfOf(admin, '/agents/web-agent'), level: 'Privileged' });
    expect(level.status).toBe(303);
    const plan = await admin.get(`${url}/agents/web-agent/plan`);
    expect(plan.status).toBe(200);
    expect(plan.body).toContain('Container Apps Contributor');
    expect(plan.body).toContain('Virtual Machine Contributor');

    const before = writesSeen(sb.handle);
    const applied = await admin.post(`${url}/agents/web-agent/apply`, await applyFormOf(admin, 'web-agent'));
    expect(applied.status).toBe(200);
    expect(applied.body).toMatch(/data-testid="apply-summary">\d+ change\(s\), 0 failure\(s\)/);
    expect(writesSeen(sb.handle)).toBeGreaterThan(before);
    const entries = (await sb.audit.list({ eventType: 'level.assignment-create', outcome: 'created' }, { limit: 100 })).entries;
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.actor.id === sandboxUser('admin').oid)).toBe(true);
    const levelChange = (await sb.audit.list({ eventType: 'agent.level-changed' })).entries[0]!;
    expect(levelChange.details).toMatchObject({ before: { level: 'Reader' }, after: { level: 'Privileged' } });

    const again = await admin.post(`${url}/agents/web-agent/apply`, await applyFormOf(admin, 'web-agent'));
    expect(again.body).toContain('Nothing to change');

    // clean up in ARM: no group, nothing held
    for (const rg of [RG_LV_APPS, RG_LV_VMS]) {
      expect((await admin.post(`${url}/agents/web-agent/resource-groups/remove`, { _csrf: await csrfOf(admin, '/agents/web-agent'), resourceGroupId: rg })).status).toBe(303);
    }
    const cleanup = await admin.post(`${url}/agents/web-agent/apply`, await applyFormOf(admin, 'web-agent'));
    expect(cleanup.body).toContain(', 0 failure(s)');
  });

  it('applies only the plan that was shown: a changed plan is a 409 that applies nothing and shows the new plan; no or a malformed digest is a 400', async () => {
    const shown = await applyFormOf(admin, 'web-agent'); // no group left: nothing to change
    // meanwhile another administrator gives the agent a group again
    await sb.runtime.registry.addResourceGroup('web-agent', RG_LV_APPS, { kind: 'user', id: 'other-admin', name: 'Other Admin' });
    try {
      const writes = writesSeen(sb.handle);
      const stale = await admin.post(`${url}/agents/web-agent/apply`, { ...shown, removeDrift: 'on' });
      expect(stale.status).toBe(409);
      expect(stale.body).toContain('data-testid="plan-notice"');
      expect(stale.body).toContain('The plan changed since you opened it; nothing was applied. Review it again.');
      expect(stale.body).toContain(RG_LV_APPS);
      const fresh = /name="planDigest" value="([0-9a-f]{64})"/.exec(stale.body)?.[1];
      expect(fresh).toBeDefined();
      expect(fresh).not.toBe(shown.planDigest);
      expect(writesSeen(sb.handle)).toBe(writes);
      const refused = (await sb.audit.list({ eventType: 'level.apply-refused' })).entries;
      expect(refused).toHaveLength(1);
      expect(refused[0]).toMatchObject({ outcome: 'refused', actor: { id: sandboxUser('admin').oid }, details: { code: 'plan_changed', expectedDigest: shown.planDigest, currentDigest: fresh } });

      const { _csrf } = shown;
      const missing = await admin.post(`${url}/agents/web-agent/apply`, { _csrf });
      expect(missing.status).toBe(400);
      expect(missing.body).toContain('planDigest');
      for (const planDigest of [shown.planDigest.toUpperCase(), 'abc', `${shown.planDigest}0`]) {
        expect((await admin.post(`${url}/agents/web-agent/apply`, { _csrf, planDigest })).status).toBe(400);
      }
      expect(writesSeen(sb.handle)).toBe(writes);
      expect((await sb.audit.list({ eventType: 'level.apply-refused' })).entries).toHaveLength(1);
    } finally {
      await sb.runtime.registry.removeResourceGroup('web-agent', RG_LV_APPS, { kind: 'user', id: 'other-admin', name: 'Other Admin' });
    }
    // with the digest of what is shown now, apply goes through (nothing was created, so nothing to undo)
    const current = await admin.post(`${url}/agents/web-agent/apply`, await applyFormOf(admin, 'web-agent'));
    expect(current.status).toBe(200);
  });

  it('shows Test connection findings with Azure\'s error, cause and fix', async () => {
    const page = await admin.get(`${url}/agents/web-agent/test-connection`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('data-testid="findings"');
    expect(page.body).toContain('governance-credential');
    expect(page.body).toMatch(/resource-groups|managed-identity/);
    expect(page.body).not.toMatch(/\n\s+at /);
  });
});
