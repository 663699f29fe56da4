/**
 * The approval capability wired from its parts: the pending list, one request with its history,
 * and the decisions (approve a consent, begin and complete an elevation, deny). The web routes
 * call these; nothing here knows HTTP.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AuditEntry, AuditFilter, AuditPage, AuditPageResult } from '../audit/audit-types.ts';
import type { OboExchangeResult } from '../azure/obo-exchange.ts';
import type { Logger } from '../observability/logger.ts';
import { createKeyedLock } from '../operations/keyed-lock.ts';
import type { OperationsModule } from '../operations/operations-module.ts';
import type { RequestExecutor } from '../operations/request-execution.ts';
import type { Agent, AgentDirectory, OperationRequest } from '../operations/operation-types.ts';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import { approvalRuleFor } from '../policies/approval-rules.ts';
import type { ApprovalRule, ApprovalsPolicy } from '../policies/approvals-schema.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import type { Database } from '../store/database.ts';
import { createInProcessLiveness, type InstanceLiveness } from '../store/instance-liveness.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';
import { loadRequest, type ConsentDeps, type ElevationDeps } from './approval-deps.ts';
import { createApprovalStore } from './approval-store.ts';
import { createRequesterStore } from '../directory/requester-store.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import { approversRequired, extraApproverFor } from './review-request.ts';
import { approvalKindOf, type ApprovalKind, type ExtraApprover, type RecordedApproval } from './approval-types.ts';
import { approveConsent } from './consent-approval.ts';
import { previewApproval, type ApprovalPreview } from './approval-preview.ts';
import { refused, type DecisionResult } from './decision-results.ts';
import { denyRequest } from './deny-request.ts';
import { beginElevationApproval, completeElevationApproval, type ElevationSignIn } from './elevation-approval.ts';
import { completeApiElevationApproval, type ApiElevationInput } from './api-elevation-approval.ts';
import { createPendingRequests } from './pending-requests.ts';
import { createRequestHistory, type HistoryQuery } from './request-history.ts';
import { createOneTimeTokenRecords } from './one-time-token-records.ts';
import { reconcileTokens } from './token-reconciler.ts';
import { startReconcileTimer } from '../operations/execution-reconciler.ts';
import type { RequestChangeOutbox } from '../operations/request-change-outbox.ts';

export interface ApprovalsModuleDeps {
  db: Database;
  operations: Pick<OperationsModule, 'store' | 'lifecycle'> & Partial<Pick<OperationsModule, 'liveness' | 'executionLeaseMs'>> & { executor: Pick<RequestExecutor, 'executeRequest'> };
  agents: Pick<AgentDirectory, 'get'>;
  agentCredential(agent: Agent): TokenCredential;
  /** Appends (audit first) and reads a request's history. */
  audit: AuditSink & { list(filter?: AuditFilter, page?: AuditPage): Promise<AuditPageResult> };
  policies: { approvals: ApprovalsPolicy; serviceRoles: ServiceRolesPolicy };
  tenantId: string;
  freshAuthSeconds: number;
  exchange(userAssertion: string): Promise<OboExchangeResult>;
  adminConsentUrl?: string | undefined;
  clock?: () => Date;
  /** How long a decision waits for a long-running ARM operation before answering (default 60 s). */
  executionWaitMs?: number;
  /** How often a token held for a still-running operation checks the request (default 2 s). */
  holdPollMs?: number;
  /** How often tokens left by an ended process are recorded as discarded (default 60 s; also once at start). */
  reconcileIntervalMs?: number;
  logger?: Logger | undefined;
  /** The notification outbox: hears of an approval that still needs more approvers, once it is on record. */
  outbox?: RequestChangeOutbox | undefined;
  /** Which instance runs the token reconciler (default: this one). */
  leases?: SingletonLeases | undefined;
  /**
   * This instance's id (written on each one-time token's row) and whether others are alive: the
   * token reconciler leaves a live instance's rows alone. Default: the operations module's, else
   * this process is the only one.
   */
  liveness?: InstanceLiveness | undefined;
}

export interface RequestOverview {
  request: OperationRequest;
  agent: Agent | undefined;
  /** what the request waits for, when it is pending */
  kind: ApprovalKind | undefined;
  /** what the request was raised for (it keeps this after it is decided) */
  raisedFor: ApprovalKind | undefined;
  rule: ApprovalRule | undefined;
  approvals: RecordedApproval[];
  /** distinct approvals needed: the rule's number, plus one when the requester could not be resolved */
  required: number | undefined;
  /** why one more approver than the rule's number is needed */
  extraApprover: ExtraApprover | undefined;
  /** who asked, as the directory resolved `trigger.requestedBy` when the request was created */
  requester: RequesterIdentity | undefined;
  /** the request's audit entries, oldest first */
  history: AuditEntry[];
  /** whether the history was cut at HISTORY_LIMIT entries */
  historyTruncated: boolean;
}

export const HISTORY_LIMIT = 500;

function raisedForOf(request: OperationRequest): ApprovalKind | undefined {
  if (request.decision.outcome === 'pending_elevation') return 'elevation';
  if (request.decision.outcome === 'pending_consent') return 'consent';
  return undefined;
}

