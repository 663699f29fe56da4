import { randomUUID } from 'node:crypto';
import { loadBuiltinCatalog, type RoleCatalog } from '../../rbac/role-catalog.ts';
import { ALL_PRINCIPALS_ID, createEvaluator } from '../../rbac/rbac-evaluator.ts';
import type { AuthorizationState, DenyAssignment, Evaluator, RoleDefinition } from '../../rbac/rbac-types.ts';
import type { SandboxSeed, SeedResource } from '../seed/seed-schema.ts';
import type { Directory, PrincipalType } from './directory.ts';
import { PimState } from './pim-state.ts';
import { SandboxClock } from './sandbox-clock.ts';

/**
 * ARM's state in the sandbox: management groups, subscriptions, resource groups, resources, role
 * definitions (Elevate's built-in catalog), role and deny assignments. In memory, seeded at start;
 * every change takes effect for the next request, as the real control plane's eventual
 * consistency cannot be relied on anyway.
 */

export interface ManagementGroupRecord {
  id: string;
  displayName: string;
  /** undefined for the tenant root group */
  parentId: string | undefined;
  subscriptionIds: string[];
}

export interface SubscriptionRecord {
  subscriptionId: string;
  displayName: string;
  /** nearest first, tenant root group last */
  managementGroupChain: string[];
}

export interface ResourceGroupRecord {
  id: string;
  name: string;
  subscriptionId: string;
  location: string;
  tags: Record<string, string>;
}

export interface ArmResourceRecord {
  id: string;
  name: string;
  type: string;
  location: string;
  kind?: string;
  sku?: Record<string, unknown>;
  tags?: Record<string, string>;
  properties: Record<string, unknown>;
  subscriptionId: string;
  resourceGroup: string;
  /** set for child resources (revisions, agent pools): the parent's id */
  parentId?: string;
  /** virtual machines only */
  powerState?: 'running' | 'stopped' | 'deallocated';
  /** managed identities attached to the resource (ARM's `identity` block) */
  identity?: Record<string, unknown>;
}

export interface RoleAssignmentRecord {
  id: string;
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: PrincipalType;
  description: string | null;
  condition: string | null;
  conditionVersion: string | null;
  createdOn: string;
  updatedOn: string;
  createdBy: string | null;
  updatedBy: string | null;
  /** Set on an assignment a PIM schedule made: the schedule's name (it ends with the schedule). */
  scheduleName?: string;
}

export interface DenyAssignmentRecord extends DenyAssignment {
  description: string;
}

const SEEDED_AT = '2025-01-06T10:00:00.0000000Z';

export const roleDefinitionsPath = '/providers/Microsoft.Authorization/roleDefinitions';

export class ArmState {
  readonly tenantId: string;
  readonly managementGroups: ManagementGroupRecord[];
  readonly subscriptions: SubscriptionRecord[];
  readonly resourceGroups: ResourceGroupRecord[];
  private readonly resources = new Map<string, ArmResourceRecord>();
  private readonly assignments = new Map<string, RoleAssignmentRecord>();
  readonly denyAssignments: DenyAssignmentRecord[];
  readonly catalog: RoleCatalog;
  private evaluator: Evaluator | undefined;
  /** "Now" for schedules: time-bound assignments start and end on this clock. */
  readonly clock = new SandboxClock();
  readonly pim = new PimState();

