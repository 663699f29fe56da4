/**
 * The approval pages in the real web app against a private sandbox of their own (so ARM request
 * counts are exact and nothing this suite approves disturbs other test files): real sign-ins
 * through the sandbox's sign-in page, real agent API calls with managed-identity tokens from the
 * sandbox's IMDS, real decisions over ARM role assignments, real on-behalf-of exchanges, a file
 * SQLite database (so its -wal can be scanned), and every log line captured.
 *
 * The seed adds `admin3`: an SRE Agent Administrator whose Azure role is Reader only, for
 * "the approver's own Azure permissions still apply".
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { AuditAppendError } from '../../../src/audit/audit-errors.ts';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import type { AuditInput } from '../../../src/audit/audit-types.ts';
import { createApiTokenValidator } from '../../../src/azure/api-token-validator.ts';
import { createAuthorizationClient } from '../../../src/azure/arm-clients.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource, type AzureEndpoints } from '../../../src/azure/azure-endpoints.ts';
import { exchangeOnBehalfOf, type OboExchangeResult } from '../../../src/azure/obo-exchange.ts';
import { createMsalClientCredential, createServiceCredential } from '../../../src/azure/service-credential.ts';
import { parseConfig } from '../../../src/config/load-config.ts';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { Agent, OperationRequest } from '../../../src/operations/operation-types.ts';
import type { ApprovalsPolicy } from '../../../src/policies/approvals-schema.ts';
import type { Policies } from '../../../src/policies/policies.ts';
import { loadBuiltinCatalog } from '../../../src/rbac/role-catalog.ts';
import type { SandboxHandle, SandboxUserInfo } from '../../../src/sandbox/start-sandbox.ts';
import type { ServiceContext } from '../../../src/service/service-context.ts';
import { mountSignIn, type SignInMount } from '../../../src/service/mount-sign-in.ts';
import { mountAdminRequestsApi } from '../../../src/service/mount-admin-requests-api.ts';
import type { Database } from '../../../src/store/database.ts';
import { openConfiguredStore } from '../../../src/store/open-store.ts';
import { createOperationsApi, type OperationsApi } from '../../../src/web/api/operations-api.ts';
import { createWebApp } from '../../../src/web/create-web-app.ts';
import { armUserImpersonationScope, mountApprovals, type ApprovalsMount } from '../../../src/web/pages/approval-mount.ts';
import { policiesWithRunModes } from '../../operations/support/operation-fixtures.ts';
import { BrowserLikeClient } from '../../signin/support/browser-like-client.ts';
import { signInAs } from '../../signin/support/sign-in-steps.ts';
import { imdsCredential, startApprovalSandbox } from './approval-sandbox.ts';
import { capturedLogger } from '../../support/captured-logger.ts';
import type { Seed } from '../../support/seed-variants.ts';
import { testStoreEnv } from '../../support/test-store.ts';

export const CONTAINER_APPS_CONTRIBUTOR = '358470bc-b998-42bd-ab17-a7e34c199c0f';

export interface HarnessOptions {
  approvals?: Partial<Record<keyof ApprovalsPolicy, Partial<ApprovalsPolicy['elevation']>>>;
  freshAuthSeconds?: number;
  executionWaitMs?: number;
  /** Decisions per user per minute (default: effectively unlimited). */
  decisionLimit?: number;
  /** Optional claims on Elevate's app registration in the sandbox (default none, as in Entra). */
  idTokenOptionalClaims?: string[];
  /** Device code polling interval of the sandbox (default Entra's 5 s). */
  deviceCodeIntervalSeconds?: number;
  /** Access token version of Elevate's registration in the sandbox (default Entra's, 1). */
  accessTokenVersion?: 1 | 2;
  /** More changes to the sandbox's seed (users, groups, the groups claim on Elevate's registration). */
  seed?: (seed: Seed) => void;
  /** Entra groups whose members hold SRE Agent Administrator (service-roles.yaml `groups`; default none). */
  administratorGroups?: string[];
}

