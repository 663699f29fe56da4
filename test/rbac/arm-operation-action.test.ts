import { describe, expect, it } from 'vitest';
import { armOperationToAction } from '../../src/rbac/arm-operation-action.ts';
import { ArmPathError } from '../../src/rbac/rbac-errors.ts';
import { matchesAction } from '../../src/rbac/action-pattern.ts';
import { parseScope } from '../../src/rbac/scope-path.ts';

const S = '/subscriptions/00000000-0000-0000-0000-000000000001';
const RG = `${S}/resourceGroups/rg1`;
const APP = `${RG}/providers/Microsoft.App/containerApps/app1`;

describe('armOperationToAction', () => {
  it.each([
    ['GET', APP, 'Microsoft.App/containerApps/read', 'Microsoft.App/containerApps', APP],
    ['HEAD', APP, 'Microsoft.App/containerApps/read', 'Microsoft.App/containerApps', APP],
    ['PUT', APP, 'Microsoft.App/containerApps/write', 'Microsoft.App/containerApps', APP],
    ['patch', APP, 'Microsoft.App/containerApps/write', 'Microsoft.App/containerApps', APP],
    ['DELETE', APP, 'Microsoft.App/containerApps/delete', 'Microsoft.App/containerApps', APP],
    ['POST', `${APP}/revisions/rev1/restart`, 'Microsoft.App/containerApps/revisions/restart/action', 'Microsoft.App/containerApps/revisions', `${APP}/revisions/rev1`],
    ['POST', `${APP}/listSecrets`, 'Microsoft.App/containerApps/listSecrets/action', 'Microsoft.App/containerApps', APP],
    ['GET', `${APP}/revisions`, 'Microsoft.App/containerApps/revisions/read', 'Microsoft.App/containerApps/revisions', APP],
    ['GET', `${RG}/providers/Microsoft.App/containerApps`, 'Microsoft.App/containerApps/read', 'Microsoft.App/containerApps', RG],
    ['GET', RG, 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Resources/subscriptions/resourceGroups', RG],
    ['PUT', `${S}/resourcegroups/rg1`, 'Microsoft.Resources/subscriptions/resourceGroups/write', 'Microsoft.Resources/subscriptions/resourceGroups', RG],
    ['DELETE', RG, 'Microsoft.Resources/subscriptions/resourceGroups/delete', 'Microsoft.Resources/subscriptions/resourceGroups', RG],
    ['GET', `${S}/resourceGroups`, 'Microsoft.Resources/subscriptions/resourceGroups/read', 'Microsoft.Resources/subscriptions/resourceGroups', S],
    ['POST', `${RG}/moveResources`, 'Microsoft.Resources/subscriptions/resourceGroups/moveResources/action', 'Microsoft.Resources/subscriptions/resourceGroups', RG],
    ['GET', `${RG}/resources`, 'Microsoft.Resources/subscriptions/resourceGroups/resources/read', 'Microsoft.Resources/subscriptions/resourceGroups/resources', RG],
    ['GET', S, 'Microsoft.Resources/subscriptions/read', 'Microsoft.Resources/subscriptions', S],
    ['GET', '/subscriptions', 'Microsoft.Resources/subscriptions/read', 'Microsoft.Resources/subscriptions', '/'],
    ['GET', `${S}/tagNames/env`, 'Microsoft.Resources/subscriptions/tagNames/read', 'Microsoft.Resources/subscriptions/tagNames', S],
    ['POST', `${S}/providers/Microsoft.Compute/register`, 'Microsoft.Compute/register/action', 'Microsoft.Compute', S],
    ['GET', `${S}/providers/Microsoft.Compute`, 'Microsoft.Resources/subscriptions/providers/read', 'Microsoft.Resources/subscriptions/providers', S],
    ['GET', `${S}/providers`, 'Microsoft.Resources/subscriptions/providers/read', 'Microsoft.Resources/subscriptions/providers', S],
    ['GET', '/providers/Microsoft.Compute', 'Microsoft.Resources/providers/read', 'Microsoft.Resources/providers', '/'],
    ['GET', '/providers', 'Microsoft.Resources/providers/read', 'Microsoft.Resources/providers', '/'],
    ['GET', '/tenants', 'Microsoft.Resources/tenants/read', 'Microsoft.Resources/tenants', '/'],
    ['GET', `${S}/providers/Microsoft.Features/features`, 'Microsoft.Features/features/read', 'Microsoft.Features/features', S],
    ['GET', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features`, 'Microsoft.Features/providers/features/read', 'Microsoft.Features/providers/features', S],
    ['GET', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features/AutomaticZoneRebalancing`, 'Microsoft.Features/providers/features/read', 'Microsoft.Features/providers/features', S],
    ['POST', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features/AutomaticZoneRebalancing/register`, 'Microsoft.Features/providers/features/register/action', 'Microsoft.Features/providers/features', S],
    ['GET', '/providers/Microsoft.Compute/operations', 'Microsoft.Compute/operations/read', 'Microsoft.Compute/operations', '/'],
    ['GET', '/providers/Microsoft.Management/managementGroups/mg1', 'Microsoft.Management/managementGroups/read', 'Microsoft.Management/managementGroups', '/providers/Microsoft.Management/managementGroups/mg1'],
    ['PUT', `${S}/providers/Microsoft.Authorization/roleAssignments/ra1`, 'Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments', `${S}/providers/Microsoft.Authorization/roleAssignments/ra1`],
    ['PUT', `${RG}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings/ds`, 'Microsoft.Insights/diagnosticSettings/write', 'Microsoft.Insights/diagnosticSettings', `${RG}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings/ds`],
    ['GET', `${RG}/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.Insights/diagnosticSettings`, 'Microsoft.Insights/diagnosticSettings/read', 'Microsoft.Insights/diagnosticSettings', `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`],
    ['POST', `${RG}/providers/Microsoft.Web/sites/app/config/appsettings/list`, 'Microsoft.Web/sites/config/list/action', 'Microsoft.Web/sites/config', `${RG}/providers/Microsoft.Web/sites/app/config/appsettings`],
    ['POST', `${RG}/providers/Microsoft.Storage/storageAccounts/sa/listKeys?api-version=2023-01-01`, 'Microsoft.Storage/storageAccounts/listKeys/action', 'Microsoft.Storage/storageAccounts', `${RG}/providers/Microsoft.Storage/storageAccounts/sa`],
    ['GET', `https://management.azure.com${APP}?api-version=2024-03-01`, 'Microsoft.App/containerApps/read', 'Microsoft.App/containerApps', APP],
    ['GET', `${S}/RESOURCEGROUPS/rg1/PROVIDERS/microsoft.app/containerapps/app1`, 'microsoft.app/containerapps/read', 'microsoft.app/containerapps', `${RG}/providers/microsoft.app/containerapps/app1`],
    // a resource literally named "providers" is a name, not a keyword
    ['GET', `${RG}/providers/Microsoft.Web/sites/providers`, 'Microsoft.Web/sites/read', 'Microsoft.Web/sites', `${RG}/providers/Microsoft.Web/sites/providers`],
  ])('%s %s -> %s', (method, path, action, resourceType, scope) => {
    const r = armOperationToAction(method, path);
    expect(r).toEqual({ action, resourceType, scope });
    // every scope it returns is one the evaluator accepts
    expect(parseScope(r.scope).scope).toBe(scope);
  });

  it('derives the real operation names built-in roles are written against', () => {
    const restart = armOperationToAction('POST', `${APP}/revisions/rev1/restart`).action;
    expect(matchesAction('microsoft.app/containerapps/revisions/restart/action', restart)).toBe(true);
    expect(matchesAction('Microsoft.App/containerApps/*/action', restart)).toBe(true);
  });

  it.each([
    ['GET', `${RG}/providers/Microsoft.Web/../sites`, 'relative'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/./x`, 'relative'],
    ['GET', `${RG}//providers/Microsoft.Web/sites/x`, 'empty'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/x/`, 'empty'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/x%2F..%2F..%2Fy`, 'percent'],
    ['GET', `${RG}/providers/Microsoft.Web/sites%2fx`, 'percent'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/%2e%2e`, 'percent'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/x\\..\\y`, 'backslash'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/a\tb`, 'whitespace'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/a\u00a0b`, 'whitespace'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/a\u0000b`, 'control'],
    ['GET', `${RG}/providers/Microsoft.Web/sites/x#frag`, 'fragment'],
    ['GET', 'subscriptions/s', 'absolute'],
    ['GET', '/foo/bar', 'must start'],
    ['POST', '/tenants', 'only GET /tenants'],
    ['GET', '/tenants/72f988bf-86f1-41af-91ab-2d7cd011db47', 'only GET /tenants'],
    ['GET', '/', 'empty'],
    ['GET', '', 'empty'],
    ['GET', 'https://evil.example.com/subscriptions/s', 'absolute'],
    ['GET', '//management.azure.com/subscriptions/s', 'empty'],
    ['GET', `${RG}/providers/NotANamespace/sites/x`, 'namespace'],
    ['GET', `${RG}/providers/Microsoft.Web/si:tes/x`, 'type'],
    ['POST', APP, 'action name'],
    ['POST', `${APP}/re(start`, 'action name'],
    ['DELETE', `${RG}/providers/Microsoft.App/containerApps`, 'collection'],
    ['PUT', `${S}/providers/Microsoft.Compute`, 'provider namespace alone'],
    ['GET', `${RG}/providers/Microsoft.Compute`, 'provider namespace alone'],
    ['TRACE', APP, 'method'],
    ['', APP, 'method'],
    ['GET', `/subscriptions/${'a'.repeat(5000)}`, 'too long'],
  ])('rejects %s %j (%s)', (method, path, why) => {
    expect(() => armOperationToAction(method, path)).toThrow(ArmPathError);
    expect(() => armOperationToAction(method, path)).toThrow(new RegExp(why.split(' ')[0]!, 'i'));
  });

  it('rejects non-string input', () => {
    expect(() => armOperationToAction('GET', undefined as unknown as string)).toThrow(ArmPathError);
    expect(() => armOperationToAction(undefined as unknown as string, APP)).toThrow(ArmPathError);
  });
});
