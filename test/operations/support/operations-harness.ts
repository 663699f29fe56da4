/**
 * The operations module over a real store (SQLite, or PostgreSQL with ELEVATE_TEST_STORE) and audit log, with ARM replaced by a scripted
 * fake (what ARM answers, and a record of every call) and the permission cache fed from a
 * sandbox-like authorization state. Used by the service-level tests; the sandbox integration
 * tests use the real SDKs instead.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { createAuditLog, type AuditLog } from '../../../src/audit/audit-log.ts';
import type { AuditInput } from '../../../src/audit/audit-types.ts';
import type { ArmPipelineClient, ArmRequest, ArmResponse } from '../../../src/azure/arm-pipeline-client.ts';
import { createOperationsModule, type OperationsModule } from '../../../src/operations/operations-module.ts';
import { createPermissionCache, type PermissionCache, type PermissionSource } from '../../../src/operations/permission-cache.ts';
import type { Agent } from '../../../src/operations/operation-types.ts';
import type { RunMode, TriggerKind } from '../../../src/policies/policy-types.ts';
import { createEvaluator } from '../../../src/rbac/rbac-evaluator.ts';
import type { AuthorizationState } from '../../../src/rbac/rbac-types.ts';
import type { Database } from '../../../src/store/database.ts';
import type { InstanceLiveness } from '../../../src/store/instance-liveness.ts';
import { openTestStore } from '../../support/test-store.ts';
import { builtinCatalog, policiesWithRunModes, sandboxLikeState } from './operation-fixtures.ts';

export const ARM_ENDPOINT = 'https://arm.test.invalid';

export type ArmScript = (request: ArmRequest) => (Partial<ArmResponse> & { status: number }) | Promise<Partial<ArmResponse> & { status: number }>;

export interface Harness {
  db: Database;
  auditLog: AuditLog;
  module: OperationsModule;
  armCalls: ArmRequest[];
  armPolls: string[];
  setArm(script: ArmScript): void;
  setPoll(script: (url: string) => Partial<ArmResponse> & { status: number }): void;
  /** Makes every audit append fail (true), none (false), or those matching the predicate. */
  setAuditFailing(failing: boolean | ((input: AuditInput) => boolean)): void;
  /** The audit sink the module appends through (what setAuditFailing fails), for other modules built on this one. */
  audit: { append(input: AuditInput): Promise<unknown> };
  setAuthorizationState(state: AuthorizationState): void;
  permissionLoads(): number;
  /** The module's permission cache, for what the levels runtime does to it (invalidate on a level change). */
  permissions: PermissionCache;
  clock: { now: Date; advance(ms: number): void };
  credential: TokenCredential;
  close(): Promise<void>;
}

export const DEFAULT_RUN_MODES: Record<TriggerKind, RunMode> = { chat: 'Review', incident: 'Autonomous', scheduled: 'ReadOnly', manual: 'Autonomous' };

