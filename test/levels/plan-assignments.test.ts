import { describe, expect, it } from 'vitest';
import { planAssignments, type ActualState } from '../../src/levels/plan-assignments.ts';
import { assignmentName } from '../../src/levels/assignment-name.ts';
import { DesiredRoleError } from '../../src/levels/desired-assignments.ts';
import { planChangesNothing, type Plan } from '../../src/levels/level-types.ts';
import type { Policies } from '../../src/policies/policies.ts';
import {
  agent,
  assignment,
  catalog,
  GROUP,
  INVENTORY,
  inv,
  policies,
  PRINCIPAL,
  providerOperations,
  readerBaseline,
  RG_APPS,
  RG_OTHER,
  RG_VMS,
  roleId,
  SUB,
  SUB2,
} from './level-fixtures.ts';

const none: ActualState = { assignments: [], groupIds: [], hierarchy: {} };
const actualOf = (assignments: ActualState['assignments'], extra: Partial<ActualState> = {}): ActualState => ({ assignments, groupIds: [], hierarchy: {}, ...extra });
const pairs = (list: Array<{ roleName: string; scope: string }>) => list.map((d) => `${d.roleName} @ ${d.scope}`).sort();
const deletes = (plan: Plan) => plan.toDelete.map((d) => `${d.roleName} @ ${d.assignment.scope}`).sort();

describe('planAssignments: desired roles', () => {
  it('gives a Reader-level agent exactly the preconfigured roles (its types need no reader role beyond Reader)', () => {
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual: none });
    expect(pairs(plan.toCreate)).toEqual(
      [
        `Log Analytics Reader @ ${RG_APPS}`,
        `Log Analytics Reader @ ${RG_VMS}`,
        `Monitoring Contributor @ /subscriptions/${SUB}`,
        `Monitoring Reader @ ${RG_APPS}`,
        `Monitoring Reader @ ${RG_VMS}`,
        `Reader @ ${RG_APPS}`,
        `Reader @ ${RG_VMS}`,
      ].sort(),
    );
    expect(plan.toDelete).toEqual([]);
    expect(plan.drift).toEqual([]);
    for (const d of plan.toCreate) {
      expect(d.principalId).toBe(PRINCIPAL);
      expect(d.name).toBe(assignmentName(PRINCIPAL, d.roleDefinitionGuid, d.scope));
      expect(d.roleDefinitionId).toBe(`/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${d.roleDefinitionGuid}`);
    }
  });

  it('adds the type reader role a Reader-level agent needs (Key Vault Reader, AKS RBAC Reader)', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [inv(RG_APPS, ['microsoft.keyvault/VAULTS', 'Microsoft.ContainerService/managedClusters'])],
      policies,
      catalog,
      actual: none,
    });
    const typeRoles = plan.toCreate.filter((d) => d.reason.kind === 'resource-type');
    expect(pairs(typeRoles)).toEqual([`Azure Kubernetes Service RBAC Reader @ ${RG_APPS}`, `Key Vault Reader @ ${RG_APPS}`]);
  });

  it('plans the contributor roles of each type on the right group at Privileged level', () => {
    const plan = planAssignments({ agent: agent('Privileged', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual: actualOf(readerBaseline()) });
    expect(pairs(plan.toCreate)).toEqual([
      `Container Apps Contributor @ ${RG_APPS}`,
      `Container Apps ManagedEnvironments Contributor @ ${RG_APPS}`,
      `Virtual Machine Contributor @ ${RG_VMS}`,
    ]);
    const vm = plan.toCreate.find((d) => d.roleName === 'Virtual Machine Contributor')!;
    // one assignment for both VM types, the reason naming both
    expect(vm.reason).toEqual({ kind: 'resource-type', resourceTypes: ['Microsoft.Compute/virtualMachines', 'Microsoft.Compute/virtualMachineScaleSets'] });
    expect(plan.toDelete).toEqual([]);
    expect(plan.inPlace).toHaveLength(7);
  });

  it('holds nothing with no resource group, and deletes every Elevate-made assignment', () => {
    const handMade = assignment('Reader', RG_APPS);
    const plan = planAssignments({ agent: agent('Reader', []), inventory: [], policies, catalog, actual: actualOf([...readerBaseline(), handMade]) });
    expect(plan.desired).toEqual([]);
    expect(plan.toCreate).toEqual([]);
    expect(plan.toDelete).toHaveLength(7);
    expect(plan.toDelete.every((d) => d.assignment.managed)).toBe(true);
    expect(plan.toDelete.map((d) => d.assignment.id)).not.toContain(handMade.id);
  });

  it('uses a subscription role once per subscription and one per subscription holding a group', () => {
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS, RG_OTHER]), inventory: [...INVENTORY, inv(RG_OTHER, [])], policies, catalog, actual: none });
    expect(plan.toCreate.filter((d) => d.scopeKind === 'subscription').map((d) => d.scope).sort()).toEqual([`/subscriptions/${SUB}`, `/subscriptions/${SUB2}`]);
  });
});

