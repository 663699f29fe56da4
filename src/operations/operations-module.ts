/**
 * Wires the operations capability from its narrow parts: the request store, the lifecycle (state
 * machine + compare-and-set + audit), the executor, the permission cache over ARM, the decision
 * pipeline over the loaded policies, the long-poll notifier and the expiry sweeper. The approval
 * flow gets `lifecycle` (approve/deny) and `executor.executeRequest` from here.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { ArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Policies } from '../policies/policies.ts';
import type { ChangeBus } from '../store/change-bus.ts';
import type { Database } from '../store/database.ts';
import { createInProcessLiveness, type InstanceLiveness } from '../store/instance-liveness.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';
import { resolveRequester, type UserDirectory } from '../directory/requester-identity.ts';
import { createRequesterStore } from '../directory/requester-store.ts';
import { createCurrentResourceReader } from './current-resource-read.ts';
import { createDecisionDeps } from './decision-deps.ts';
import { createDecisionQueryAudit } from './decision-query-audit.ts';
import { createValidatedInputMemo } from './validated-input-memo.ts';
import { startExpirySweeper, type ExpirySweeper } from './expiry-sweeper.ts';
import { createOperationRequestStore } from './operation-request-store.ts';
import { createExecutionLeases } from './execution-lease.ts';
import { createExecutionReconciler, startReconcileTimer } from './execution-reconciler.ts';
import { OPERATION_AUDIT_EVENTS } from './operation-audit.ts';
import type { Agent, AgentDirectory, OperationRequest } from './operation-types.ts';
import { createRequestedOperationCheck } from './requested-operation-check.ts';
import { createOperationsService, type OperationsServiceDeps } from './operations-service.ts';
import type { PermissionCache } from './permission-cache.ts';
import { createRequestExecutor } from './request-execution.ts';
import { createRequestLifecycle, type AuditSink } from './request-lifecycle.ts';
import type { RequestChangeOutbox } from './request-change-outbox.ts';
import { createRequestNotifier } from './request-notifier.ts';

export interface OperationsModuleDeps {
  db: Database;
  audit: AuditSink;
  /** Refusals (bad input, guardrail/run-mode refusals); e.g. the audit module's flood-collapsing sink. Default: `audit`. */
  refusalAudit?: AuditSink | undefined;
  /** Count identical repeated decision-only queries per window instead of appending each (default true). */
  collapseDecisionQueries?: boolean;
  policies: Pick<Policies, 'guardrails' | 'runModes'>;
  permissions: PermissionCache;
  /** An ARM client acting as the credential (the UAMI's, or a one-off OBO credential). */
  armClientFor(credential: TokenCredential): ArmPipelineClient;
  armEndpoint: string;
  /** The agent's UAMI credential (createAgentCredential(agent.uamiClientId)). */
  agentCredential(agent: Agent): TokenCredential;
  requestTtlSeconds: number;
  clock?: () => Date;
  logger?: Logger;
  metrics?: Pick<Metrics, 'decisions'>;
  /** Default: a sweep every min(ttl/4, 30 s). 0 disables the timer (sweep on demand). */
  sweepIntervalMs?: number;
  /** Bound on parked long-poll readers (default 1000). */
  maxWaiters?: number;
  /** How long a submission waits for its ARM operation before answering `executing` (default 20 s). */
  executionWaitMs?: number;
  /** Poll interval for long-running operations when ARM sends no Retry-After. */
  pollIntervalMs?: number;
  /** Where `trigger.requestedBy` is looked up (Microsoft Graph); absent: every requester is unresolved. */
  userDirectory?: UserDirectory | undefined;
  /** Who the agents are: the reconciler follows an interrupted operation with its agent's identity. */
  agents?: Pick<AgentDirectory, 'get'>;
  /**
   * ELEVATE_RECONCILE_INTERVAL_SECONDS: interrupted executions are reconciled once at start and
   * then every this often (those unchanged for this long). Default 60 s; 0: start-up pass only.
   */
  reconcileIntervalMs?: number;
  /** The notification outbox: written in the same transaction as every new request and state change. */
  outbox?: RequestChangeOutbox | undefined;
  /** What a trigger names must exist (src/incidents); see OperationsServiceDeps.checkTrigger. */
  checkTrigger?: OperationsServiceDeps['checkTrigger'];
  /** Told after every recorded request transition (must not throw). */
  onRequestChanged?: ((request: OperationRequest) => void) | undefined;
  /** Which instance runs the reconciler and the expiry sweeper (default: this one). */
  leases?: SingletonLeases | undefined;
  /** Carries request changes to long-polls on other instances (default: this process only). */
  changes?: ChangeBus | undefined;
  /**
   * This instance's id (written with each execution's intent) and whether others are alive: the
   * reconciler leaves a live instance's executions alone. Default: this process is the only one.
   */
  liveness?: InstanceLiveness | undefined;
  /**
   * ELEVATE_EXECUTION_LEASE_SECONDS in ms, when other instances share the database: each execution
   * is leased to the instance running it (execution-lease.ts). Undefined: no leases.
   */
  executionLeaseMs?: number | undefined;
}