export interface ApprovalHarness {
  url: string;
  sandbox: SandboxHandle;
  db: Database;
  dbPath: string;
  audit: AuditLog;
  api: OperationsApi;
  approvals: ApprovalsMount;
  endpoints: AzureEndpoints;
  readerAgent: Agent;
  privilegedAgent: Agent;
  /** every log line the service wrote */
  logs: string[];
  user(key: string): SandboxUserInfo;
  /** A scripted browser signed in as this user. */
  signedIn(key: string): Promise<BrowserLikeClient>;
  /** The agent raises a request through the agent API with its managed-identity token. */
  submit(agent: Agent, body: Record<string, unknown>): Promise<OperationRequest>;
  /** GET /api/v1/operations/{id}, as the agent (with `wait` for the long-poll). */
  agentGet(agent: Agent, id: string, waitSeconds?: number): Promise<OperationRequest>;
  /** Makes audit appends matching the predicate fail (undefined: none fail). */
  failAuditWhen(predicate: ((input: AuditInput) => boolean) | undefined): void;
  /** Replaces the on-behalf-of exchange (undefined: the real one against the sandbox). */
  replaceExchange(fn: ((real: (assertion: string) => Promise<OboExchangeResult>, assertion: string) => Promise<OboExchangeResult>) | undefined): void;
  /** Exchanges attempted so far (real or replaced). */
  exchangeCount(): number;
  /** Moves the approval flow's clock (only the freshness check reads it) this many seconds ahead. */
  skewApprovalClock(seconds: number): void;
  executions(requestId: string): Promise<number>;
  close(): Promise<void>;
}

