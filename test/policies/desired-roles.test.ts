import { describe, expect, it } from 'vitest';
import { desiredRolesFor } from '../../src/policies/desired-roles.ts';
import type { PermissionLevel } from '../../src/policies/policy-types.ts';
import { shippedPolicies } from './policy-fixtures.ts';

const policies = shippedPolicies();
const PRECONFIGURED_RG = ['Reader', 'Log Analytics Reader', 'Monitoring Reader'];
const SUBSCRIPTION = ['Monitoring Contributor'];

// The two managed resource groups of the sandbox agent, as ARM lists their resource types.
const APPS_RG = ['Microsoft.App/managedEnvironments', 'Microsoft.App/containerApps', 'Microsoft.App/containerApps'];
const VMS_RG = [
  'Microsoft.Compute/virtualMachines',
  'Microsoft.Compute/virtualMachines',
  'Microsoft.Compute/virtualMachineScaleSets',
  'Microsoft.Network/networkInterfaces',
  'Microsoft.Compute/disks',
];

describe('desiredRolesFor', () => {
  it('gives only the preconfigured roles at Reader level for container apps and VMs', () => {
    for (const types of [APPS_RG, VMS_RG]) {
      expect(desiredRolesFor('Reader', types, policies)).toMatchObject({
        resourceGroupRoles: PRECONFIGURED_RG,
        subscriptionRoles: SUBSCRIPTION,
      });
    }
  });

  it('adds the contributor roles of the types present at Privileged level', () => {
    expect(desiredRolesFor('Privileged', APPS_RG, policies)).toEqual({
      resourceGroupRoles: [...PRECONFIGURED_RG, 'Container Apps Contributor', 'Container Apps ManagedEnvironments Contributor'],
      subscriptionRoles: SUBSCRIPTION,
      unmappedResourceTypes: [],
    });
  });

  it('lists a role once when several types map to it (VMs and scale sets)', () => {
    expect(desiredRolesFor('Privileged', VMS_RG, policies)).toEqual({
      resourceGroupRoles: [...PRECONFIGURED_RG, 'Virtual Machine Contributor'],
      subscriptionRoles: SUBSCRIPTION,
      unmappedResourceTypes: ['Microsoft.Network/networkInterfaces', 'Microsoft.Compute/disks'],
    });
  });

  it('includes the Reader-level roles of a type at Privileged level (Key Vault)', () => {
    expect(desiredRolesFor('Reader', ['Microsoft.KeyVault/vaults'], policies).resourceGroupRoles).toEqual([
      ...PRECONFIGURED_RG,
      'Key Vault Reader',
    ]);
    expect(desiredRolesFor('Privileged', ['Microsoft.KeyVault/vaults'], policies).resourceGroupRoles).toEqual([
      ...PRECONFIGURED_RG,
      'Key Vault Reader',
      'Key Vault Contributor',
    ]);
  });

  it('maps each covered type at each level', () => {
    const expected: [string, PermissionLevel, string[]][] = [
      ['Microsoft.ContainerService/managedClusters', 'Reader', ['Azure Kubernetes Service RBAC Reader']],
      ['Microsoft.ContainerService/managedClusters', 'Privileged', ['Azure Kubernetes Service RBAC Reader', 'Azure Kubernetes Service Contributor Role']],
      ['Microsoft.Web/sites', 'Reader', []],
      ['Microsoft.Web/sites', 'Privileged', ['Website Contributor']],
      ['Microsoft.Storage/storageAccounts', 'Reader', []],
      ['Microsoft.Storage/storageAccounts', 'Privileged', ['Storage Account Contributor']],
      ['Microsoft.Sql/servers', 'Privileged', ['SQL Server Contributor']],
      ['Microsoft.Sql/servers/databases', 'Privileged', ['SQL DB Contributor']],
      ['Microsoft.App/containerApps', 'Reader', []],
    ];
    for (const [type, level, extra] of expected) {
      expect(desiredRolesFor(level, [type], policies).resourceGroupRoles, `${type} @ ${level}`).toEqual([...PRECONFIGURED_RG, ...extra]);
    }
  });

  it('matches resource types case-insensitively', () => {
    expect(desiredRolesFor('Privileged', ['MICROSOFT.APP/CONTAINERAPPS', 'microsoft.sql/servers'], policies)).toEqual({
      resourceGroupRoles: [...PRECONFIGURED_RG, 'Container Apps Contributor', 'SQL Server Contributor'],
      subscriptionRoles: SUBSCRIPTION,
      unmappedResourceTypes: [],
    });
  });

  it('gives the same plan whatever order the inventory lists types in', () => {
    const types = ['Microsoft.Sql/servers', 'Microsoft.KeyVault/vaults', 'Microsoft.App/containerApps', 'Microsoft.Web/sites'];
    const forward = desiredRolesFor('Privileged', types, policies);
    const backward = desiredRolesFor('Privileged', [...types].reverse(), policies);
    expect(backward.resourceGroupRoles).toEqual(forward.resourceGroupRoles);
    expect(forward.resourceGroupRoles).toEqual([
      ...PRECONFIGURED_RG,
      'Container Apps Contributor',
      'Website Contributor',
      'SQL Server Contributor',
      'Key Vault Reader',
      'Key Vault Contributor',
    ]);
  });

  it('gives unknown or hostile types nothing beyond the preconfigured roles, and reports them once', () => {
    const result = desiredRolesFor(
      'Privileged',
      ['Microsoft.Evil/things', 'microsoft.evil/THINGS', '__proto__', 'Microsoft.App/containerApps/../../Microsoft.Authorization', 42 as unknown as string],
      policies,
    );
    expect(result.resourceGroupRoles).toEqual(PRECONFIGURED_RG);
    expect(result.unmappedResourceTypes).toEqual(['Microsoft.Evil/things', '__proto__', 'Microsoft.App/containerApps/../../Microsoft.Authorization']);
  });

  it('gives the preconfigured roles for an empty resource group', () => {
    expect(desiredRolesFor('Privileged', [], policies)).toEqual({
      resourceGroupRoles: PRECONFIGURED_RG,
      subscriptionRoles: SUBSCRIPTION,
      unmappedResourceTypes: [],
    });
  });

  it('throws on a level outside the vocabulary', () => {
    expect(() => desiredRolesFor('Owner' as PermissionLevel, [], policies)).toThrow(RangeError);
    expect(() => desiredRolesFor('privileged' as PermissionLevel, [], policies)).toThrow(RangeError);
  });

  it('returns fresh arrays that do not alias the frozen policy', () => {
    const result = desiredRolesFor('Reader', [], policies);
    result.resourceGroupRoles.push('Owner');
    result.subscriptionRoles.push('Owner');
    expect(desiredRolesFor('Reader', [], policies).resourceGroupRoles).toEqual(PRECONFIGURED_RG);
    expect(policies.levels.preconfiguredRoles.subscription).toEqual(SUBSCRIPTION);
  });
});
