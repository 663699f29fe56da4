import type { LevelArmClients } from '../levels/arm-level-clients.ts';
import { uuidV5 } from '../levels/assignment-name.ts';
import { RAISE_NAMESPACE } from './raise-roles.ts';
import type { RaiseGrant, RaiseMode } from './raise-types.ts';

/**
 * The raise's Azure edge, with Elevate's governance credential.
 *
 * PIM mode: one role assignment schedule request per grant, `AdminAssign` with an expiration, so
 * Azure itself removes the assignment at the end of the window whatever happens to Elevate;
 * `AdminRemove` (or `cancel` while not yet provisioned) to end it early.
 * https://learn.microsoft.com/rest/api/authorization/role-assignment-schedule-requests
 *
 * Fallback mode: a plain role assignment under the grant's deterministic name, which Elevate's
 * sweeper deletes at the end (retrying until it is gone).
 */

export interface GrantWindow {
  principalId: string;
  raiseId: string;
  startsAt: string;
  endsAt: string;
  justification: string;
}

/** PIM cannot be used here: no licence, or Elevate may not create schedule requests. */
export class PimUnavailableError extends Error {
  override name = 'PimUnavailableError';
}

/** Azure refused for good (a 4xx that retrying will not change). */
export class GrantRefusedError extends Error {
  override name = 'GrantRefusedError';
}

export interface RaiseGrantGateway {
  /** Makes one grant in `mode`; returns it with Azure's ids, `preexisting` when the assignment already existed. */
  grant(mode: RaiseMode, g: RaiseGrant, w: GrantWindow): Promise<RaiseGrant>;
  /** Ends a grant early (PIM: cancel or AdminRemove; fallback: delete by its name). Idempotent. */
  end(mode: RaiseMode, g: RaiseGrant, w: GrantWindow): Promise<void>;
  /** Role assignments of this principal, role and exact scope in force now. */
  assignmentsFor(principalId: string, g: Pick<RaiseGrant, 'roleGuid' | 'scope'>): Promise<string[]>;
  deleteAssignment(id: string): Promise<void>;
  /** Whether PIM can be used at a scope (lists schedule instances): undefined when yes, else why not. */
  pimProblem(scope: string, principalId: string): Promise<string | undefined>;
}

const subscriptionOf = (scope: string) => {
  const m = /^\/subscriptions\/([^/]+)/i.exec(scope);
  if (!m) throw new Error(`not under a subscription: ${scope}`);
  return m[1]!;
};
const relative = (path: string) => path.replace(/^\/+/, '');
const errorOf = (err: unknown) => {
  const e = (err ?? {}) as { statusCode?: unknown; code?: unknown; message?: unknown };
  return {
    status: typeof e.statusCode === 'number' ? e.statusCode : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    message: (typeof e.message === 'string' ? e.message : String(err)).split('\n')[0]!.slice(0, 300),
  };
};

/** Why PIM cannot serve, from Azure's answer; undefined when the error means something else. */
export function pimUnavailableReason(err: unknown): string | undefined {
  const { status, code } = errorOf(err);
  if (code === 'AadPremiumLicenseRequired') return 'the tenant has no Microsoft Entra ID P2 (or ID Governance) licence: Azure answered AadPremiumLicenseRequired';
  if (status === 403 || code === 'AuthorizationFailed') {
    return "Elevate's identity may not create role assignment schedule requests (Microsoft.Authorization/roleAssignmentScheduleRequests/write: User Access Administrator or Owner)";
  }
  return undefined;
}

function refusedOrRethrow(err: unknown, what: string): never {
  const { status, code, message } = errorOf(err);
  if (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429) throw new GrantRefusedError(`${what}: ${code ?? status}: ${message}`);
  throw err;
}

/** Schedule request statuses before provisioning: such a request is cancelled, not removed. */
const NOT_YET_PROVISIONED = new Set(['Accepted', 'PendingEvaluation', 'Granted', 'PendingApproval', 'PendingApprovalProvisioning', 'PendingScheduleCreation', 'PendingProvisioning', 'ScheduleCreated']);

