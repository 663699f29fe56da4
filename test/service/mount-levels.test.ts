import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { mountLevels } from '../../src/service/mount-levels.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import type { ServiceContext } from '../../src/service/service-context.ts';
import { openConfiguredStore } from '../../src/store/open-store.ts';
import { testStoreEnv } from '../support/test-store.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

describe('mountLevels (composition root hook)', () => {
  it('registers the sandbox agent, mounts /agents, and stops the inventory schedule and the raise sweeper at shutdown', async () => {
    const shared = sandboxInfo();
    const storeEnv = await testStoreEnv(join(mkdtempSync(join(tmpdir(), 'elevate-mount-levels-')), 'e.db'), 'elevate_mount');
    const config = parseConfig(storeEnv.env);
    const endpoints = resolveAzureEndpoints(config, shared);
    const source = resolveServiceCredentialSource(config, shared);
    const store = await openConfiguredStore(config);
    const catalog = loadBuiltinCatalog();
    const shutdown: Array<() => unknown> = [];
    const ctx: ServiceContext = {
      config,
      logger: createLogger('silent'),
      metrics: createMetrics(),
      endpoints,
      store,
      policies: loadPolicies('policies', { hasRole: (n) => catalog.byName(n) !== undefined }),
      roleCatalog: catalog,
      serviceCredentialSource: source,
      serviceCredential: createServiceCredential(endpoints, source),
      tokenValidator: createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri }),
      // only `tenant` is read from the handle
      sandbox: { tenant: shared.tenant } as unknown as SandboxHandle,
      onShutdown: (fn) => void shutdown.push(fn),
    };
    const pass: RequestHandler = (_req, _res, next) => next();
    try {
      const mounted = mountLevels(ctx, { audit: createAuditLog(store), requireAbility: () => pass, csrfProtection: pass });
      await mounted.ready;
      expect(mounted.routes.map((r) => r.path)).toEqual(['/agents']);
      expect(mounted.routes[0]!.nav).toEqual({ label: 'Agents', href: '/agents' });
      const agent = await mounted.runtime.registry.get('sre-agent');
      expect(agent).toMatchObject({ level: 'Reader', uamiPrincipalId: shared.tenant.agent.uamiPrincipalId });
      // the inventory schedule and the level-raise sweeper
      expect(shutdown).toHaveLength(2);
      // a second start finds it registered and leaves it alone
      const again = mountLevels(ctx, { audit: createAuditLog(store), requireAbility: () => pass, csrfProtection: pass });
      await again.ready;
      expect(await again.runtime.registry.list()).toHaveLength(1);
    } finally {
      for (const fn of shutdown) await fn();
      await store.close();
      await storeEnv.drop();
    }
  });
});