describe('planAssignments: diff', () => {
  it('changes nothing when ARM already holds what the level says (matching ignores casing)', () => {
    const shouty = readerBaseline().map((a) => ({ ...a, scope: a.scope.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/') }));
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual: actualOf(shouty) });
    expect(planChangesNothing(plan)).toBe(true);
    expect(plan.inPlace).toHaveLength(7);
  });

  it('switching back to Reader deletes the contributor assignments Elevate made, whole', () => {
    const actual = actualOf([
      ...readerBaseline(),
      assignment('Container Apps Contributor', RG_APPS, { managed: true }),
      assignment('Container Apps ManagedEnvironments Contributor', RG_APPS, { managed: true }),
      assignment('Virtual Machine Contributor', RG_VMS, { managed: true }),
    ]);
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual });
    expect(plan.toCreate).toEqual([]);
    expect(deletes(plan)).toEqual([
      `Container Apps Contributor @ ${RG_APPS}`,
      `Container Apps ManagedEnvironments Contributor @ ${RG_APPS}`,
      `Virtual Machine Contributor @ ${RG_VMS}`,
    ]);
    expect(plan.toDelete[0]!.reason).toMatch(/not needed at the Reader level/);
    expect(plan.drift).toEqual([]);
  });

  it('removing a group deletes every Elevate-made assignment there and keeps the subscription role while another group remains', () => {
    const actual = actualOf([...readerBaseline(), assignment('Virtual Machine Contributor', RG_VMS, { managed: true })]);
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS]), inventory: INVENTORY, policies, catalog, actual });
    expect(deletes(plan)).toEqual(
      [`Log Analytics Reader @ ${RG_VMS}`, `Monitoring Reader @ ${RG_VMS}`, `Reader @ ${RG_VMS}`, `Virtual Machine Contributor @ ${RG_VMS}`].sort(),
    );
    expect(plan.toDelete.every((d) => /no longer managed/.test(d.reason))).toBe(true);
    expect(plan.toCreate).toEqual([]);
  });

  it('never deletes what Elevate did not make, nor what was made for another principal', () => {
    const other = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
    const actual = actualOf([
      ...readerBaseline(),
      assignment('Virtual Machine Contributor', RG_VMS), // hand-made, to the UAMI
      assignment('Owner', RG_VMS, { managed: true, principalId: other }), // marked, but someone else's
    ]);
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual });
    expect(plan.toDelete).toEqual([]);
    expect(plan.drift.map((d) => d.roleName)).toEqual(['Virtual Machine Contributor']);
  });

  it('counts a hand-made assignment that matches a desired one as in place, with a note', () => {
    const actual = actualOf(readerBaseline().map((a) => (a.scope === RG_APPS && a.roleDefinitionId.endsWith(roleId('Reader')) ? { ...a, description: 'made by hand' } : a)));
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual });
    expect(planChangesNothing(plan)).toBe(true);
    expect(plan.notes.some((n) => n.scope === RG_APPS && /not made by Elevate/.test(n.message))).toBe(true);
  });

  it('does not accept a conditioned assignment as the desired one', () => {
    const conditioned = readerBaseline().map((a) =>
      a.scope === RG_APPS && a.roleDefinitionId.endsWith(roleId('Reader')) ? { ...a, condition: "@Resource[x] StringEquals 'y'", conditionVersion: '2.0' } : a,
    );
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual: actualOf(conditioned) });
    expect(pairs(plan.toCreate)).toEqual([`Reader @ ${RG_APPS}`]);
    expect(deletes(plan)).toEqual([`Reader @ ${RG_APPS}`]);
  });

  it('plans no deletion in a group whose inventory failed, but still its preconfigured roles', () => {
    const actual = actualOf([assignment('Virtual Machine Contributor', RG_VMS, { managed: true })]);
    const plan = planAssignments({
      agent: agent('Reader', [RG_VMS]),
      inventory: [inv(RG_VMS, [], 'AuthorizationFailed: no access')],
      policies,
      catalog,
      actual,
    });
    expect(plan.toDelete).toEqual([]);
    expect(pairs(plan.toCreate)).toEqual(
      [`Log Analytics Reader @ ${RG_VMS}`, `Monitoring Contributor @ /subscriptions/${SUB}`, `Monitoring Reader @ ${RG_VMS}`, `Reader @ ${RG_VMS}`].sort(),
    );
    expect(plan.notes.map((n) => n.message).join()).toMatch(/resource types unknown \(AuthorizationFailed/);
  });

  it('is deterministic: the same facts give the same plan', () => {
    const input = { agent: agent('Privileged', [RG_VMS, RG_APPS]), inventory: [...INVENTORY].reverse(), policies, catalog, actual: none };
    expect(planAssignments(input)).toEqual(planAssignments({ ...input, agent: agent('Privileged', [RG_APPS, RG_VMS]), inventory: INVENTORY }));
  });
});

