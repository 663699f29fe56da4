/**
 * The agent API mounted in a real web app against the run's sandbox: real Entra tokens (the
 * agent's managed identity through @azure/identity), real ARM (role assignments read with the
 * governance credential, operations executed with the UAMI), real SQLite and audit log.
 *
 * The store is a SQLite file, or a fresh PostgreSQL database (issue 16) when the options or
 * ELEVATE_TEST_STORE=postgres say so: `ELEVATE_TEST_STORE=postgres npx vitest run
 * test/web/api/operations-api.test.ts` runs an API test file unchanged on PostgreSQL.
 *
 * Two agents are registered: the seeded SRE agent (Reader level) and a Privileged agent that
 * acts through the other seeded user-assigned identity.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import { ManagedIdentityCredential } from '@azure/identity';
import { createAuditLog, type AuditLog } from '../../../../src/audit/audit-log.ts';
import { createApiTokenValidator } from '../../../../src/azure/api-token-validator.ts';
import { createAuthorizationClient } from '../../../../src/azure/arm-clients.ts';
import { resolveAzureEndpoints, type AzureEndpoints } from '../../../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../../../src/azure/service-credential.ts';
import { parseConfig } from '../../../../src/config/load-config.ts';
import { createLogger } from '../../../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../../../src/observability/metrics.ts';
import type { Agent } from '../../../../src/operations/operation-types.ts';
import type { AuditSink } from '../../../../src/operations/request-lifecycle.ts';
import type { Policies } from '../../../../src/policies/policies.ts';
import type { RunMode, TriggerKind } from '../../../../src/policies/policy-types.ts';
import { loadBuiltinCatalog } from '../../../../src/rbac/role-catalog.ts';
import type { Database } from '../../../../src/store/database.ts';
import { openConfiguredStore } from '../../../../src/store/open-store.ts';
import { createWebApp } from '../../../../src/web/create-web-app.ts';
import { createOperationsApi, type OperationsApi } from '../../../../src/web/api/operations-api.ts';
import { createTestDatabase, type TestDatabase } from '../../../support/postgres-context.ts';
import { sandboxInfo } from '../../../support/sandbox-context.ts';
import { testStoreKind } from '../../../support/test-store.ts';
import { policiesWithRunModes } from '../../../operations/support/operation-fixtures.ts';

export const CONTAINER_APPS_CONTRIBUTOR = '358470bc-b998-42bd-ab17-a7e34c199c0f';

export interface ApiHarness {
  app: Express;
  api: OperationsApi;
  db: Database;
  auditLog: AuditLog;
  metrics: Metrics;
  endpoints: AzureEndpoints;
  readerAgent: Agent;
  privilegedAgent: Agent;
  /** A fresh token for Elevate's API from the agent's managed identity. */
  tokenFor(agent: Agent): Promise<string>;
  /** Grants a role to a principal at a scope with the governance credential; removed by close(). */
  grant(principalId: string, roleGuid: string, scope: string): Promise<string>;
  revoke(assignmentId: string): Promise<void>;
  close(): Promise<void>;
}

export const TEST_RUN_MODES: Record<TriggerKind, RunMode> = { chat: 'Review', incident: 'Autonomous', scheduled: 'ReadOnly', manual: 'Autonomous' };

export interface ApiHarnessOptions {
  policies?: Policies;
  /** Where refusals go (e.g. a collapsing sink over `auditLog`); default: the audit log. */
  refusalAudit?: (auditLog: AuditLog) => AuditSink;
  agentRateLimitPerMinute?: number;
  /** Where the store lives; default: ELEVATE_TEST_STORE (test/support/test-store.ts). */
  store?: 'sqlite' | 'postgres';
}