export function createOperationsModule(deps: OperationsModuleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const liveness = deps.liveness ?? createInProcessLiveness();
  const store = createOperationRequestStore(deps.db, { outbox: deps.outbox });
  const requesterStore = createRequesterStore(deps.db);
  const notifier = createRequestNotifier({ maxWaiters: deps.maxWaiters ?? 1000, changes: deps.changes, channel: 'elevate_requests', logger: deps.logger });
  const lifecycle = createRequestLifecycle({ store, audit: deps.audit, notifier, clock, ttlSeconds: deps.requestTtlSeconds, logger: deps.logger, onTransition: deps.onRequestChanged });
  const leases = deps.executionLeaseMs === undefined ? undefined : createExecutionLeases({ store, instanceId: liveness.id, leaseMs: deps.executionLeaseMs, logger: deps.logger });
  const executor = createRequestExecutor({
    store,
    lifecycle,
    audit: deps.audit,
    armClientFor: deps.armClientFor,
    armEndpoint: deps.armEndpoint,
    checkRequestedOperation: createRequestedOperationCheck(deps.db),
    clock,
    logger: deps.logger,
    instanceId: liveness.id,
    leases,
    ...(deps.executionWaitMs !== undefined ? { waitMs: deps.executionWaitMs } : {}),
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
  });
  const decision = createDecisionDeps(deps.policies, deps.permissions, {
    readCurrentResource: createCurrentResourceReader({ armClientFor: deps.armClientFor, agentCredential: deps.agentCredential, logger: deps.logger }),
  });
  const decisionQueryAudit = deps.collapseDecisionQueries === false ? undefined : createDecisionQueryAudit(deps.audit, { clock, logger: deps.logger });
  decisionQueryAudit?.start();
  const service = createOperationsService({
    store,
    lifecycle,
    executor,
    audit: deps.audit,
    refusalAudit: deps.refusalAudit,
    decisionQueryAudit,
    validatedInputs: createValidatedInputMemo(),
    decision,
    permissions: deps.permissions,
    notifier,
    agentCredential: deps.agentCredential,
    clock,
    ttlSeconds: deps.requestTtlSeconds,
    metrics: deps.metrics,
    logger: deps.logger,
    checkTrigger: deps.checkTrigger,
    requesters: {
      resolve: (requestedBy) => (deps.userDirectory ? resolveRequester(requestedBy, deps.userDirectory) : Promise.resolve({ status: 'unresolved', reason: 'directory_unavailable' })),
      record: (requestId, identity, at) => requesterStore.record(requestId, identity, at),
    },
  });
  const reconciler = createExecutionReconciler({
    store,
    lifecycle,
    executor,
    audit: deps.audit,
    armRequestAudited: async (requestId) =>
      (await deps.db.fresh.get('SELECT 1 AS one FROM audit_log WHERE request_id = ? AND event_type = ? LIMIT 1', [requestId, OPERATION_AUDIT_EVENTS.armRequest])) !== undefined,
    agents: deps.agents ?? { get: async () => undefined },
    agentCredential: deps.agentCredential,
    clock,
    logger: deps.logger,
    liveness,
    leases,
  });
  const reconcileIntervalMs = deps.reconcileIntervalMs ?? 60_000;
  // At start: every interrupted execution (this process follows none yet). Then periodically:
  // those unchanged for a whole interval that this process is not following.
  let startupDone = false;
  const reconcileTimer = startReconcileTimer({
    run: leaderOnly(deps.leases, 'execution-reconciler', () => {
      const pass = reconciler.reconcile(startupDone ? { olderThanMs: reconcileIntervalMs } : {});
      startupDone = true;
      return pass;
    }, undefined),
    intervalMs: reconcileIntervalMs > 0 ? reconcileIntervalMs : 2 ** 31 - 1,
    logger: deps.logger,
  });
  const interval = deps.sweepIntervalMs ?? Math.min((deps.requestTtlSeconds * 1000) / 4, 30_000);
  const sweeper: ExpirySweeper | undefined = interval > 0 ? startExpirySweeper({ expireDue: leaderOnly(deps.leases, 'expiry-sweeper', () => lifecycle.expireDue(), 0), intervalMs: interval, logger: deps.logger }) : undefined;

  return {
    service,
    store,
    lifecycle,
    executor,
    notifier,
    permissions: deps.permissions,
    /** This instance and whether others live (the approvals module records its tokens with it too). */
    liveness,
    /** How long an execution is leased to the instance running it (several instances); undefined: no leases. */
    executionLeaseMs: deps.executionLeaseMs,
    /** Settles when the start-up reconcile pass is done. */
    reconciled: reconcileTimer.first,
    /** One reconcile pass now (`olderThanMs` undefined: every interrupted execution not followed here). */
    reconcile: (options?: { olderThanMs?: number }) => reconciler.reconcile(options),
    /** Expires due requests now (the sweeper's tick). */
    sweep: () => lifecycle.expireDue(),
    async close(): Promise<void> {
      await reconcileTimer.stop();
      await sweeper?.stop();
      await decisionQueryAudit?.close();
      notifier.close();
      await executor.close();
    },
  };
}

export type OperationsModule = ReturnType<typeof createOperationsModule>;
