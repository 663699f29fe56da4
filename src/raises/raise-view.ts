import type { LevelRaise } from './raise-types.ts';

/** A raise as the agent API, the CLI and the pages show it (no Azure ids for the agent). */
export function raiseView(r: LevelRaise, options: { azureIds?: boolean } = {}) {
  return {
    id: r.id,
    agentId: r.agentId,
    state: r.state,
    targetLevel: r.targetLevel,
    resourceGroupIds: r.resourceGroupIds,
    durationMinutes: r.durationMinutes,
    justification: r.justification,
    triggerRef: r.triggerRef,
    requestedBy: { kind: r.requestedBy.kind, name: r.requestedBy.name, onBehalfOf: r.requestedBy.onBehalfOf ?? null },
    mode: r.mode,
    modeReason: r.modeReason,
    createdAt: r.createdAt,
    pendingUntil: r.pendingUntil,
    window: { startsAt: r.startsAt, endsAt: r.endsAt },
    // An approval shows once it is on the audit record (RaiseApproval.recorded): until then it counts for nothing.
    approvals: r.approvals.filter((a) => a.recorded !== false).map((a) => ({ approver: a.approverName ?? a.approverId, at: a.at })),
    endReason: r.endReason,
    endedAt: r.endedAt,
    verifiedGoneAt: r.verifiedAt,
    grants: r.grants.map((g) => ({
      role: g.roleName,
      scope: g.scope,
      status: g.status,
      ...(options.azureIds ? { scheduleRequestId: g.scheduleRequestId ?? null, roleAssignmentId: g.roleAssignmentId ?? null } : {}),
    })),
    ...(options.azureIds ? { lastError: r.lastError, revokeAttempts: r.revokeAttempts } : {}),
  };
}

export type RaiseView = ReturnType<typeof raiseView>;
