/**
 * Whose permissions an entry's action used, read from the entry alone (pure). One definition for
 * the timeline, the overview and the acting-identity search, so the three never disagree.
 *
 * What the log holds in `acting_identity`:
 * - `agent:<agent id>`: the agent's own managed identity (direct executions, consented writes);
 * - the approver's object id, on entries whose actor is that approver: their on-behalf-of token
 *   was used (an elevation);
 * - `elevate-governance`: Elevate's own identity (level enforcement writing role assignments);
 * - before migration 011 a managed-identity execution recorded the UAMI's principal id instead of
 *   `agent:<id>`. The hash chain forbids rewriting those entries, so they are read here. Every
 *   execution entry names who triggered it as the actor: the agent (a direct execution), the
 *   administrator who consented (the agent's identity ran), or the approver whose own token ran
 *   (an elevation, where the acting identity is that approver's object id). So on an execution
 *   entry, a recorded id that is neither `agent:…` nor the acting user's own object id, under an
 *   agent or another user, was the agent's managed identity.
 */

export const MANAGED_IDENTITY_PREFIX = 'agent:';
export const GOVERNANCE_IDENTITY = 'elevate-governance';

/** The entries an execution writes, the only ones that ever carried a UAMI principal id. */
export const EXECUTION_EVENT_TYPES = ['operation.transition', 'arm.request', 'arm.response'] as const;

export type ActingKind = 'managed-identity' | 'obo' | 'elevate';

export const ACTING_KIND_LABELS: Record<ActingKind, string> = {
  'managed-identity': 'managed identity',
  obo: 'OBO',
  elevate: "Elevate's own identity",
};

/** The entry's actor, as far as the reading needs it. */
export type ActorRelation = 'agent' | 'acting-user' | 'other-user' | 'other';

export interface ActingFacts {
  eventType: string;
  agentId: string | null;
  actingIdentity: string | null;
  /** An agent; the user whose object id is the acting identity; another user; anyone else. */
  actor: ActorRelation;
}

export interface ActingIdentity {
  kind: ActingKind;
  /** The identity as searched and shown: `agent:<id>` for a managed identity, old entries included. */
  id: string;
  /** What the entry recorded, when it differs from `id` (an old entry's UAMI principal id). */
  recorded?: string;
}

export function actorRelation(e: { actor: { kind: string; id: string }; actingIdentity: string | null }): ActorRelation {
  if (e.actor.kind === 'agent') return 'agent';
  if (e.actor.kind !== 'user') return 'other';
  return e.actingIdentity !== null && e.actingIdentity === e.actor.id ? 'acting-user' : 'other-user';
}

/** actorRelation in SQL over audit_log's columns (the overview groups by it). */
export const ACTOR_RELATION_SQL =
  "CASE WHEN actor_kind = 'agent' THEN 'agent' WHEN actor_kind <> 'user' THEN 'other' WHEN acting_identity = actor_id THEN 'acting-user' ELSE 'other-user' END";

const isExecutionEvent = (eventType: string) => (EXECUTION_EVENT_TYPES as readonly string[]).includes(eventType);

export function actingIdentityOf(f: ActingFacts): ActingIdentity | undefined {
  const raw = f.actingIdentity;
  if (raw === null || raw === '') return undefined;
  if (raw.startsWith(MANAGED_IDENTITY_PREFIX)) return { kind: 'managed-identity', id: raw };
  if (raw === GOVERNANCE_IDENTITY) return { kind: 'elevate', id: raw };
  if (isExecutionEvent(f.eventType) && f.agentId !== null && (f.actor === 'agent' || f.actor === 'other-user')) {
    return { kind: 'managed-identity', id: `${MANAGED_IDENTITY_PREFIX}${f.agentId}`, recorded: raw };
  }
  // The approver's own object id (or, never written by Elevate, an unexplained one: read as
  // before 011 read every value that was not `agent:`).
  return { kind: 'obo', id: raw };
}

/** The same for a whole entry. */
export const actingIdentityOfEntry = (e: {
  eventType: string;
  agentId: string | null;
  actingIdentity: string | null;
  actor: { kind: string; id: string };
}): ActingIdentity | undefined => actingIdentityOf({ eventType: e.eventType, agentId: e.agentId, actingIdentity: e.actingIdentity, actor: actorRelation(e) });
