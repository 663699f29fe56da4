/**
 * What was decided for a remembered decision query (issue 18): an agent polling
 * POST /api/v1/decisions with the same body gets the same decision object, not a new one built
 * by the whole pipeline, as long as nothing the decision was made from has changed.
 *
 * The pipeline (decision-pipeline.ts) is a pure function of
 *   - the validated input (the memo entry is keyed by the body's exact bytes: validated-input-memo.ts),
 *   - the agent (its run-mode ceiling, identity and groups),
 *   - the policies (loaded once at start; a new policy set is a new process),
 *   - the permission answer the cache gave for (principal, action, scope), and
 *   - the current resource, when a content rule reads it (an ARM read).
 * So a remembered decision is reused only when
 *   - the agent is the same object: the agent directory hands out a new object whenever it reads
 *     the agent again (at most every 2 s, caching-agent-directory.ts), so a changed or revoked
 *     agent takes effect within the directory's own bound, as before;
 *   - the permission cache answers the same question with the same answer object: its answers are
 *     frozen and kept per loaded assignment state, so a reload, an expiry or an invalidation
 *     (a level change) is a new object and the decision is made again;
 *   - no content rule read the current resource (that decision is never remembered).
 * Bound: one remembered decision per validated-memo entry, so the validated memo's bound and
 * eviction (DEFAULT_MEMO_ENTRIES, least recently used first) hold for both.
 *
 * The decision is deep-frozen when it is first shared, by the first call that reuses it
 * (sharedDecision): from then on every caller that gets it shares it, and the route may keep its
 * JSON text by identity (operations-routes.ts). Until then only the call that made it holds it,
 * and only reads it (the answer, the audit entry): freezing every decision when remembered cost
 * each distinct query a walk of the whole tree for a body that is, in the main, never asked again.
 */
import type { Decision } from '../rbac/rbac-types.ts';
import type { DecisionDeps } from './decision-pipeline.ts';
import type { Agent, OperationDecision } from './operation-types.ts';

/** The one permission question the pipeline asked, and the answer it got. */
export interface PermissionAsked {
  principalId: string;
  action: string;
  scope: string;
  answer: Decision;
}

export interface RememberedDecision {
  agent: Agent;
  /** Absent when the decision was settled before the permission was asked (a guardrail, a content rule, the run mode). */
  permission?: PermissionAsked | undefined;
  decision: OperationDecision;
  /** The decision query audit's key for it (decision-query-audit.ts). */
  queryKey: string;
}

/** What the pipeline consulted while deciding once: the basis for remembering the decision, or not. */
export interface Consulted {
  /** Each permission question, in order; a decision that asked more than one is not remembered. */
  permissions: PermissionAsked[];
  /** A content rule read the current resource from ARM. */
  readCurrentResource: boolean;
}

/** The pipeline's dependencies, with the permission check and the current-resource read recorded in `consulted`. */
export function observing(base: DecisionDeps, consulted: Consulted): DecisionDeps {
  const observed: DecisionDeps = {
    ...base,
    checkPermission: async (principalId, action, scope) => {
      const answer = await base.checkPermission(principalId, action, scope);
      consulted.permissions.push({ principalId, action, scope, answer });
      return answer;
    },
  };
  const read = base.readCurrentResource;
  if (read) {
    observed.readCurrentResource = (agent, path, apiVersion) => {
      consulted.readCurrentResource = true;
      return read(agent, path, apiVersion);
    };
  }
  return observed;
}

/** Whether a decision made with `consulted` may be remembered at all. */
export function rememberable(consulted: Consulted): boolean {
  return !consulted.readCurrentResource && consulted.permissions.length <= 1;
}

/**
 * Whether the remembered decision still holds for `agent`, given the permission cache's answer
 * now to the remembered question (`answer`, undefined when none was asked): the same agent
 * object, and the same answer object.
 */
export function stillHolds(remembered: RememberedDecision, agent: Agent, answer: Decision | undefined): boolean {
  if (remembered.agent !== agent) return false;
  return remembered.permission === undefined || remembered.permission.answer === answer;
}

/**
 * The remembered decision, deep-frozen before it is handed to a second holder. A frozen top level
 * means the whole tree is (freezeDeep freezes children first), so this walks it once.
 */
export function sharedDecision(remembered: RememberedDecision): RememberedDecision {
  if (!Object.isFrozen(remembered.decision)) freezeDeep(remembered.decision);
  return remembered;
}

/** Freezes the decision and everything in it, so no holder of the shared object can change it. Decisions are plain JSON-like trees. */
export function freezeDeep<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const key of Object.keys(value)) freezeDeep((value as Record<string, unknown>)[key]);
    Object.freeze(value);
  }
  return value;
}
