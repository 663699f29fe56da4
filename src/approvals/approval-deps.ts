/**
 * The narrow dependencies every approval use case shares, and the steps they all take: who is
 * deciding (role and tenant checked again against the current policy), loading the request
 * (lazily expired), and auditing a refusal.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { OboExchangeResult } from '../azure/obo-exchange.ts';
import type { Logger } from '../observability/logger.ts';
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { Agent, AgentDirectory, OperationRequest } from '../operations/operation-types.ts';
import type { RequestExecutor } from '../operations/request-execution.ts';
import type { AuditSink, RequestLifecycle } from '../operations/request-lifecycle.ts';
import type { ApprovalsPolicy } from '../policies/approvals-schema.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import { abilityForUser } from '../signin/access-control.ts';
import { refusedEntry } from './approval-audit.ts';
import type { ApprovalStore } from './approval-store.ts';
import type { Approver, ReviewState } from './approval-types.ts';
import type { RequesterStore } from '../directory/requester-store.ts';
import type { OneTimeTokenRecords } from './one-time-token-records.ts';
import { checkDecider, ELIGIBILITY_MESSAGES } from './approver-eligibility.ts';
import { refused, refusalStatus, type DecisionResult } from './decision-results.ts';

export interface ApprovalDeps {
  requests: Pick<OperationRequestStore, 'get'>;
  lifecycle: Pick<RequestLifecycle, 'expireIfDue' | 'approve' | 'deny'>;
  executor: Pick<RequestExecutor, 'executeRequest'>;
  approvals: ApprovalStore;
  /** Who asked for each request, as resolved in the directory when it was created. */
  requesters: Pick<RequesterStore, 'get'>;
  audit: AuditSink;
  policies: { approvals: ApprovalsPolicy; serviceRoles: ServiceRolesPolicy };
  /** Elevate's own tenant: only its accounts decide. */
  tenantId: string;
  clock: () => Date;
  /** Serialises decisions on one request within this process (the store's compare-and-set guards across processes). */
  lock: { run<T>(key: string, fn: () => Promise<T>): Promise<T> };
  /** How long an approval waits for a long-running ARM operation before answering with `executing`. */
  executionWaitMs: number;
  logger?: Logger | undefined;
}

export interface ConsentDeps extends ApprovalDeps {
  agents: Pick<AgentDirectory, 'get'>;
  /** The agent's own managed identity: a consented write runs with it. */
  agentCredential(agent: Agent): TokenCredential;
}

export interface ElevationDeps extends ApprovalDeps {
  /** ELEVATE_FRESH_AUTH_SECONDS: how recent the approver's credential entry must be. */
  freshAuthSeconds: number;
  /** The on-behalf-of exchange of the approver's token for Elevate's API into an ARM token. */
  exchange(userAssertion: string): Promise<OboExchangeResult>;
  /** The tenant's admin-consent page for Elevate, shown when consent is missing (AADSTS65001). */
  adminConsentUrl?: string | undefined;
  /** Work that outlives a request (discarding a token after a long-running operation): stopped at shutdown. */
  background: { signal: AbortSignal; track(work: Promise<unknown>): void };
  /** How often a held token's request is checked (default 2 s). */
  holdPollMs?: number | undefined;
  /** The durable trace of each on-behalf-of exchange (one-time-token-records.ts). */
  tokens: Pick<OneTimeTokenRecords, 'begin' | 'issued' | 'discarded'>;
}

const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

export const approverOf = (user: SessionUser): Approver => ({ oid: user.oid, upn: user.upn, tid: user.tid });

/** The signed-in user as a decider, or the refusal (not an administrator, personal account, other tenant). */
export function deciderOf(deps: Pick<ApprovalDeps, 'policies' | 'tenantId'>, user: SessionUser, action: 'approve' | 'deny'): { ok: true; approver: Approver } | { ok: false; code: string; message: string } {
  const holdsDecidingRole = abilityForUser(user, deps.policies).can(action, 'Approval');
  const refusal = checkDecider({ tid: user.tid, homeTenantId: user.homeTenantId, holdsDecidingRole }, deps.tenantId);
  return refusal ? { ok: false, code: refusal, message: ELIGIBILITY_MESSAGES[refusal] } : { ok: true, approver: approverOf(user) };
}

/** The request, expired first if its time is up; undefined for an unknown or malformed id. */
export async function loadRequest(deps: Pick<ApprovalDeps, 'requests' | 'lifecycle'>, requestId: string): Promise<OperationRequest | undefined> {
  if (!REQUEST_ID.test(requestId)) return undefined;
  const stored = await deps.requests.get(requestId);
  return stored ? deps.lifecycle.expireIfDue(stored.request) : undefined;
}

/** What the pure review logic needs about a request: its state, the resolved requester, the approvals so far. */
export async function reviewStateOf(deps: Pick<ApprovalDeps, 'approvals' | 'requesters'>, request: OperationRequest): Promise<ReviewState> {
  return {
    state: request.state,
    requestedBy: request.trigger.requestedBy,
    requester: await deps.requesters.get(request.id),
    approvals: await deps.approvals.approvalsFor(request.id),
    minApprovers: request.decision.approversRequired,
  };
}

/**
 * Records why a decision was refused, then answers with the refusal. A refusal that cannot be
 * audited is still a refusal (nothing happened); the failure is logged.
 */
export async function refuseDecision(
  deps: Pick<ApprovalDeps, 'audit' | 'logger'>,
  x: { request: OperationRequest | undefined; requestId: string; approver: Approver; decision: 'approve' | 'deny'; code: string; message: string },
): Promise<DecisionResult> {
  await deps.audit
    .append(refusedEntry(x.request, x.requestId, x.approver, { decision: x.decision, code: x.code, message: x.message }))
    .catch((err: unknown) => deps.logger?.error({ err, requestId: x.requestId, code: x.code }, 'a refused decision could not be audited'));
  return refused(refusalStatus(x.code), x.code, x.message, x.request);
}

export function isAuditFailure(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AuditUnavailableError' || err.name === 'AuditAppendError');
}

export const auditUnavailable = (request?: OperationRequest): DecisionResult =>
  refused(503, 'audit_unavailable', 'The audit log is unavailable, so nothing was done. Try again when it is back.', request);