export function createArmRaiseGrantGateway(clients: LevelArmClients): RaiseGrantGateway {
  const auth = (scope: string) => clients.authorization(subscriptionOf(scope));

  async function assignmentsFor(principalId: string, g: Pick<RaiseGrant, 'roleGuid' | 'scope'>): Promise<string[]> {
    const out: string[] = [];
    // principalId eq lists the principal's assignments at, above and below the scope; keep the exact ones.
    for await (const a of auth(g.scope).roleAssignments.listForScope(relative(g.scope), { filter: `principalId eq '${principalId}'` })) {
      const role = (a.roleDefinitionId ?? '').split('/').pop()?.toLowerCase();
      if (role === g.roleGuid.toLowerCase() && (a.scope ?? '').toLowerCase().replace(/\/+$/, '') === g.scope.toLowerCase().replace(/\/+$/, '') && a.id) out.push(a.id);
    }
    return out;
  }

  async function existingRequest(g: RaiseGrant): Promise<{ id?: string; status?: string; targetRoleAssignmentScheduleId?: string } | undefined> {
    try {
      return await auth(g.scope).roleAssignmentScheduleRequests.get(relative(g.scope), g.name);
    } catch (err) {
      const { status } = errorOf(err);
      if (status === 404) return undefined;
      if (pimUnavailableReason(err)) throw new PimUnavailableError(pimUnavailableReason(err));
      throw err;
    }
  }

  return {
    assignmentsFor,
    async grant(mode, g, w) {
      if (mode === 'fallback') {
        const id = `${g.scope}/providers/Microsoft.Authorization/roleAssignments/${g.name}`;
        try {
          await auth(g.scope).roleAssignments.create(relative(g.scope), g.name, {
            roleDefinitionId: g.roleDefinitionId,
            principalId: w.principalId,
            principalType: 'ServicePrincipal',
            // Not "Managed by Elevate": level apply leaves it alone, and once the window is over a leftover is drift.
            description: `Elevate time-bound raise ${w.raiseId} until ${w.endsAt}`,
          });
          return { ...g, status: 'granted', roleAssignmentId: id };
        } catch (err) {
          if (errorOf(err).code === 'RoleAssignmentExists') {
            // Ours from an interrupted attempt (same name), or someone else's: then it is not the raise's to remove.
            const ids = await assignmentsFor(w.principalId, g);
            return ids.some((x) => x.toLowerCase() === id.toLowerCase()) ? { ...g, status: 'granted', roleAssignmentId: id } : { ...g, status: 'preexisting' };
          }
          refusedOrRethrow(err, `role assignment ${g.roleName} at ${g.scope}`);
        }
      }
      // A request under this name from an interrupted attempt is adopted, never made twice.
      const found = await existingRequest(g);
      if (found) return { ...g, status: 'granted', scheduleRequestId: found.id!, ...(found.targetRoleAssignmentScheduleId ? { scheduleId: found.targetRoleAssignmentScheduleId } : {}) };
      try {
        const made = await auth(g.scope).roleAssignmentScheduleRequests.create(relative(g.scope), g.name, {
          principalId: w.principalId,
          roleDefinitionId: g.roleDefinitionId,
          requestType: 'AdminAssign',
          justification: `Elevate raise ${w.raiseId}: ${w.justification}`.slice(0, 500),
          scheduleInfo: { startDateTime: new Date(w.startsAt), expiration: { type: 'AfterDateTime', endDateTime: new Date(w.endsAt) } },
        });
        const ids = await assignmentsFor(w.principalId, g);
        return { ...g, status: 'granted', scheduleRequestId: made.id!, ...(made.targetRoleAssignmentScheduleId ? { scheduleId: made.targetRoleAssignmentScheduleId } : {}), ...(ids[0] ? { roleAssignmentId: ids[0] } : {}) };
      } catch (err) {
        const why = pimUnavailableReason(err);
        if (why) throw new PimUnavailableError(why);
        if (errorOf(err).code === 'RoleAssignmentExists') return { ...g, status: 'preexisting' };
        refusedOrRethrow(err, `schedule request for ${g.roleName} at ${g.scope}`);
      }
    },
    async end(mode, g, w) {
      if (g.status === 'preexisting') return;
      if (mode === 'fallback') {
        await this.deleteAssignment(`${g.scope}/providers/Microsoft.Authorization/roleAssignments/${g.name}`);
        return;
      }
      const found = await existingRequest(g);
      if (!found) return;
      if (found.status && NOT_YET_PROVISIONED.has(found.status)) {
        await auth(g.scope).roleAssignmentScheduleRequests.cancel(relative(g.scope), g.name);
        return;
      }
      try {
        await auth(g.scope).roleAssignmentScheduleRequests.create(relative(g.scope), uuidV5(`${g.name}|remove`, RAISE_NAMESPACE), {
          principalId: w.principalId,
          roleDefinitionId: g.roleDefinitionId,
          requestType: 'AdminRemove',
          justification: `Elevate raise ${w.raiseId} ended`,
        });
      } catch (err) {
        const { code, status } = errorOf(err);
        // Already gone (expired, removed by an earlier attempt): nothing to remove.
        if (code === 'RoleAssignmentDoesNotExist' || code === 'RoleAssignmentRequestExists' || status === 404) return;
        throw err;
      }
    },
    async deleteAssignment(id) {
      try {
        await auth(id).roleAssignments.deleteById(relative(id));
      } catch (err) {
        const { status, code } = errorOf(err);
        if (status === 404 || code === 'RoleAssignmentNotFound') return;
        throw err;
      }
    },
    async pimProblem(scope, principalId) {
      try {
        // Reading needs only */read; granting needs roleAssignmentScheduleRequests/write (User Access Administrator, Owner).
        const rg = /\/resourceGroups\/([^/]+)/i.exec(scope)?.[1];
        if (rg) {
          const blocks = [];
          for await (const p of auth(scope).permissions.listForResourceGroup(rg)) blocks.push(p);
          if (!permitsAction(blocks, 'Microsoft.Authorization/roleAssignmentScheduleRequests/write')) {
            return "Elevate's identity may not create role assignment schedule requests (Microsoft.Authorization/roleAssignmentScheduleRequests/write: User Access Administrator or Owner)";
          }
        }
        const it = auth(scope).roleAssignmentScheduleInstances.listForScope(relative(scope), { filter: `principalId eq '${principalId}'` });
        for await (const _ of it) break;
        return undefined;
      } catch (err) {
        return pimUnavailableReason(err) ?? `listing role assignment schedule instances failed: ${errorOf(err).code ?? errorOf(err).status ?? ''} ${errorOf(err).message}`.trim();
      }
    },
  };
}

/** Whether ARM permission blocks (actions minus notActions, per block) allow an action. */
export function permitsAction(blocks: Array<{ actions?: string[]; notActions?: string[] }>, action: string): boolean {
  const match = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 'i').test(action);
  return blocks.some((b) => (b.actions ?? []).some(match) && !(b.notActions ?? []).some(match));
}