export async function createApiHarness(options: ApiHarnessOptions = {}): Promise<ApiHarness> {
  const info = sandboxInfo();
  const tenant = info.tenant;
  const dbPath = join(mkdtempSync(join(tmpdir(), 'elevate-api-')), 'elevate.db');
  const store = options.store ?? testStoreKind();
  const database: TestDatabase | undefined = store === 'postgres' ? await createTestDatabase('elevate_api', { migrated: true }) : undefined;
  const config = parseConfig({ ELEVATE_DB_PATH: dbPath, ...(database ? { ELEVATE_DATABASE_URL: database.url } : {}) });
  const endpoints = resolveAzureEndpoints(config, info);
  const serviceCredential = createServiceCredential(endpoints, { kind: 'secret', clientSecret: tenant.elevateApp.clientSecret });
  const tokenValidator = createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri });
  const db = await openConfiguredStore(config);
  const logger = createLogger('silent');
  const metrics = createMetrics();

  const now = new Date().toISOString();
  const readerAgent: Agent = {
    id: randomUUID(),
    name: tenant.agent.name,
    uamiClientId: tenant.agent.uamiClientId,
    uamiPrincipalId: tenant.agent.uamiPrincipalId,
    tenantId: tenant.tenantId,
    level: 'Reader',
    runModeCeiling: 'Autonomous',
    resourceGroupIds: tenant.agent.resourceGroupIds,
    createdAt: now,
    updatedAt: now,
  };
  const mi = tenant.elevateApp.managedIdentity;
  if (!mi) throw new Error('the sandbox seed has no second user-assigned identity');
  const privilegedAgent: Agent = { ...readerAgent, id: randomUUID(), name: 'sre-agent-privileged', uamiClientId: mi.clientId, uamiPrincipalId: mi.principalId, level: 'Privileged' };
  for (const a of [readerAgent, privilegedAgent]) {
    await db.run(
      'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [a.id, a.name, a.uamiClientId, a.uamiPrincipalId, a.tenantId, a.level, a.runModeCeiling, a.createdAt, a.updatedAt],
    );
    for (const rg of a.resourceGroupIds) await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [a.id, rg]);
  }

  const auditLog = createAuditLog(db);
  const api = createOperationsApi({
    store: db,
    logger,
    metrics,
    endpoints,
    policies: options.policies ?? policiesWithRunModes(TEST_RUN_MODES),
    roleCatalog: loadBuiltinCatalog(),
    serviceCredential,
    tokenValidator,
    requestTtlSeconds: 3600,
    permissionCacheSeconds: 300,
    audit: auditLog,
    ...(options.refusalAudit ? { refusalAudit: options.refusalAudit(auditLog) } : {}),
    ...(options.agentRateLimitPerMinute !== undefined ? { agentRateLimitPerMinute: options.agentRateLimitPerMinute } : {}),
  });
  const app = createWebApp({ mode: 'sandbox', logger, metrics, trustProxy: false, https: false, authorizeOrigin: endpoints.browserAuthorityHost, readiness: [], routes: [api.route] });

  const credentials = new Map<string, ManagedIdentityCredential>();
  const granted: string[] = [];
  const authz = createAuthorizationClient(serviceCredential, tenant.agent.subscriptionId, endpoints);

  return {
    app,
    api,
    db,
    auditLog,
    metrics,
    endpoints,
    readerAgent,
    privilegedAgent,
    async tokenFor(agent) {
      let credential = credentials.get(agent.uamiClientId);
      if (!credential) credentials.set(agent.uamiClientId, (credential = new ManagedIdentityCredential({ clientId: agent.uamiClientId })));
      const token = await credential.getToken(`${tenant.elevateApp.apiAudience}/.default`);
      if (!token) throw new Error('no token from the managed identity');
      return token.token;
    },
    async grant(principalId, roleGuid, scope) {
      const created = await authz.roleAssignments.create(scope, randomUUID(), {
        roleDefinitionId: `/subscriptions/${tenant.agent.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`,
        principalId,
        principalType: 'ServicePrincipal',
        description: 'operations API test (temporary)',
      });
      granted.push(created.id!);
      return created.id!;
    },
    async revoke(assignmentId) {
      await authz.roleAssignments.deleteById(assignmentId);
      granted.splice(granted.indexOf(assignmentId), 1);
    },
    async close() {
      for (const id of [...granted]) await authz.roleAssignments.deleteById(id).catch(() => undefined);
      await api.close();
      await db.close();
      await database?.drop();
    },
  };
}

export async function countRequests(db: Database): Promise<number> {
  return (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM operation_requests'))!.n;
}
