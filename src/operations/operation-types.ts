/**
 * The vocabulary of the agent operations API: what an agent asks for, what Elevate decides, and
 * the request resource that carries the decision through its lifecycle. The approval issue reads
 * these types; the HTTP layer renders them.
 */
import type { PermissionLevel, RunMode, TriggerKind } from '../policies/policy-types.ts';
import type { RoleSuggestion } from '../rbac/rbac-types.ts';
import type { Agent } from '../agents/agent-types.ts';

export type { Agent, PermissionLevel, RunMode, TriggerKind };

export const HTTP_METHODS = ['GET', 'PUT', 'PATCH', 'DELETE', 'POST'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** JSON as the agent sent it; stored and forwarded, never interpreted. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The narrow view of the agent registry the operations API reads through. The issue-6 registry
 * implements the same interface.
 */
export interface AgentDirectory {
  /** The agent whose UAMI has this object id (token `oid`) or client id (token `appid`/`azp`). */
  findByIdentity(objectIdOrClientId: string): Promise<Agent | undefined>;
  get(agentId: string): Promise<Agent | undefined>;
}

export interface OperationTrigger {
  kind: TriggerKind;
  ref?: string | undefined;
  requestedBy?: string | undefined;
}

/** A submission after validation: the exact ARM operation plus why it is asked for. */
export interface OperationInput {
  method: HttpMethod;
  path: string;
  apiVersion: string;
  body?: JsonValue | undefined;
  /** query parameters besides api-version, only those arm-query-rules.ts allows (changestate's newState) */
  query?: Record<string, string> | undefined;
  justification?: string | undefined;
  trigger: OperationTrigger;
  idempotencyKey: string;
}

/** The part of a submission that is executed; its hash binds the request to what runs. */
export interface ArmOperation {
  method: HttpMethod;
  path: string;
  apiVersion: string;
  body?: JsonValue | undefined;
  /** query parameters besides api-version (arm-query-rules.ts); absent for almost every operation */
  query?: Record<string, string> | undefined;
}

export type DecisionOutcome = 'execute' | 'pending_consent' | 'pending_elevation' | 'forbidden';

/** Why a decision came out as it did, in one machine-readable word. */
export type DecisionReasonCode =
  | 'allowed'
  | 'needs_consent'
  | 'missing_permission'
  | 'guardrail'
  | 'run_mode_read_only'
  // a content rule (guardrails.yaml `when` / `require`) holds the request for more people
  | 'content_rule';

export interface GuardrailHit {
  /** The guardrail rule's id, as guardrails.yaml names it. */
  rule: string;
  /** The rule's reason, for the agent and the approver. */
  reason: string;
  /** the CEL condition that matched, for a content rule */
  condition?: string | undefined;
  /** the Microsoft doc that explains the risk */
  link?: string | undefined;
}

/** A content or `require` rule of guardrails.yaml that the request matched. */
export interface ContentRuleHit extends GuardrailHit {
  /** forbid: never executed, never elevated; elevation: an administrator runs it with their own sign-in; approvers: that many distinct approvers */
  effect: 'forbid' | 'require';
  elevation?: boolean | undefined;
  approvers?: number | undefined;
  /** why the rule could not be evaluated and held the request instead (fail closed) */
  failedClosed?: string | undefined;
}

export interface PermissionSummary {
  allowed: boolean;
  /** the evaluator's reason (granted, no-matching-assignment, denied-by-deny-assignment, only-conditional-grants) */
  reason: string;
  message: string;
  /** roles (by name) whose assignments grant the action, when allowed */
  grantedBy: Array<{ roleName: string; scope: string; viaGroup: boolean }>;
  deniedBy: Array<{ denyAssignmentId: string; scope: string }>;
}

/** What the decision pipeline concluded for one operation of one agent. */
export interface OperationDecision {
  outcome: DecisionOutcome;
  reasonCode: DecisionReasonCode;
  /** one-line human explanation */
  explanation: string;
  action: string;
  /**
   * how `action` relates to Azure's provider operations list: `listed`; `resolved` (the call is
   * listed under another operation than "type + verb", which `action` is); `unlisted` (not a
   * listed operation: Azure may check a different action). Absent on decisions made before it existed.
   */
  actionStatus?: 'listed' | 'resolved' | 'unlisted' | undefined;
  /** one line saying what `actionStatus` means for this call, when it is not `listed` */
  actionNote?: string | undefined;
  /** the ARM scope the permission is checked at */
  scope: string;
  isWrite: boolean;
  runMode: RunMode;
  guardrail?: GuardrailHit | undefined;
  /** the content and `require` rules the request matched (guardrails.yaml), when any did */
  contentRules?: ContentRuleHit[] | undefined;
  /** distinct approvers the request needs at least, when a rule asks for more than approvals.yaml */
  approversRequired?: number | undefined;
  /** absent when the pipeline stopped before the permission check (guardrail, ReadOnly) */
  permission?: PermissionSummary | undefined;
  /** the action the agent's UAMI lacks (pending_elevation) */
  missingAction?: string | undefined;
  /** smallest built-in roles that would grant `missingAction`, smallest first */
  wouldBeGrantedBy: RoleSuggestion[];
}

export const REQUEST_STATES = [
  'pending_consent',
  'pending_elevation',
  'approved',
  'executing',
  'succeeded',
  'failed',
  'denied',
  'expired',
  'cancelled',
  // the execution was interrupted (a crash) and its end could not be learnt; never re-run
  'outcome_unknown',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

/** What ARM answered when the request ran. */
export interface ArmResult {
  status: number;
  correlationId?: string | undefined;
  armRequestId?: string | undefined;
  /** Azure-AsyncOperation / provisioning status when the operation was long-running */
  asyncStatus?: string | undefined;
  body?: JsonValue | undefined;
}

export interface RequestError {
  code: string;
  message: string;
}

/** The request resource: what the API returns and what the approval issue acts on. */
export interface OperationRequest {
  id: string;
  agentId: string;
  idempotencyKey: string;
  state: RequestState;
  /** increments on every transition (the compare-and-set counter) */
  version: number;
  operation: ArmOperation;
  /** SHA-256 (hex) of the canonical operation, checked again before execution */
  operationHash: string;
  justification?: string | undefined;
  trigger: OperationTrigger;
  decision: OperationDecision;
  createdAt: string;
  updatedAt: string;
  /** pending (and approved-not-yet-run) requests expire at this time */
  expiresAt?: string | undefined;
  /** who acted last: an approver's identity, `agent:<id>`, or `system` */
  actingIdentity?: string | undefined;
  /** free text recorded with the last transition (a denial reason, an expiry note) */
  stateReason?: string | undefined;
  arm?: ArmResult | undefined;
  error?: RequestError | undefined;
  /**
   * Set when ARM refused the execution with AuthorizationFailed although the permission cache
   * allowed it: the decision made again on fresh role assignments (e.g. pending_elevation).
   */
  redecision?: OperationDecision | undefined;
}