export async function startApprovalHarness(options: HarnessOptions = {}): Promise<ApprovalHarness> {
  const sandbox = await startApprovalSandbox({
    idTokenOptionalClaims: options.idTokenOptionalClaims ?? [],
    ...(options.deviceCodeIntervalSeconds ? { deviceCodeIntervalSeconds: options.deviceCodeIntervalSeconds } : {}),
    ...(options.accessTokenVersion ? { accessTokenVersion: options.accessTokenVersion } : {}),
    ...(options.seed ? { seed: options.seed } : {}),
  });
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const dbPath = join(mkdtempSync(join(tmpdir(), 'elevate-approvals-db-')), 'elevate.db');
  const store = await testStoreEnv(dbPath, 'elevate_approvals');
  const config = parseConfig({
    ELEVATE_HOST: '127.0.0.1',
    ELEVATE_PORT: String(port),
    ...store.env,
    ELEVATE_LOG_LEVEL: 'debug',
    ...(options.freshAuthSeconds ? { ELEVATE_FRESH_AUTH_SECONDS: String(options.freshAuthSeconds) } : {}),
  });
  const { logger, logs } = capturedLogger();
  const metrics = createMetrics();
  const endpoints = resolveAzureEndpoints(config, sandbox);
  const serviceCredentialSource = resolveServiceCredentialSource(config, sandbox);
  const serviceCredential = createServiceCredential(endpoints, serviceCredentialSource);
  const tokenValidator = createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri });
  const db = await openConfiguredStore(config);
  const catalog = loadBuiltinCatalog();
  const base = policiesWithRunModes({ chat: 'Review', incident: 'Autonomous', scheduled: 'ReadOnly', manual: 'Autonomous' });
  const groups = (options.administratorGroups ?? []).map((g) => g.toLowerCase());
  const policies: Policies = {
    ...base,
    serviceRoles: { roles: base.serviceRoles.roles.map((r) => (r.id === 'administrator' ? { ...r, groups } : r)) },
    approvals: {
      elevation: { ...base.approvals.elevation, ...(options.approvals?.elevation ?? {}) },
      consent: { ...base.approvals.consent, ...(options.approvals?.consent ?? {}) },
    },
  };

  const realAudit = createAuditLog(db, { logger, metrics });
  let auditFailure: ((input: AuditInput) => boolean) | undefined;
  const audit: AuditLog = {
    ...realAudit,
    append: (input) => (auditFailure?.(input) ? Promise.reject(new AuditAppendError('audit entry not recorded: disk full (test)')) : realAudit.append(input)),
  };

  const shutdown: Array<() => Promise<void> | void> = [];
  const ctx: ServiceContext = {
    config,
    logger,
    metrics,
    endpoints,
    store: db,
    policies,
    roleCatalog: catalog,
    serviceCredentialSource,
    serviceCredential,
    tokenValidator,
    sandbox: undefined,
    onShutdown: (fn) => void shutdown.push(fn),
  };
  const signIn: SignInMount = mountSignIn(ctx, { audit, rateLimits: { signIn: { limit: 10_000, windowMs: 60_000 }, decisions: { limit: options.decisionLimit ?? 10_000, windowMs: 60_000 } } });
  const agentCredential = (agent: Agent) => imdsCredential(sandbox.origin, agent.uamiClientId);
  const api = createOperationsApi({
    store: db,
    logger,
    metrics,
    endpoints,
    policies,
    roleCatalog: catalog,
    serviceCredential,
    tokenValidator,
    requestTtlSeconds: 3600,
    permissionCacheSeconds: 300,
    audit,
    agentCredential,
  });

  let exchangeOverride: Parameters<ApprovalHarness['replaceExchange']>[0];
  let exchanges = 0;
  let skew = 0;
  const clientCredential = createMsalClientCredential(serviceCredentialSource);
  const real = (userAssertion: string) => exchangeOnBehalfOf({ userAssertion, scopes: [armUserImpersonationScope(endpoints)], endpoints, clientCredential });
  const approvals = mountApprovals({
    db,
    operations: api.module,
    signIn: signIn.signIn,
    audit,
    policies,
    endpoints,
    serviceCredentialSource,
    freshAuthSeconds: config.requests.freshAuthSeconds,
    agentCredential,
    exchange: (assertion) => {
      exchanges += 1;
      return exchangeOverride ? exchangeOverride(real, assertion) : real(assertion);
    },
    clock: () => new Date(Date.now() + skew * 1000),
    executionWaitMs: options.executionWaitMs ?? 20_000,
    logger,
  });
  const app = createWebApp({
    mode: 'sandbox',
    logger,
    metrics,
    trustProxy: false,
    https: false,
    authorizeOrigin: endpoints.browserAuthorityHost,
    readiness: [],
    middleware: signIn.middleware,
    // the administrator API (elevate requests) goes before the agent API's /api/v1 router, as in service-routes.ts
    routes: [...signIn.routes, mountAdminRequestsApi(ctx, { approvals: approvals.module, audit }).route, api.route, ...approvals.routes],
    auth: signIn.auth,
  });
  server.on('request', app);

  const tenant = sandbox.tenant;
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
  const mi = tenant.elevateApp.managedIdentity!;
  const privilegedAgent: Agent = { ...readerAgent, id: randomUUID(), name: 'sre-agent-privileged', uamiClientId: mi.clientId, uamiPrincipalId: mi.principalId, level: 'Privileged' };
  for (const a of [readerAgent, privilegedAgent]) {
    await db.run(
      'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [a.id, a.name, a.uamiClientId, a.uamiPrincipalId, a.tenantId, a.level, a.runModeCeiling, a.createdAt, a.updatedAt],
    );
    for (const rg of a.resourceGroupIds) await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [a.id, rg]);
  }
  // The privileged identity may restart ca-payments' revisions: a write there is a consent in Review mode.
  const payments = tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'ca-payments')!;
  await createAuthorizationClient(serviceCredential, tenant.agent.subscriptionId, endpoints).roleAssignments.create(payments.id, randomUUID(), {
    roleDefinitionId: `/subscriptions/${tenant.agent.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTAINER_APPS_CONTRIBUTOR}`,
    principalId: mi.principalId,
    principalType: 'ServicePrincipal',
    description: 'approval tests: consent fixture',
  });

  const tokens = new Map<string, TokenCredential>();
  const agentToken = async (agent: Agent) => {
    let c = tokens.get(agent.id);
    if (!c) tokens.set(agent.id, (c = imdsCredential(sandbox.origin, agent.uamiClientId)));
    return (await c.getToken(`${tenant.elevateApp.apiAudience}/.default`))!.token;
  };
  const user = (key: string) => {
    const u = tenant.users.find((x) => x.key === key);
    if (!u) throw new Error(`no sandbox user ${key}`);
    return u;
  };

  return {
    url,
    sandbox,
    db,
    dbPath,
    audit: realAudit,
    api,
    approvals,
    endpoints,
    readerAgent,
    privilegedAgent,
    logs,
    user,
    async signedIn(key) {
      const client = new BrowserLikeClient();
      const hop = await signInAs(client, url, user(key).oid);
      if (hop.status !== 303) throw new Error(`sign-in as ${key} answered ${hop.status}: ${hop.body.slice(0, 300)}`);
      return client;
    },
    async submit(agent, body) {
      const res = await fetch(`${url}/api/v1/operations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await agentToken(agent)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as OperationRequest;
      if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${JSON.stringify(json)}`);
      return json;
    },
    async agentGet(agent, id, waitSeconds) {
      const res = await fetch(`${url}/api/v1/operations/${encodeURIComponent(id)}${waitSeconds !== undefined ? `?wait=${waitSeconds}` : ''}`, {
        headers: { authorization: `Bearer ${await agentToken(agent)}` },
      });
      if (res.status !== 200) throw new Error(`GET operation answered ${res.status}`);
      return (await res.json()) as OperationRequest;
    },
    failAuditWhen: (p) => void (auditFailure = p),
    replaceExchange: (fn) => void (exchangeOverride = fn),
    exchangeCount: () => exchanges,
    skewApprovalClock: (s) => void (skew = s),
    executions: async (id) => (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM executions WHERE request_id = ?', [id]))!.n,
    async close() {
      await approvals.module.close();
      signIn.close();
      for (const fn of shutdown.reverse()) await fn();
      await api.close();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await db.close();
      await store.drop();
      await sandbox.close();
    },
  };
}