  constructor(seed: SandboxSeed, private readonly directory: Directory, catalog: RoleCatalog = loadBuiltinCatalog()) {
    this.tenantId = seed.tenant.id;
    this.catalog = catalog;
    const subIdByKey = new Map(seed.subscriptions.map((s) => [s.key, s.subscriptionId]));
    this.managementGroups = [
      { id: seed.tenant.id, displayName: 'Tenant Root Group', parentId: undefined, subscriptionIds: [] },
      ...seed.managementGroups.map((mg) => ({
        id: mg.id,
        displayName: mg.displayName,
        parentId: seed.tenant.id,
        subscriptionIds: mg.subscriptions.map((k) => subIdByKey.get(k)!),
      })),
    ];
    this.subscriptions = seed.subscriptions.map((s) => {
      const mg = this.managementGroups.find((m) => m.subscriptionIds.includes(s.subscriptionId));
      return {
        subscriptionId: s.subscriptionId,
        displayName: s.displayName,
        managementGroupChain: mg ? [mg.id, seed.tenant.id] : [seed.tenant.id],
      };
    });
    this.resourceGroups = seed.resourceGroups.map((rg) => {
      const sub = subIdByKey.get(rg.subscription)!;
      return { id: `/subscriptions/${sub}/resourceGroups/${rg.name}`, name: rg.name, subscriptionId: sub, location: rg.location, tags: rg.tags ?? {} };
    });
    for (const rg of seed.resourceGroups) {
      const group = this.resourceGroup(subIdByKey.get(rg.subscription)!, rg.name)!;
      for (const r of rg.resources) this.addSeedResource(group, r);
    }
    for (const mi of directory.managedIdentities) {
      const rgName = mi.resourceId.split('/')[4]!;
      const group = this.resourceGroup(mi.resourceId.split('/')[2]!, rgName)!;
      this.resources.set(mi.resourceId.toLowerCase(), {
        id: mi.resourceId,
        name: mi.name,
        type: 'Microsoft.ManagedIdentity/userAssignedIdentities',
        location: group.location,
        properties: { tenantId: seed.tenant.id, principalId: mi.principalId, clientId: mi.clientId },
        subscriptionId: group.subscriptionId,
        resourceGroup: group.name,
      });
    }
    for (const ra of seed.roleAssignments) {
      const role = catalog.byName(ra.role);
      if (!role) throw new Error(`sandbox seed: roleAssignments.${ra.name}: role ${JSON.stringify(ra.role)} is not in the role catalog`);
      const principalId = directory.principalIdOf(ra.principal);
      this.putAssignment({
        id: `${ra.scope}/providers/Microsoft.Authorization/roleAssignments/${ra.name}`,
        name: ra.name,
        scope: ra.scope,
        roleDefinitionId: this.roleDefinitionIdAt(ra.scope, role.name),
        principalId,
        principalType: directory.principal(principalId)!.type,
        description: ra.description ?? null,
        condition: null,
        conditionVersion: null,
        createdOn: SEEDED_AT,
        updatedOn: SEEDED_AT,
        createdBy: null,
        updatedBy: null,
      });
    }
    const principalOf = (ref: string) => {
      const id = directory.principalIdOf(ref);
      return { id, type: directory.principal(id)!.type };
    };
    this.denyAssignments = seed.denyAssignments.map((d) => ({
      id: `${d.scope}/providers/Microsoft.Authorization/denyAssignments/${d.name}`,
      denyAssignmentName: d.denyAssignmentName,
      description: d.description ?? '',
      scope: d.scope,
      permissions: [{ actions: d.actions, notActions: d.notActions, dataActions: [], notDataActions: [] }],
      // ARM names everyone as the all-zero id of type SystemDefined
      principals: d.principals.map((p) => (p === 'everyone' ? { id: ALL_PRINCIPALS_ID, type: 'SystemDefined' } : principalOf(p))),
      excludePrincipals: d.excludePrincipals.map(principalOf),
      doNotApplyToChildScopes: d.doNotApplyToChildScopes,
      isSystemProtected: d.isSystemProtected,
    }));
  }

  private addSeedResource(group: ResourceGroupRecord, r: SeedResource): void {
    const id = `${group.id}/providers/${r.type}/${r.name}`;
    const record: ArmResourceRecord = {
      id,
      name: r.name,
      type: r.type,
      location: r.location ?? group.location,
      properties: structuredClone(r.properties),
      subscriptionId: group.subscriptionId,
      resourceGroup: group.name,
    };
    if (r.kind) record.kind = r.kind;
    if (r.sku) record.sku = structuredClone(r.sku);
    if (r.tags) record.tags = { ...r.tags };
    if (r.powerState) record.powerState = r.powerState;
    else if (r.type.toLowerCase() === 'microsoft.compute/virtualmachines') record.powerState = 'running';
    this.resources.set(id.toLowerCase(), record);
    for (const c of r.children) {
      const childId = `${id}/${c.type}/${c.name}`;
      this.resources.set(childId.toLowerCase(), {
        id: childId,
        name: c.name,
        type: `${r.type}/${c.type}`,
        location: record.location,
        properties: structuredClone(c.properties),
        subscriptionId: group.subscriptionId,
        resourceGroup: group.name,
        parentId: id,
      });
    }
  }

  /** ARM spells role definition ids with the subscription when read at or under one. */
  roleDefinitionIdAt(scope: string, guid: string): string {
    const m = /^\/subscriptions\/([^/]+)/i.exec(scope);
    return m ? `/subscriptions/${m[1]}${roleDefinitionsPath}/${guid}` : `${roleDefinitionsPath}/${guid}`;
  }

  subscription(id: string): SubscriptionRecord | undefined {
    const i = id.toLowerCase();
    return this.subscriptions.find((s) => s.subscriptionId === i);
  }

  managementGroup(id: string): ManagementGroupRecord | undefined {
    const i = id.toLowerCase();
    return this.managementGroups.find((m) => m.id.toLowerCase() === i);
  }

  resourceGroup(subscriptionId: string, name: string): ResourceGroupRecord | undefined {
    const s = subscriptionId.toLowerCase();
    const n = name.toLowerCase();
    return this.resourceGroups.find((g) => g.subscriptionId === s && g.name.toLowerCase() === n);
  }

  /** Creates or replaces a resource (PUT); its id is the key, case-insensitively, as ARM's are. */
  putResource(r: ArmResourceRecord): void {
    this.resources.set(r.id.replace(/\/+$/, '').toLowerCase(), r);
  }