export async function createHarness(
  options: {
    runModes?: Record<TriggerKind, RunMode>;
    ttlSeconds?: number;
    executionWaitMs?: number;
    agents?: Agent[];
    /** an already migrated store (another instance's database); default a fresh one (test-store.ts) */
    db?: Database;
    /** this instance's id and the others' liveness (default: the only process) */
    liveness?: InstanceLiveness;
    /** execution leases of this length, as with several instances (default: none) */
    executionLeaseMs?: number;
    /** another harness's store: a second instance on the same database, which stays open when this one closes */
    sharedDb?: Database;
  } = {},
): Promise<Harness> {
  const db = options.sharedDb ?? options.db ?? (await openTestStore(join(mkdtempSync(join(tmpdir(), 'elevate-ops-')), 'elevate.db'), 'elevate_ops'));
  const clock = {
    now: new Date('2025-06-01T10:00:00.000Z'),
    advance(ms: number) {
      this.now = new Date(this.now.getTime() + ms);
    },
  };
  const auditLog = createAuditLog(db, { clock: () => new Date() });
  let auditFailing: boolean | ((input: AuditInput) => boolean) = false;
  const audit = {
    append(input: AuditInput) {
      if (auditFailing === true || (typeof auditFailing === 'function' && auditFailing(input))) return Promise.reject(Object.assign(new Error('audit entry not recorded: disk full'), { name: 'AuditAppendError' }));
      return auditLog.append(input);
    },
  };

  let authz = sandboxLikeState();
  let loads = 0;
  const source: PermissionSource = {
    async load() {
      loads += 1;
      return authz;
    },
  };
  const permissions = createPermissionCache({
    source,
    makeEvaluator: (s) => createEvaluator(s, { catalog: [...builtinCatalog.roles] }),
    ttlMs: 300_000,
    now: () => clock.now.getTime(),
  });

  const armCalls: ArmRequest[] = [];
  const armPolls: string[] = [];
  let script: ArmScript = () => ({ status: 200, body: { ok: true } });
  let pollScript: (url: string) => Partial<ArmResponse> & { status: number } = () => ({ status: 200, body: { status: 'Succeeded' } });
  let seq = 0;
  const respond = (r: Partial<ArmResponse> & { status: number }, correlationId: string): ArmResponse => ({
    headers: {},
    body: undefined,
    requestId: `arm-req-${++seq}`,
    ...r,
    correlationId,
  });
  const fakeArm: ArmPipelineClient = {
    async armRequest(request) {
      armCalls.push(request);
      // A scripted answer may be a promise (ARM slow to answer); the caller's signal stops the wait, as the real client's does.
      const answer = Promise.resolve(script(request));
      const signal = request.abortSignal;
      const stopped = signal && new Promise<never>((_, reject) => (signal.aborted ? reject(signal.reason) : signal.addEventListener('abort', () => reject(signal.reason), { once: true })));
      return respond(await (stopped ? Promise.race([answer, stopped]) : answer), request.correlationId ?? 'corr');
    },
    async armGetUrl(url, correlationId) {
      armPolls.push(url);
      return respond(pollScript(url), correlationId);
    },
    async armRequestAndWait() {
      throw new Error('not used');
    },
  };
  const credential: TokenCredential = {
    async getToken(): Promise<AccessToken> {
      return { token: 'not-a-real-token', expiresOnTimestamp: Date.now() + 3600_000 };
    },
  };

  const module = createOperationsModule({
    db,
    audit,
    policies: policiesWithRunModes(options.runModes ?? DEFAULT_RUN_MODES),
    permissions,
    armClientFor: () => fakeArm,
    armEndpoint: ARM_ENDPOINT,
    agentCredential: () => credential,
    requestTtlSeconds: options.ttlSeconds ?? 3600,
    clock: () => clock.now,
    sweepIntervalMs: 0,
    agents: { get: async (id: string) => options.agents?.find((a) => a.id === id) },
    executionWaitMs: options.executionWaitMs ?? 2_000,
    pollIntervalMs: 5,
    ...(options.liveness ? { liveness: options.liveness } : {}),
    ...(options.executionLeaseMs !== undefined ? { executionLeaseMs: options.executionLeaseMs } : {}),
  });

  return {
    db,
    auditLog,
    audit,
    module,
    armCalls,
    armPolls,
    setArm: (s) => (script = s),
    setPoll: (s) => (pollScript = s),
    setAuditFailing: (f) => (auditFailing = f),
    setAuthorizationState: (s) => (authz = s),
    permissionLoads: () => loads,
    permissions,
    clock,
    credential,
    async close() {
      await module.close();
      if (!options.sharedDb) await db.close();
    },
  };
}

/** Every audit entry, oldest first. */
export async function auditEntries(h: Harness, filter: Parameters<AuditLog['list']>[0] = {}) {
  const page = await h.auditLog.list(filter, { limit: 1000 });
  return page.entries.reverse();
}

export async function countRows(db: Database, table: string): Promise<number> {
  return (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;
}
