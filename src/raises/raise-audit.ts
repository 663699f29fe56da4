import type { AuditActor, AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { LevelRaise, RaiseGrant } from './raise-types.ts';

/**
 * The raise's story in the audit log: requested, approved (each approval), denied, expired,
 * granted (with Azure's schedule request and role assignment ids), ended and why, revoke failures,
 * verified gone; refused (a request beside an open raise, or a decision that lost the raise to
 * another or found one being recorded: `changed_concurrently`); cancelled, or a grant failed, when
 * an approval never reached the record. Each entry is appended only by whoever won the raise's
 * change (raise-transition.ts). Every entry carries the raise id as subject and requestId, so one
 * filter shows the window.
 */

export const SYSTEM_ACTOR: AuditActor = { kind: 'system', id: 'elevate', name: 'level raise sweeper' };

function grantFacts(g: RaiseGrant): JsonObject {
  return {
    role: g.roleName,
    scope: g.scope,
    status: g.status,
    scheduleRequestId: g.scheduleRequestId ?? null,
    scheduleId: g.scheduleId ?? null,
    roleAssignmentId: g.roleAssignmentId ?? null,
  };
}

export function raiseEntry(eventType: string, raise: LevelRaise, actor: AuditActor, extra: JsonObject = {}, outcome?: string): AuditInput {
  return {
    actor,
    eventType,
    subject: raise.id,
    agentId: raise.agentId,
    requestId: raise.id,
    scope: raise.resourceGroupIds[0] ?? null,
    outcome: outcome ?? raise.state,
    details: {
      raiseId: raise.id,
      targetLevel: raise.targetLevel,
      resourceGroupIds: raise.resourceGroupIds,
      durationMinutes: raise.durationMinutes,
      window: { startsAt: raise.startsAt, endsAt: raise.endsAt },
      mode: raise.mode,
      ...(raise.triggerRef ? { triggerRef: raise.triggerRef } : {}),
      ...extra,
    },
  };
}

export function grantsFacts(grants: readonly RaiseGrant[]): JsonObject[] {
  return grants.map(grantFacts);
}
