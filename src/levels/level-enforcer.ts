import type { AuditActor } from '../audit/audit-types.ts';
import type { Agent } from '../agents/agent-types.ts';
import type { AgentRegistry } from '../agents/agent-registry.ts';
import { parseResourceGroupId } from '../agents/resource-group-id.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { AsyncMutex } from '../store/async-mutex.ts';
import { applyPlan, type ApplyItem, type ApplyReport, type AuditAppender } from './apply-plan.ts';
import type { AssignmentReader } from './arm-assignment-reader.ts';
import type { AssignmentWriter } from './arm-assignment-writer.ts';
import type { ProviderOperation } from './candidate-operations.ts';
import type { InventoryProgress, InventoryService } from './inventory-service.ts';
import type { Plan, ResourceGroupInventory } from './level-types.ts';
import { planAssignments } from './plan-assignments.ts';
import { planDigest } from './plan-digest.ts';
import type { HeldByRaise } from './plan-core.ts';

export interface LevelEnforcerDeps {
  registry: Pick<AgentRegistry, 'get' | 'list' | 'releasedResourceGroups' | 'forgetReleasedResourceGroups'>;
  inventory: InventoryService;
  reader: AssignmentReader;
  writer: AssignmentWriter;
  policies: Pick<Policies, 'levels'>;
  catalog: readonly RoleDefinition[];
  audit: AuditAppender;
  providerOperations?: readonly ProviderOperation[];
  /** Told the principal whose roles an apply touched: the operations permission cache's invalidate. */
  onRolesChanged?: (principalId: string) => void;
  /** Assignments time-bound raises hold for an agent now: planned as expected, not drift. */
  heldByRaises?: (agentId: string) => Promise<HeldByRaise[]>;
}

export interface AgentPlan {
  plan: Plan;
  inventory: ResourceGroupInventory[];
  /** Groups removed from the agent that were looked at for leftover Elevate assignments. */
  releasedResourceGroups: string[];
}

export interface PlanOptions {
  refreshInventory?: boolean;
  onInventoryProgress?: (p: InventoryProgress) => void;
}

export interface ApplyRunOptions extends PlanOptions {
  actor: AuditActor;
  removeDrift?: boolean;
  /**
   * The digest (planDigest) of the plan the administrator approved. When given and the fresh
   * plan's differs, nothing is applied: an approval covers only what was shown.
   */
  expectedDigest?: string;
  /** Shown the plan when it changes something; resolving false stops before any write. */
  confirm?: (plan: AgentPlan) => Promise<boolean>;
  onProgress?: (done: number, total: number, item: ApplyItem) => void;
}

export interface ApplyRun {
  planned: AgentPlan;
  /** Absent when the plan changed nothing, confirmation was refused or the plan changed since it was approved. */
  report?: ApplyReport;
  confirmed: boolean;
  /** Set when `expectedDigest` did not match the fresh plan (`planned`); nothing was applied. */
  planChanged?: true;
}

export interface LevelEnforcer {
  plan(agentRef: string, options?: PlanOptions): Promise<AgentPlan>;
  apply(agentRef: string, options: ApplyRunOptions): Promise<ApplyRun>;
}

/**
 * Plan and apply for one agent: inventory of its groups, the role assignments ARM reports for
 * its UAMI in the subscriptions concerned, the pure planner, then the writes. Applies of the same
 * agent run one at a time so two admins cannot interleave half-plans.
 */
