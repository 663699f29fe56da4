import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { armPathProblem, isInsideResourceGroups, normalizeResourceGroupId, permissionScopeOf, resourceGroupOfPath, subscriptionOfPath } from '../../src/operations/arm-path-rules.ts';

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
    [`${RG}/providers/Microsoft.App/containerApps/app＼x`, 'characters'],
    [`${RG}/${'a'.repeat(2100)}`, 'at most'],
  ])('refuses %j (%s)', (path, why) => {
    const problem = armPathProblem(path);
    expect(problem).toBeDefined();
    expect(problem).toContain(why);
    // messages never echo the hostile input back
    expect(problem).not.toContain('..\\');
  });
});

/** Names real ARM resources carry, as ARM ids show them (Elevate encodes them on the wire). */
describe('armPathProblem: real ARM names', () => {
  const VAULT = `${RG}/providers/Microsoft.RecoveryServices/vaults/rsv-sre`;
  it.each([
    ['Recovery Services protected item (;)', `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg-sre-vms;vm-sre-jump-01/protectedItems/VM;iaasvmcontainerv2;rg-sre-vms;vm-sre-jump-01`],
    ['backup of a protected item (action after ;-names)', `${VAULT}/backupFabrics/Azure/protectionContainers/IaasVMContainer;iaasvmcontainerv2;rg;vm/protectedItems/VM;iaasvmcontainerv2;rg;vm/backup`],
    ['metric alert rule with spaces', `${RG}/providers/Microsoft.Insights/metricAlerts/High CPU on ca-checkout`],
    ['scheduled query rule with spaces and parentheses', `${RG}/providers/Microsoft.Insights/scheduledQueryRules/Failed requests (5xx)`],
    ['DNS wildcard record', `${RG}/providers/Microsoft.Network/dnszones/contoso.com/A/*`],
    ['DNS apex record', `${RG}/providers/Microsoft.Network/dnszones/contoso.com/TXT/@`],
    ['DNS wildcard under a label', `${RG}/providers/Microsoft.Network/dnszones/contoso.com/CNAME/*.apps`],
    ['SQL firewall rule', `/subscriptions/${SUB}/resourceGroups/rg-data/providers/Microsoft.Sql/servers/sql-sre-data/firewallRules/AllowAllWindowsAzureIps`],
    ['App Service slot config name with colon', `${RG}/providers/Microsoft.Web/sites/app-sre-portal/hostNameBindings/www.contoso.com:443`],
    ['name with apostrophe, plus, comma, equals', `${RG}/providers/Microsoft.Insights/actionGroups/On-call Ada's team+1,tier=2`],
    ['extension resource on a name with spaces', `${RG}/providers/Microsoft.Insights/metricAlerts/High CPU/providers/Microsoft.Insights/diagnosticSettings/to-law`],
  ])('accepts %s', (_what, path) => {
    expect(armPathProblem(path)).toBeUndefined();
  });

  it.each([
    ['traversal through a name', `${RG}/providers/Microsoft.Network/dnszones/contoso.com/A/../../../rg-data`, "'..'"],
    ['encoded slash', `${RG}/providers/Microsoft.Insights/metricAlerts/a%2F..%2Fb`, 'percent-encoding'],
    ['encoded space (one spelling only)', `${RG}/providers/Microsoft.Insights/metricAlerts/High%20CPU`, 'percent-encoding'],
    ['encoded backslash', `${RG}/providers/Microsoft.Insights/metricAlerts/a%5Cb`, 'percent-encoding'],
    ['double slash', `${RG}/providers/Microsoft.Insights/metricAlerts//High CPU`, 'empty segments'],
    ['other origin', `https://evil.example.com${RG}`, "start with '/subscriptions/'"],
    ['protocol-relative origin', `//evil.example.com${RG}`, 'empty segments'],
    ['leading space in a name', `${RG}/providers/Microsoft.Insights/metricAlerts/ High CPU`, 'space'],
    ['trailing space in a name', `${RG}/providers/Microsoft.Insights/metricAlerts/High CPU `, 'space'],
    ['tab in a name', `${RG}/providers/Microsoft.Insights/metricAlerts/High\tCPU`, 'control'],
    ['no-break space', `${RG}/providers/Microsoft.Insights/metricAlerts/High\u00a0CPU`, 'whitespace'],
    ['ideographic space', `${RG}/providers/Microsoft.Insights/metricAlerts/High\u3000CPU`, 'whitespace'],
    ['ampersand (never in ARM names)', `${RG}/providers/Microsoft.Insights/metricAlerts/a&b`, 'characters'],
    ['angle brackets', `${RG}/providers/Microsoft.Insights/metricAlerts/<script>`, 'characters'],
    ['double quote', `${RG}/providers/Microsoft.Insights/metricAlerts/a"b`, 'characters'],
    ['space in a resource group name', `/subscriptions/${SUB}/resourceGroups/rg sre/providers/Microsoft.App/containerApps/a`, 'resource group'],
    ['star in a resource group name', `/subscriptions/${SUB}/resourceGroups/*/providers/Microsoft.App/containerApps/a`, 'resource group'],
    ['space in a resource type', `${RG}/providers/Microsoft.App/container Apps/a`, 'types and actions'],
    ['star as a resource type', `${RG}/providers/Microsoft.App/*/a`, 'types and actions'],
    ['semicolon in an action', `${APP}/restart;reboot`, 'types and actions'],
    ['query smuggled in a name', `${RG}/providers/Microsoft.Insights/metricAlerts/a?api-version=1`, 'query string'],
    ['fragment in a name', `${RG}/providers/Microsoft.Insights/metricAlerts/a#b`, 'query string'],
  ])('refuses %s', (_what, path, why) => {
    const problem = armPathProblem(path);
    expect(problem).toBeDefined();
    expect(problem).toContain(why);
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

  it('finds the resource group in segments 1 to 4 only, keywords in any case, whole segments only', () => {
    expect(resourceGroupOfPath(RG)).toBe(RG.toLowerCase());
    expect(resourceGroupOfPath(RG.replace('resourceGroups', 'RESOURCEGROUPS').replace('subscriptions', 'Subscriptions'))).toBe(RG.toLowerCase());
    expect(resourceGroupOfPath(`/subscriptions/${SUB}`)).toBeUndefined();
    expect(resourceGroupOfPath(`/subscriptions/${SUB}/resourceGroups`)).toBeUndefined();
    expect(resourceGroupOfPath(`/subscriptions/${SUB}/resourceGroupsX/rg`)).toBeUndefined();
    expect(resourceGroupOfPath(`/subscriptions/${SUB}/providers/Microsoft.Resources/resourceGroups/rg`)).toBeUndefined();
    expect(resourceGroupOfPath(`/x/subscriptions/${SUB}/resourceGroups/rg`)).toBeUndefined();
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

describe('subscriptionOfPath', () => {
  /** What it was before the pattern: the second segment, lower-cased, when the first is `subscriptions`. */
  const bySplit = (path: string) => {
    const segments = path.split('/');
    return segments[1]?.toLowerCase() === 'subscriptions' ? segments[2]?.toLowerCase() : undefined;
  };

  it('reads the subscription as splitting on / did, on paths and on junk', () => {
    const cases = ['/subscriptions/ABC-1/resourceGroups/rg', '/Subscriptions/abc', '/subscriptions/', '/subscriptions', '/subscriptions//x', 'subscriptions/abc', '/subscriptionsX/abc', '//subscriptions/abc', '', '/'];
    for (const path of cases) expect(subscriptionOfPath(path), path).toBe(bySplit(path));
    fc.assert(
      fc.property(fc.array(fc.constantFrom('', 'subscriptions', 'SUBSCRIPTIONS', 'a', 'B-2', '/', ' ', 'x/y'), { maxLength: 6 }), (parts) => {
        const path = parts.join('/');
        expect(subscriptionOfPath(path)).toBe(bySplit(path));
      }),
      { numRuns: 500 },
    );
  });
});
