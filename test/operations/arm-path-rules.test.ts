import { describe, expect, it } from 'vitest';
import { armPathProblem, isInsideResourceGroups, normalizeResourceGroupId, permissionScopeOf, resourceGroupOfPath } from '../../src/operations/arm-path-rules.ts';

const SUB = '11111111-2222-3333-4444-555555555555';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
const APP = `${RG}/providers/Microsoft.App/containerApps/app1`;

describe('armPathProblem', () => {
  it.each([
    RG,
    APP,
    `${APP}/revisions/app1--rev1/restart`,
    `${RG}/providers/Microsoft.App/containerApps`,
    `${APP}/providers/Microsoft.Insights/diagnosticSettings/ds1`,
    `/subscriptions/${SUB.toUpperCase()}/resourcegroups/RG_(x).y-z/providers/Microsoft.Compute/virtualMachines/vm-1`,
    `${RG}/providers/Microsoft.Web/sites/sité`,
  ])('accepts %s', (path) => {
    expect(armPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['', 'empty'],
    [`${RG}/../rg-data`, "'..'"],
    [`${RG}/providers/Microsoft.App/containerApps/a..b`, "'..'"],
    [`${RG}/./providers`, "'.' segments"],
    [`${RG}%2F..%2Frg-data`, 'percent-encoding'],
    [`${RG}/providers/Microsoft.App/containerApps/app%2e%2e`, 'percent-encoding'],
    [`${APP}?api-version=2024-03-01`, 'query string'],
    [`${APP}#frag`, 'query string'],
    [`${APP}\\..\\x`, 'backslash'],
    [`${APP}\u0000`, 'control'],
    [`${APP}\n`, 'control'],
    [`${APP}\u202e`, 'invisible'],
    [`${APP}\u200b`, 'invisible'],
    [`${RG}//providers`, 'empty segments'],
    [`${APP}/`, "end with '/'"],
    ['subscriptions/x', "start with '/subscriptions/'"],
    ['https://management.azure.com' + APP, "start with '/subscriptions/'"],
    [`/subscriptions/not-a-guid/resourceGroups/rg`, 'subscription GUID'],
    [`/subscriptions/${SUB}`, 'resource group'],
    [`/subscriptions/${SUB}/providers/Microsoft.App/containerApps/a`, 'resource group'],
    [`${RG}/providers/../x`, "'..'"],
    [`${RG}/providers/not_a_namespace/x`, 'namespace'],
    [`${RG}/providers/Microsoft.App`, 'resource type'],
    [`${RG}/providers/Microsoft.App/containerApps/app 1`, 'characters'],
    [`${RG}/providers/Microsoft.App/containerApps/app＼x`, 'characters'],
    [`${RG}/providers/Microsoft.App/containerApps/*`, 'characters'],
    [`${RG}/${'a'.repeat(2100)}`, 'at most'],
  ])('refuses %j (%s)', (path, why) => {
    const problem = armPathProblem(path);
    expect(problem).toBeDefined();
    expect(problem).toContain(why);
    // messages never echo the hostile input back
    expect(problem).not.toContain('..\\');
  });
});

describe('resource group containment', () => {
  const managed = [RG, `/subscriptions/${SUB}/resourceGroups/rg-sre-vms`];

  it('is decided case-insensitively on the resource group prefix', () => {
    expect(isInsideResourceGroups(APP, managed)).toBe(true);
    expect(isInsideResourceGroups(APP.toUpperCase(), managed)).toBe(true);
    expect(isInsideResourceGroups(`/subscriptions/${SUB}/resourceGroups/rg-sre-vms/providers/Microsoft.Compute/virtualMachines/v`, managed)).toBe(true);
  });

  it('does not treat a longer name with the same prefix as inside', () => {
    expect(isInsideResourceGroups(`/subscriptions/${SUB}/resourceGroups/rg-sre-apps2/providers/Microsoft.App/containerApps/a`, managed)).toBe(false);
    expect(isInsideResourceGroups(`/subscriptions/${SUB}/resourceGroups/rg-data`, managed)).toBe(false);
    expect(isInsideResourceGroups(`/subscriptions/99999999-2222-3333-4444-555555555555/resourceGroups/rg-sre-apps`, managed)).toBe(false);
    expect(isInsideResourceGroups(`/subscriptions/${SUB}`, managed)).toBe(false);
  });

  it('normalizes ids', () => {
    expect(normalizeResourceGroupId(`${RG}/`)).toBe(RG.toLowerCase());
    expect(resourceGroupOfPath(APP)).toBe(RG.toLowerCase());
    expect(resourceGroupOfPath('/providers/Microsoft.Management/managementGroups/x')).toBeUndefined();
  });
});

describe('permissionScopeOf', () => {
  it('is the resource the operation addresses', () => {
    expect(permissionScopeOf(APP)).toBe(APP);
    expect(permissionScopeOf(`${APP}/revisions/r1/restart`)).toBe(`${APP}/revisions/r1`);
    expect(permissionScopeOf(`${RG}/providers/Microsoft.App/containerApps`)).toBe(RG);
    expect(permissionScopeOf(`${RG}/exportTemplate`)).toBe(RG);
    expect(permissionScopeOf(`${APP}/providers/Microsoft.Insights/diagnosticSettings/d`)).toBe(`${APP}/providers/Microsoft.Insights/diagnosticSettings/d`);
  });
});
