/**
 * Making a raise's grants in Azure (an approved raise, `granting` to `active`) and taking them back
 * (`revoking` to `ended`), for the approver's instance right after the approval and for the
 * sweeper resuming either after a crash or an outage. Both run inside the raise's lock of this
 * process; another instance may run them at once, which the version-checked writes and the
 * deterministic grant names (one Azure assignment per name) keep to one effect.
 */
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { Agent } from '../agents/agent-types.ts';
import type { InventoryService } from '../levels/inventory-service.ts';
import type { Logger } from '../observability/logger.ts';
import { desiredRolesFor } from '../policies/desired-roles.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { GrantRefusedError, PimUnavailableError, type RaiseGrantGateway } from './arm-raise-grants.ts';
import { grantsFacts, SYSTEM_ACTOR } from './raise-audit.ts';
import { createGrantRemoval, oneLine, windowOf } from './raise-grant-removal.ts';
import { raiseGrants } from './raise-roles.ts';
import { approvalInFlight, retryDelayMs } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import type { RaiseTransitions } from './raise-transition.ts';
import { RaiseConflictError, type LevelRaise, type RaiseMode } from './raise-types.ts';

export interface GrantRunDeps {
  store: RaiseStore;
  agents: { get(ref: string): Promise<Agent> };
  inventory: Pick<InventoryService, 'get'>;
  policies: Pick<Policies, 'levels'>;
  catalog: readonly RoleDefinition[];
  gateway: RaiseGrantGateway;
  audit: AuditAppender;
  clock: () => Date;
  onRolesChanged?: ((principalId: string) => void) | undefined;
  logger?: Logger | undefined;
  step: RaiseTransitions['step'];
  /** Told which mode a grant used, and why (what doctor and the raise page show). */
  observeMode: (o: { mode: RaiseMode; reason: string; at: string }) => void;
}

const PIM_REASON = 'PIM for Azure resources is available: Azure ends the assignments at the end of the window';