export function createLevelEnforcer(deps: LevelEnforcerDeps): LevelEnforcer {
  const locks = new Map<string, AsyncMutex>();
  const lockFor = (agentId: string) => {
    let m = locks.get(agentId);
    if (!m) locks.set(agentId, (m = new AsyncMutex()));
    return m;
  };
  const knownRoles = new Set(deps.catalog.map((r) => r.name.toLowerCase()));

  async function planFor(agent: Agent, options: PlanOptions = {}): Promise<AgentPlan> {
    const released = await deps.registry.releasedResourceGroups(agent.id);
    const inventory = await deps.inventory.get(agent.resourceGroupIds, {
      ...(options.refreshInventory ? { refresh: true } : {}),
      ...(options.onInventoryProgress ? { onProgress: options.onInventoryProgress } : {}),
    });
    const subscriptions = [...new Set([...agent.resourceGroupIds, ...released].map((id) => parseResourceGroupId(id).subscriptionId))].sort();
    const actual = subscriptions.length === 0 ? { assignments: [], groupIds: [], hierarchy: {}, extraRoles: [] } : await deps.reader.read(agent.uamiPrincipalId, subscriptions, knownRoles);
    const heldByRaises = deps.heldByRaises ? await deps.heldByRaises(agent.id) : [];
    const plan = planAssignments({
      agent: { id: agent.id, name: agent.name, uamiPrincipalId: agent.uamiPrincipalId, level: agent.level, resourceGroupIds: agent.resourceGroupIds },
      inventory,
      policies: deps.policies,
      catalog: deps.catalog,
      actual,
      ...(deps.providerOperations ? { providerOperations: deps.providerOperations } : {}),
      ...(heldByRaises.length > 0 ? { heldByRaises } : {}),
    });
    return { plan, inventory: [...inventory.values()], releasedResourceGroups: released };
  }

  return {
    async plan(agentRef, options) {
      return planFor(await deps.registry.get(agentRef), options);
    },

    async apply(agentRef, options) {
      const agent = await deps.registry.get(agentRef);
      return lockFor(agent.id).runExclusive(async () => {
        const planned = await planFor(agent, options);
        const { plan } = planned;
        // Checked before anything else, the "nothing to change" bookkeeping included: a stale approval changes nothing.
        if (options.expectedDigest !== undefined) {
          const digest = planDigest(plan);
          if (digest !== options.expectedDigest) {
            await deps.audit.append({
              actor: options.actor,
              eventType: 'level.apply-refused',
              subject: agent.id,
              agentId: agent.id,
              outcome: 'refused',
              details: {
                code: 'plan_changed',
                message: 'the plan changed since it was shown; nothing was applied',
                expectedDigest: options.expectedDigest,
                currentDigest: digest,
                removeDrift: options.removeDrift === true,
              },
            });
            return { planned, confirmed: false, planChanged: true };
          }
        }
        const driftToRemove = options.removeDrift ? plan.drift.length : 0;
        if (plan.toCreate.length === 0 && plan.toDelete.length === 0 && driftToRemove === 0) {
          await forgetCleanReleased(planned, []);
          return { planned, confirmed: true };
        }
        if (options.confirm && !(await options.confirm(planned))) return { planned, confirmed: false };
        const report = await applyPlan(plan, {
          writer: deps.writer,
          audit: deps.audit,
          actor: options.actor,
          ...(options.removeDrift ? { removeDrift: true } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        });
        if (report.items.some((i) => i.status !== 'not-attempted' && i.status !== 'skipped')) deps.onRolesChanged?.(agent.uamiPrincipalId);
        await forgetCleanReleased(planned, report.items);
        return { planned, report, confirmed: true };
      });
    },
  };

  /** A released group is forgotten once none of Elevate's assignments there is left (or failed to go). */
  async function forgetCleanReleased(planned: AgentPlan, items: ApplyItem[]): Promise<void> {
    const clean = planned.releasedResourceGroups.filter((rg) => {
      const prefix = rg.toLowerCase();
      const inGroup = (scope: string) => scope.toLowerCase() === prefix || scope.toLowerCase().startsWith(`${prefix}/`);
      return !items.some((i) => inGroup(i.scope) && (i.status === 'failed' || i.status === 'not-attempted'));
    });
    if (clean.length > 0) await deps.registry.forgetReleasedResourceGroups(planned.plan.agent.id, clean);
  }
}
