import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { PermissionLevel } from '../policies/policy-types.ts';

/**
 * A time-bound level raise: an agent's level raised on some of its managed resource groups for a
 * window, on approval. Plain data; the state machine (raise-state-machine.ts) moves it.
 *
 *   pending --approve (enough)--> granting --granted--> active --end--> revoking --verified--> ended
 *      |  \--deny--> denied             \--grant failed--> revoking
 *      \--cancel--> cancelled / --pending window passed--> expired
 *
 * The sweeper cancels a pending raise, or fails the grant of a granting one, whose approval never
 * reached the audit record (raise-sweep.ts).
 */
export type RaiseState = 'pending' | 'granting' | 'active' | 'revoking' | 'ended' | 'denied' | 'cancelled' | 'expired';

/** How the raise's role assignments are made: Azure PIM schedules (Azure ends them) or plain assignments Elevate removes. */
export type RaiseMode = 'pim' | 'fallback';

/** Why a raise ended. */
export type EndReason = 'expired' | 'ended-by-admin' | 'handed-back' | 'grant-failed';

export interface RaiseRequester {
  kind: 'agent' | 'user';
  /** The agent id, or the person's object id. */
  id: string;
  name: string | null;
  /** For an agent's raise: the person it names as having asked (counts as the requester for four eyes). */
  onBehalfOf?: string;
  /**
   * `onBehalfOf` resolved in the directory when the raise was asked for (as a request's
   * trigger.requestedBy is, src/directory/requester-identity.ts), never to change: four eyes compares
   * object ids, and an unresolved requester needs one more distinct approver.
   */
  onBehalfOfIdentity?: RequesterIdentity;
}

export interface RaiseApproval {
  approverId: string;
  approverName: string | null;
  at: string;
  reason: string | null;
  /**
   * False from the moment the approval wins the raise (its version-checked write) until its
   * `level-raise.approved` entry is appended and the raise written again: meanwhile it neither
   * counts nor makes grants, and no other decision is taken on the raise (raise-decisions.ts).
   * Absent once it is on record, and on approvals recorded before this field (their entry came
   * first).
   */
  recorded?: false;
}

export type GrantStatus = 'planned' | 'granted' | 'preexisting' | 'removed';

/** One role assignment a raise makes (or made). */
export interface RaiseGrant {
  roleName: string;
  /** Role definition GUID. */
  roleGuid: string;
  /** Subscription-scoped role definition id, as ARM wants it on create. */
  roleDefinitionId: string;
  scope: string;
  /** Deterministic GUID: the PIM schedule request's name, or the plain role assignment's name. */
  name: string;
  status: GrantStatus;
  /** PIM: the schedule request's id and the schedule it made. */
  scheduleRequestId?: string;
  scheduleId?: string;
  /** The role assignment in force (fallback: always; PIM: once found). */
  roleAssignmentId?: string;
}

export interface LevelRaise {
  id: string;
  agentId: string;
  /** The agent's UAMI principal id: who the grants are for. */
  principalId: string;
  resourceGroupIds: string[];
  targetLevel: PermissionLevel;
  durationMinutes: number;
  justification: string;
  requestedBy: RaiseRequester;
  /** The incident or trigger the agent named, e.g. INC-1042. */
  triggerRef: string | null;
  state: RaiseState;
  mode: RaiseMode | null;
  modeReason: string | null;
  approvals: RaiseApproval[];
  grants: RaiseGrant[];
  createdAt: string;
  /** A raise nobody approved by then expires. */
  pendingUntil: string;
  startsAt: string | null;
  endsAt: string | null;
  endReason: EndReason | null;
  endedAt: string | null;
  /** When Elevate read ARM after the end and found none of the grants left. */
  verifiedAt: string | null;
  revokeAttempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  /** Optimistic concurrency: bumped on every write. */
  version: number;
}

export const OPEN_STATES: readonly RaiseState[] = ['pending', 'granting', 'active', 'revoking'];

/** A refusal the caller can act on: the message is one line, fit for a 400 page or an API error. */
export class RaiseInputError extends Error {
  override name = 'RaiseInputError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class RaiseNotFoundError extends Error {
  override name = 'RaiseNotFoundError';
}

/** The raise is not in a state that allows this (e.g. approving an ended raise). */
export class RaiseConflictError extends Error {
  override name = 'RaiseConflictError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The store's answer to a write that lost the raise to another (its version moved on): nothing was written. */
export const isConcurrentChange = (err: unknown): err is RaiseConflictError => err instanceof RaiseConflictError && err.code === 'concurrent_change';