export function createGrantRuns(deps: GrantRunDeps) {
  const { removeGrant, takeBackLateGrant } = createGrantRemoval(deps);
  const step = deps.step;
  const now = () => deps.clock();
  const iso = () => now().toISOString();
  const catalogByName = new Map<string, RoleDefinition>();
  for (const r of deps.catalog) if (!catalogByName.has(r.roleName.toLowerCase())) catalogByName.set(r.roleName.toLowerCase(), r);

  async function runGrant(start: LevelRaise): Promise<LevelRaise> {
    // No audit entry, no action: an approval not yet on record grants nothing (raise-decisions.ts).
    if (approvalInFlight(start)) throw new RaiseConflictError('approval_in_flight', 'the approval of this raise is not on the audit record yet; nothing is granted');
    let r = start;
    if (r.endsAt && Date.parse(r.endsAt) <= now().getTime()) return runRevoke(await step(r, { type: 'end', reason: 'expired', at: iso() }, 'level-raise.ended', SYSTEM_ACTOR, { reason: 'expired' }));
    if (r.grants.length === 0) {
      const agent = await deps.agents.get(r.agentId);
      const inventory = await deps.inventory.get(r.resourceGroupIds);
      const { grants, unknownScopes } = raiseGrants({
        raiseId: r.id,
        agent,
        resourceGroupIds: r.resourceGroupIds,
        targetLevel: r.targetLevel,
        inventory,
        desiredRoles: (level, types) => desiredRolesFor(level, types, deps.policies),
        roleByName: (name) => catalogByName.get(name.toLowerCase()),
      });
      // Without the groups' resource types the grants are unknown: try again on the next sweep.
      if (unknownScopes.length > 0) throw new Error(`resource types unknown in ${unknownScopes.join(', ')}; the grant is retried`);
      r = await deps.store.update({ ...r, grants });
    }
    if (!r.mode) r = await deps.store.update({ ...r, mode: 'pim', modeReason: PIM_REASON });
    const grants = r.grants.map((g) => ({ ...g }));
    for (let i = 0; i < grants.length; i++) {
      if (grants[i]!.status !== 'planned') continue;
      try {
        grants[i] = await deps.gateway.grant(r.mode!, grants[i]!, windowOf(r));
      } catch (err) {
        if (err instanceof PimUnavailableError && r.mode === 'pim' && !grants.some((g) => g.status === 'granted')) {
          // Nothing was made through PIM: the whole raise falls back to plain assignments Elevate revokes.
          deps.observeMode({ mode: 'fallback', reason: err.message, at: iso() });
          deps.logger?.warn({ raise: r.id, reason: err.message }, 'PIM unavailable: the raise uses plain role assignments with a revoke schedule');
          r = await deps.store.update({ ...r, mode: 'fallback', modeReason: err.message, grants });
          i--;
          continue;
        }
        if (err instanceof GrantRefusedError || err instanceof PimUnavailableError) {
          deps.logger?.warn({ raise: r.id, reason: err.message }, 'level raise: Azure refused a grant; removing what was made');
          const failed = await step(r, { type: 'grant-failed', mode: r.mode, modeReason: r.modeReason, grants, error: err.message, at: iso() }, 'level-raise.grant-failed', SYSTEM_ACTOR, {
            error: err.message,
            grants: grantsFacts(grants),
          });
          return runRevoke(failed);
        }
        await deps.store.update({ ...r, grants, lastError: oneLine(err) }).catch(() => undefined);
        throw err;
      }
      try {
        r = await deps.store.update({ ...r, grants });
      } catch (err) {
        // Another instance may have ended the raise while this grant was on its way to Azure.
        if (err instanceof RaiseConflictError) await takeBackLateGrant(r, grants[i]!);
        throw err;
      }
    }
    if (r.mode === 'pim') deps.observeMode({ mode: 'pim', reason: PIM_REASON, at: iso() });
    const granted = await step(r, { type: 'granted', mode: r.mode!, modeReason: r.modeReason ?? '', grants, at: iso() }, 'level-raise.granted', SYSTEM_ACTOR, {
      grants: grantsFacts(grants),
      modeReason: r.modeReason,
    });
    deps.onRolesChanged?.(r.principalId);
    return granted;
  }

  async function runRevoke(start: LevelRaise): Promise<LevelRaise> {
    const r = start;
    const early = r.endsAt !== null && Date.parse(r.endsAt) > now().getTime();
    const grants = r.grants.map((g) => ({ ...g }));
    const problems: string[] = [];
    for (const g of grants) {
      if (g.status === 'preexisting' || g.status === 'removed') continue;
      const problem = await removeGrant(r, g, early);
      if (problem !== undefined) problems.push(problem);
      else g.status = 'removed';
    }
    deps.onRolesChanged?.(r.principalId);
    if (problems.length > 0) {
      const error = problems.join('; ').slice(0, 1000);
      const retryAt = new Date(now().getTime() + retryDelayMs(r.revokeAttempts)).toISOString();
      deps.logger?.warn({ raise: r.id, attempts: r.revokeAttempts + 1, error }, 'level raise: revoke incomplete; retried');
      return step(r, { type: 'revoke-failed', grants, error, retryAt }, 'level-raise.revoke-failed', SYSTEM_ACTOR, { error, retryAt, grants: grantsFacts(grants) }).catch((err: unknown) => {
        deps.logger?.error({ raise: r.id, reason: oneLine(err) }, 'level raise: could not record a failed revoke');
        return r;
      });
    }
    return step(r, { type: 'verified-gone', grants, at: iso() }, 'level-raise.verified-gone', SYSTEM_ACTOR, { grants: grantsFacts(grants), endReason: r.endReason });
  }

  return { runGrant, runRevoke };
}

export type GrantRuns = ReturnType<typeof createGrantRuns>;