  resource(id: string): ArmResourceRecord | undefined {
    return this.resources.get(id.replace(/\/+$/, '').toLowerCase());
  }

  /** Top-level resources of a resource group (children such as revisions are not listed, as in ARM). */
  resourcesIn(group: ResourceGroupRecord): ArmResourceRecord[] {
    const prefix = `${group.id.toLowerCase()}/providers/`;
    return [...this.resources.entries()].filter(([k, r]) => k.startsWith(prefix) && !r.parentId).map(([, r]) => r);
  }

  /** Children of `parentId` of the given child type (e.g. `revisions`). */
  childrenOf(parentId: string, childType: string): ArmResourceRecord[] {
    const prefix = `${parentId.toLowerCase()}/${childType.toLowerCase()}/`;
    return [...this.resources.entries()].filter(([k, r]) => k.startsWith(prefix) && r.parentId?.toLowerCase() === parentId.toLowerCase()).map(([, r]) => r);
  }

  roleDefinition(guidOrId: string): RoleDefinition | undefined {
    return this.catalog.byId(guidOrId);
  }

  allAssignments(): RoleAssignmentRecord[] {
    this.syncSchedules();
    return [...this.assignments.values()];
  }

  assignment(id: string): RoleAssignmentRecord | undefined {
    this.syncSchedules();
    return this.assignments.get(id.toLowerCase());
  }

  /**
   * Brings the assignments PIM schedules make in line with the sandbox clock: a schedule whose
   * start has come gets its role assignment, one whose end has passed loses it (Azure removes an
   * expired time-bound assignment on its own, whatever happens to whoever asked for it).
   * https://learn.microsoft.com/azure/role-based-access-control/role-assignments-portal#step-6-select-assignment-type
   */
  syncSchedules(): void {
    if (this.pim.schedules.size === 0) return;
    const now = this.clock.now().getTime();
    for (const s of this.pim.schedules.values()) {
      const ended = s.endDateTime !== null && Date.parse(s.endDateTime) <= now;
      if (s.status === 'Granted' && !ended && Date.parse(s.startDateTime) <= now) {
        const name = randomUUID();
        const role = this.catalog.byId(s.roleDefinitionId.slice(s.roleDefinitionId.lastIndexOf('/') + 1));
        const id = `${s.scope === '/' ? '' : s.scope}/providers/Microsoft.Authorization/roleAssignments/${name}`;
        const at = new Date(Math.max(now, Date.parse(s.startDateTime))).toISOString();
        this.putAssignment({
          id,
          name,
          scope: s.scope,
          roleDefinitionId: role ? this.roleDefinitionIdAt(s.scope, role.name) : s.roleDefinitionId,
          principalId: s.principalId,
          principalType: s.principalType as PrincipalType,
          description: null,
          condition: null,
          conditionVersion: null,
          createdOn: at,
          updatedOn: at,
          createdBy: null,
          updatedBy: null,
          scheduleName: s.name,
        });
        s.roleAssignmentId = id;
        s.status = 'Provisioned';
      }
      if ((s.status === 'Provisioned' || s.status === 'Granted') && ended) {
        if (s.roleAssignmentId) this.deleteAssignment(s.roleAssignmentId);
        s.status = 'Expired';
      }
    }
  }

  putAssignment(a: RoleAssignmentRecord): void {
    this.assignments.set(a.id.toLowerCase(), a);
    this.evaluator = undefined;
  }

  deleteAssignment(id: string): RoleAssignmentRecord | undefined {
    const a = this.assignments.get(id.toLowerCase());
    if (a) {
      this.assignments.delete(id.toLowerCase());
      this.evaluator = undefined;
    }
    return a;
  }

  /** subscription id -> management groups above it, nearest first. */
  hierarchy(): Record<string, string[]> {
    return Object.fromEntries(this.subscriptions.map((s) => [s.subscriptionId, s.managementGroupChain]));
  }

  authorizationState(): AuthorizationState {
    const groups: Record<string, string[]> = {};
    for (const g of this.directory.groups) for (const m of g.memberOids) groups[m] = [...(groups[m] ?? []), g.id];
    return {
      roles: [...this.catalog.roles],
      assignments: this.allAssignments().map((a) => ({
        id: a.id,
        name: a.name,
        scope: a.scope,
        roleDefinitionId: a.roleDefinitionId,
        principalId: a.principalId,
        principalType: a.principalType,
        description: a.description,
        condition: a.condition,
        conditionVersion: a.conditionVersion,
      })),
      denyAssignments: this.denyAssignments,
      groups,
      hierarchy: this.hierarchy(),
    };
  }

  /** The RBAC evaluator over the current state, rebuilt after any assignment change. */
  rbac(): Evaluator {
    this.syncSchedules();
    this.evaluator ??= createEvaluator(this.authorizationState(), { suggestionLimit: 0 });
    return this.evaluator;
  }
}