describe('planAssignments: drift', () => {
  it('reports Contributor added by hand at the subscription with the write actions it adds; a Reader agent is effectively Privileged', () => {
    const contributor = assignment('Contributor', `/subscriptions/${SUB}`);
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS, RG_VMS]), inventory: INVENTORY, policies, catalog, actual: actualOf([...readerBaseline(), contributor]) });
    expect(plan.toDelete).toEqual([]);
    expect(plan.drift).toHaveLength(1);
    const f = plan.drift[0]!;
    expect(f.roleName).toBe('Contributor');
    expect(f.assignment.id).toBe(contributor.id);
    expect(f.affectedScopes).toEqual(expect.arrayContaining([RG_APPS, RG_VMS]));
    const ops = f.added.operations.map((o) => o.toLowerCase());
    expect(ops).toEqual(
      expect.arrayContaining(['microsoft.app/containerapps/write', 'microsoft.app/containerapps/delete', 'microsoft.compute/virtualmachines/write', 'microsoft.resources/subscriptions/resourcegroups/delete']),
    );
    // Contributor's NotActions hold: no role assignment writes
    expect(ops).not.toContain('microsoft.authorization/roleassignments/write');
    // reads were already granted by Reader: none reported
    expect(f.added.byKind.read).toBe(0);
    expect(f.added.byKind.write).toBeGreaterThan(0);
    expect(f.message).toMatch(/^Contributor at \/subscriptions\/.* not made by Elevate, adds \d+ operation/);
    expect(plan.effectiveLevel.exceeds).toBe(true);
    expect(plan.effectiveLevel.level).toBe('Privileged');
    expect(plan.effectiveLevel.message).toContain("Reader-level agent 'test-agent' is effectively Privileged");
    expect(plan.effectiveLevel.message).toContain(`Contributor at /subscriptions/${SUB}`);
    // Contributor also deletes whole groups, which not even the Privileged level allows
    expect(plan.effectiveLevel.message).toContain('more than even the Privileged level');
  });

  it('reports an assignment to a group the UAMI belongs to, inherited from a management group', () => {
    const mg = '/providers/Microsoft.Management/managementGroups/mg-root';
    const viaGroup = assignment('Virtual Machine Contributor', mg, { principalId: GROUP });
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS, RG_VMS]),
      inventory: INVENTORY,
      policies,
      catalog,
      actual: actualOf([...readerBaseline(), viaGroup], { groupIds: [GROUP], hierarchy: { [SUB]: ['mg-root'] } }),
    });
    expect(plan.drift).toHaveLength(1);
    expect(plan.drift[0]!.viaGroupId).toBe(GROUP);
    expect(plan.drift[0]!.affectedScopes).toContain(RG_VMS);
    expect(plan.drift[0]!.added.operations.map((o) => o.toLowerCase())).toContain('microsoft.compute/virtualmachines/write');
    expect(plan.effectiveLevel.level).toBe('Privileged');
    expect(plan.effectiveLevel.message).toContain(`Virtual Machine Contributor at ${mg} (via group ${GROUP})`);
  });

  it('says a Reader agent with a hand-made contributor role of its own types is Privileged, not beyond', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([assignment('Container Apps Contributor', RG_APPS)]),
    });
    expect(plan.effectiveLevel).toMatchObject({ level: 'Privileged', exceeds: true });
    expect(plan.effectiveLevel.message).not.toContain('more than even');
  });

  it('names more operations when the provider-operation list is given (restart, start, ...)', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_VMS]),
      inventory: [INVENTORY[1]!],
      policies,
      catalog,
      actual: actualOf([assignment('Contributor', `/subscriptions/${SUB}`)]),
      providerOperations,
    });
    const ops = plan.drift[0]!.added.operations.map((o) => o.toLowerCase());
    expect(ops).toEqual(expect.arrayContaining(['microsoft.compute/virtualmachines/restart/action', 'microsoft.compute/virtualmachines/start/action']));
    expect(plan.drift[0]!.added.byKind.action).toBeGreaterThan(5);
    expect(plan.drift[0]!.added.byNamespace['Microsoft.Compute'] ?? plan.drift[0]!.added.byNamespace['microsoft.compute']).toBeGreaterThan(10);
  });

  it('does not call an assignment that adds nothing drift (Reader at the subscription)', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS, RG_VMS]),
      inventory: INVENTORY,
      policies,
      catalog,
      actual: actualOf([...readerBaseline(), assignment('Reader', `/subscriptions/${SUB}`)]),
    });
    expect(plan.drift).toEqual([]);
    expect(plan.effectiveLevel.exceeds).toBe(false);
  });

  it('reports a Privileged agent holding Owner as beyond Privileged', () => {
    const plan = planAssignments({
      agent: agent('Privileged', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([assignment('Owner', RG_APPS)]),
    });
    expect(plan.drift[0]!.added.operations.map((o) => o.toLowerCase())).toContain('microsoft.authorization/roleassignments/write');
    expect(plan.effectiveLevel.level).toBe('beyond Privileged');
  });

  it('counts an ABAC-conditioned grant as met (errs towards reporting)', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([assignment('Container Apps Contributor', RG_APPS, { condition: "@Resource[Microsoft.App/containerApps:name] StringEquals 'x'" })]),
    });
    expect(plan.drift).toHaveLength(1);
    expect(plan.drift[0]!.message).toContain('ABAC condition');
  });
});