export function createApprovalsModule(deps: ApprovalsModuleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const approvals = createApprovalStore(deps.db, { outbox: deps.outbox });
  const requesters = createRequesterStore(deps.db);
  const pending = createPendingRequests(deps.db, deps.operations.store);
  const history = createRequestHistory(deps.db, deps.operations.store);
  const common = {
    requests: deps.operations.store,
    lifecycle: deps.operations.lifecycle,
    executor: deps.operations.executor,
    approvals,
    requesters,
    audit: deps.audit,
    policies: deps.policies,
    tenantId: deps.tenantId,
    clock,
    lock: createKeyedLock(),
    executionWaitMs: deps.executionWaitMs ?? 60_000,
    logger: deps.logger,
  };
  const shutdown = new AbortController();
  const background = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const tracked = work.catch(() => undefined).finally(() => background.delete(tracked));
    background.add(tracked);
  };
  const liveness = deps.liveness ?? deps.operations.liveness ?? createInProcessLiveness();
  const tokens = createOneTimeTokenRecords(deps.db, { instanceId: liveness.id });
  const tokenPass = () =>
    reconcileTokens({ records: tokens, requests: deps.operations.store, audit: deps.audit, clock, logger: deps.logger, liveness, recentMs: deps.operations.executionLeaseMs });
  const tokenTimer = startReconcileTimer({
    run: leaderOnly(deps.leases, 'token-reconciler', tokenPass, undefined),
    intervalMs: deps.reconcileIntervalMs ?? 60_000,
    logger: deps.logger,
  });
  const consent: ConsentDeps = { ...common, agents: deps.agents, agentCredential: deps.agentCredential };
  const elevation: ElevationDeps = {
    ...common,
    freshAuthSeconds: deps.freshAuthSeconds,
    exchange: deps.exchange,
    adminConsentUrl: deps.adminConsentUrl,
    background: { signal: shutdown.signal, track },
    holdPollMs: deps.holdPollMs,
    tokens,
  };

  return {
    countPending: () => pending.count(clock().toISOString()),
    listPending: async (): Promise<Array<{ request: OperationRequest; agent: Agent | undefined }>> => {
      const requests = await pending.list(clock().toISOString());
      const agents = new Map<string, Agent | undefined>();
      for (const r of requests) if (!agents.has(r.agentId)) agents.set(r.agentId, await deps.agents.get(r.agentId));
      return requests.map((request) => ({ request, agent: agents.get(request.agentId) }));
    },

    /** Every request, or those this viewer decided, filtered and keyset paged, with their agents. */
    async history(query: HistoryQuery, viewer: Pick<SessionUser, 'oid'>) {
      const page = await history.page(query, viewer.oid);
      const agents = new Map<string, Agent | undefined>();
      for (const r of page.requests) if (!agents.has(r.agentId)) agents.set(r.agentId, await deps.agents.get(r.agentId));
      return { items: page.requests.map((request) => ({ request, agent: agents.get(request.agentId) })), nextCursor: page.nextCursor };
    },

    async overview(requestId: string): Promise<RequestOverview | undefined> {
      const request = await loadRequest(common, requestId);
      if (!request) return undefined;
      const raisedFor = raisedForOf(request);
      const page = await deps.audit.list({ requestId: request.id }, { limit: HISTORY_LIMIT });
      const rule = raisedFor ? approvalRuleFor(raisedFor, deps.policies) : undefined;
      const state = { requestedBy: request.trigger.requestedBy, requester: await requesters.get(request.id), minApprovers: request.decision.approversRequired };
      return {
        request,
        agent: await deps.agents.get(request.agentId),
        kind: approvalKindOf(request),
        raisedFor,
        rule,
        approvals: await approvals.approvalsFor(request.id),
        required: rule ? approversRequired(state, rule) : undefined,
        extraApprover: rule ? extraApproverFor(state, rule) : undefined,
        requester: state.requester,
        history: [...page.entries].reverse(),
        historyTruncated: page.nextBefore !== null,
      };
    },

    /** Whether this person's approval would be refused (four-eyes, already approved, role, tenant): the page says so instead of offering the form. */
    previewApproval: (o: Pick<RequestOverview, 'request' | 'approvals' | 'requester'>, user: SessionUser): ApprovalPreview =>
      previewApproval(common, o.request, o.requester, o.approvals, user),

    /** Approve pressed: a consent runs now; an elevation answers with the fresh sign-in to start. */
    async approve(requestId: string, user: SessionUser, reason: unknown): Promise<DecisionResult> {
      const pressedAt = clock();
      const request = await loadRequest(common, requestId);
      if (!request) return refused(404, 'not_found', 'no such request');
      // A consent queued behind a concurrent one finds the request no longer pending: 409, said clearly.
      return approvalKindOf(request) === 'elevation' ? beginElevationApproval(elevation, requestId, user, reason, pressedAt) : approveConsent(consent, requestId, user, reason);
    },

    completeElevation: (signIn: ElevationSignIn) => completeElevationApproval(elevation, signIn),

    /** The CLI's fresh token for an elevation it opened with `approve` (api-elevation-approval.ts). */
    completeElevationFromApi: (input: ApiElevationInput) => completeApiElevationApproval(elevation, input),

    /** This approver's open elevation attempt on the request (what `approve` just started), if any. */
    openAttempt: (requestId: string, approverOid: string) => approvals.liveAttemptOf(requestId, approverOid, clock().toISOString()),

    deny: (requestId: string, user: SessionUser, reason: unknown) => denyRequest(common, requestId, user, reason),

    /** Settles when tokens left by an earlier process have their `token.discarded` entries. */
    reconciled: tokenTimer.first,
    reconcileTokens: tokenPass,
    /** Stops holding tokens for still-running operations (they are discarded now) and waits for that. */
    async close(): Promise<void> {
      await tokenTimer.stop();
      shutdown.abort();
      await Promise.allSettled([...background]);
    },
  };
}

export type ApprovalsModule = ReturnType<typeof createApprovalsModule>;