describe('planAssignments: drift on a resource inside a managed group', () => {
  // An assignment on a resource does not apply at its group, so it is measured where it sits.
  const app = `${RG_APPS}/providers/Microsoft.App/containerApps/web`;

  it('reports Owner on a container app of a Reader agent, at the app, and the agent is beyond Privileged', () => {
    const owner = assignment('Owner', app);
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS]), inventory: [INVENTORY[0]!], policies, catalog, actual: actualOf([...readerBaseline(), owner]) });
    expect(plan.drift.map((d) => d.roleName)).toEqual(['Owner']);
    const f = plan.drift[0]!;
    expect(f.assignment.id).toBe(owner.id);
    expect(f.assignment.scope).toBe(app);
    expect(f.affectedScopes).toEqual([app]);
    const ops = f.added.operations.map((o) => o.toLowerCase());
    expect(ops).toEqual(
      expect.arrayContaining([
        'microsoft.app/containerapps/write',
        'microsoft.app/containerapps/delete',
        'microsoft.authorization/roleassignments/write',
        'microsoft.authorization/locks/delete',
      ]),
    );
    // only what can be done at the app: not its group, not the group's other types
    expect(ops).not.toContain('microsoft.resources/subscriptions/resourcegroups/delete');
    expect(ops).not.toContain('microsoft.resources/deployments/write');
    expect(ops.some((o) => o.startsWith('microsoft.app/managedenvironments/'))).toBe(false);
    expect(f.added.byKind.read).toBe(0);
    expect(f.message).toMatch(new RegExp(`^Owner at ${app}, not made by Elevate, adds \\d+ operation`));
    // what the start page and doctor read off the plan
    expect(plan.effectiveLevel).toMatchObject({ level: 'Privileged', exceeds: true });
    expect(plan.effectiveLevel.message).toContain(`Owner at ${app}`);
    expect(plan.effectiveLevel.message).toContain('more than even the Privileged level');
    // reported, never touched: Elevate did not make it
    expect(plan.toDelete.map((d) => d.assignment.id)).not.toContain(owner.id);
  });

  it('compares the group case-insensitively on whole segments, and leaves resources of other groups alone', () => {
    const shouty = `${RG_APPS.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')}/PROVIDERS/microsoft.app/CONTAINERAPPS/web`;
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([
        ...readerBaseline(),
        assignment('Owner', shouty),
        assignment('Owner', `${RG_APPS}0/providers/Microsoft.App/containerApps/web`), // rg-apps0: not a managed group
      ]),
    });
    expect(plan.drift.map((d) => `${d.roleName} @ ${d.assignment.scope}`)).toEqual([`Owner @ ${shouty}`]);
  });

  it('reports it through a group the UAMI belongs to, on a nested resource', () => {
    const revision = `${app}/revisions/web--1`;
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([...readerBaseline(), assignment('Contributor', revision, { principalId: GROUP })], { groupIds: [GROUP] }),
    });
    expect(plan.drift).toHaveLength(1);
    expect(plan.drift[0]!.viaGroupId).toBe(GROUP);
    expect(plan.drift[0]!.affectedScopes).toEqual([revision]);
    expect(plan.drift[0]!.added.byKind.write).toBeGreaterThan(0);
    expect(plan.effectiveLevel.exceeds).toBe(true);
  });

  it('does not call Reader on a container app of a Reader agent drift', () => {
    const plan = planAssignments({ agent: agent('Reader', [RG_APPS]), inventory: [INVENTORY[0]!], policies, catalog, actual: actualOf([...readerBaseline(), assignment('Reader', app)]) });
    expect(plan.drift).toEqual([]);
    expect(plan.effectiveLevel.exceeds).toBe(false);
  });

  it.each(['Container Apps Contributor', 'Contributor'])('does not call %s on a container app of a Privileged agent drift', (roleName) => {
    // The Privileged level holds Container Apps Contributor on the group (policies/levels.yaml), which
    // reaches the app; Contributor adds nothing at the app beyond it and the preconfigured roles.
    const plan = planAssignments({
      agent: agent('Privileged', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([...readerBaseline(), assignment(roleName, app)]),
    });
    expect(plan.drift).toEqual([]);
    expect(plan.effectiveLevel.exceeds).toBe(false);
  });

  it('never calls an Elevate-made assignment on a resource drift (it is planned for deletion instead)', () => {
    const plan = planAssignments({
      agent: agent('Reader', [RG_APPS]),
      inventory: [INVENTORY[0]!],
      policies,
      catalog,
      actual: actualOf([...readerBaseline(), assignment('Owner', app, { managed: true })]),
    });
    expect(plan.drift).toEqual([]);
    expect(plan.effectiveLevel.exceeds).toBe(false);
    expect(deletes(plan).filter((d) => d.includes(app))).toEqual([`Owner @ ${app}`]);
  });
});

describe('planAssignments: bad policy', () => {
  it('refuses a policy that maps a type to a role not in the catalog', () => {
    const broken: Pick<Policies, 'levels'> = {
      levels: {
        ...policies.levels,
        resourceTypes: [...policies.levels.resourceTypes, { resourceType: 'Microsoft.Cache/redis', roles: { Reader: [], Privileged: ['Redis Cache Superuser (no such role)'] } }],
      },
    };
    expect(() =>
      planAssignments({ agent: agent('Privileged', [RG_APPS]), inventory: [inv(RG_APPS, ['Microsoft.Cache/redis'])], policies: broken, catalog, actual: none }),
    ).toThrow(DesiredRoleError);
    expect(() =>
      planAssignments({ agent: agent('Privileged', [RG_APPS]), inventory: [inv(RG_APPS, ['Microsoft.Cache/redis'])], policies: broken, catalog, actual: none }),
    ).toThrow("policy names role 'Redis Cache Superuser (no such role)', which is not in the role catalog");
  });
});
