import { describe, expect, it } from 'vitest';
import {
  compileActionPattern,
  isValidActionName,
  matchesAction,
  normalizeActionPattern,
  patternProvider,
  patternToRegexSource,
} from '../../src/rbac/action-pattern.ts';
import { RbacInputError } from '../../src/rbac/rbac-errors.ts';

describe('matchesAction', () => {
  it('matches literal patterns exactly, case-insensitively', () => {
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'microsoft.compute/VIRTUALMACHINES/READ')).toBe(true);
    expect(matchesAction('MICROSOFT.COMPUTE/virtualmachines/read', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/write')).toBe(false);
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/read/x')).toBe(false);
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'Microsoft.Compute/virtualMachines/rea')).toBe(false);
  });

  it('lets `X/*/verb` cover `X/verb` as well as deeper children', () => {
    const p = 'Microsoft.App/containerApps/*/write';
    expect(matchesAction(p, 'Microsoft.App/containerApps/write')).toBe(true);
    expect(matchesAction(p, 'Microsoft.App/containerApps/revisions/write')).toBe(true);
    expect(matchesAction(p, 'microsoft.app/containerapps/a/b/c/write')).toBe(true);
    expect(matchesAction(p, 'Microsoft.App/containerApps/read')).toBe(false);
    expect(matchesAction(p, 'Microsoft.App/containerAppsX/write')).toBe(false);
    expect(matchesAction(p, 'Microsoft.App/containerApps/rewrite')).toBe(false);
    expect(matchesAction(p, 'Microsoft.App/jobs/write')).toBe(false);
    expect(matchesAction('Microsoft.App/containerApps/*/action', 'microsoft.app/containerapps/revisions/restart/action')).toBe(true);
  });

  it('stops `Provider/*` at the provider boundary', () => {
    expect(matchesAction('Microsoft.Compute/*', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(matchesAction('Microsoft.Compute/*', 'Microsoft.Compute/register/action')).toBe(true);
    expect(matchesAction('Microsoft.Compute/*', 'Microsoft.ComputeSchedule/scheduledactions/read')).toBe(false);
    expect(matchesAction('Microsoft.Compute/*', 'Microsoft.Computer/x/read')).toBe(false);
    expect(matchesAction('Microsoft.Compute/*', 'Microsoft.Network/virtualNetworks/read')).toBe(false);
    expect(matchesAction('microsoft.compute/*', 'MICROSOFT.COMPUTE/DISKS/WRITE')).toBe(true);
  });

  it('treats a bare `*` as every action and a non-slash `*` as any run including `/`', () => {
    expect(matchesAction('*', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(matchesAction('*', 'anything/at/all')).toBe(true);
    expect(matchesAction('*/read', 'Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(matchesAction('*/read', 'Microsoft.Compute/virtualMachines/extensions/read')).toBe(true);
    expect(matchesAction('*/read', 'Microsoft.Compute/virtualMachines/write')).toBe(false);
    expect(matchesAction('*/read', 'Microsoft.Compute/virtualMachines/unread')).toBe(false);
    expect(matchesAction('*/read', 'Microsoft.Storage/storageAccounts/listKeys/action')).toBe(false);
    expect(matchesAction('Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/roleAssignments/delete')).toBe(true);
    expect(matchesAction('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/roleAssignments/write')).toBe(true);
    expect(matchesAction('Microsoft.Authorization/*/Write', 'Microsoft.Authorization/write')).toBe(true);
    expect(matchesAction('Microsoft.Authorization/*/Write', 'Microsoft.AuthorizationX/roleAssignments/write')).toBe(false);
    expect(matchesAction('Microsoft.Comp*', 'Microsoft.ComputeSchedule/x/read')).toBe(true);
  });

  it('supports several stars with the same rules', () => {
    expect(matchesAction('Microsoft.Web/*/config/*/read', 'Microsoft.Web/config/read')).toBe(true);
    expect(matchesAction('Microsoft.Web/*/config/*/read', 'Microsoft.Web/sites/config/appsettings/read')).toBe(true);
    expect(matchesAction('Microsoft.Web/*/config/*/read', 'Microsoft.Web/sites/slots/config/read')).toBe(true);
    expect(matchesAction('Microsoft.Web/*/config/*/read', 'Microsoft.Web/sites/configs/read')).toBe(false);
    expect(matchesAction('a*b*c', 'a/x/b/y/c')).toBe(true);
    expect(matchesAction('a*b*c', 'acb')).toBe(false);
  });

  it('treats regex metacharacters in patterns literally', () => {
    expect(matchesAction('Microsoft.Compute/virtualMachines/read', 'MicrosoftXCompute/virtualMachines/read')).toBe(false);
    expect(matchesAction('Microsoft.Cognitive/accounts/text:analyze/action', 'Microsoft.Cognitive/accounts/text:analyze/action')).toBe(true);
    expect(matchesAction('Microsoft.X/a$b/read', 'Microsoft.X/a$b/read')).toBe(true);
    expect(matchesAction('Microsoft.X/{id}/*', 'Microsoft.X/{id}/read')).toBe(true);
    expect(matchesAction('Microsoft.X/(a|b)/read', 'Microsoft.X/a/read')).toBe(false);
  });

  it('ignores surrounding whitespace in role data but rejects empty or whitespace-containing patterns', () => {
    expect(matchesAction('Microsoft.Network/virtualNetworks/read ', 'Microsoft.Network/virtualNetworks/read')).toBe(true);
    expect(() => compileActionPattern('')).toThrow(RbacInputError);
    expect(() => compileActionPattern('   ')).toThrow(RbacInputError);
    expect(() => compileActionPattern('Microsoft.X/a b/read')).toThrow(RbacInputError);
    expect(() => compileActionPattern('Microsoft.X/a\nb/read')).toThrow(RbacInputError);
    expect(() => compileActionPattern('x'.repeat(2000))).toThrow(RbacInputError);
  });

  it('agrees between the fast paths and the regular-expression form', () => {
    const patterns = ['*', '*/read', 'Microsoft.Compute/*', 'Microsoft.App/containerApps/*/write', 'Microsoft.Insights/alertRules/*', 'a/*', 'a/*x', '/*'];
    const actions = ['a', 'a/x', 'ax', 'a/b/x', 'microsoft.compute', 'microsoft.compute/x', 'microsoft.computex/y', 'microsoft.app/containerapps/write', 'microsoft.app/containerapps/x/write', 'microsoft.app/containerappswrite', 'x/read', 'read', '/read', 'microsoft.insights/alertrules', 'microsoft.insights/alertrules/x/read', ''];
    for (const p of patterns) {
      const fast = compileActionPattern(p);
      const re = new RegExp(`^${patternToRegexSource(normalizeActionPattern(p))}$`, 's');
      for (const a of actions) expect([p, a, fast(a)]).toEqual([p, a, re.test(a)]);
    }
  });
});

describe('patternProvider', () => {
  it('buckets patterns by provider only when no other provider can match', () => {
    expect(patternProvider('microsoft.compute/*')).toBe('microsoft.compute');
    expect(patternProvider('microsoft.compute/virtualmachines/read')).toBe('microsoft.compute');
    expect(patternProvider('microsoft.app/containerapps/*/write')).toBe('microsoft.app');
    expect(patternProvider('microsoft.compute/*/read')).toBe('microsoft.compute');
    expect(patternProvider('*')).toBeUndefined();
    expect(patternProvider('*/read')).toBeUndefined();
    expect(patternProvider('microsoft.comp*')).toBeUndefined();
    // `a/*x` can match `ax`, whose provider is not `a`
    expect(patternProvider('a/*x')).toBeUndefined();
    expect(matchesAction('a/*x', 'ax')).toBe(true);
  });
});

describe('isValidActionName', () => {
  it('accepts real operation names and rejects wildcards, whitespace and malformed names', () => {
    expect(isValidActionName('Microsoft.Compute/virtualMachines/read')).toBe(true);
    expect(isValidActionName('Microsoft.CognitiveServices/accounts/ComputerVision/models/:cancel/action')).toBe(true);
    expect(isValidActionName('Microsoft.Web/sites/$testnew/read')).toBe(true);
    expect(isValidActionName('*')).toBe(false);
    expect(isValidActionName('Microsoft.Compute/*')).toBe(false);
    expect(isValidActionName('Microsoft.Compute')).toBe(false);
    expect(isValidActionName('Microsoft.Compute//read')).toBe(false);
    expect(isValidActionName('/Microsoft.Compute/read')).toBe(false);
    expect(isValidActionName('Microsoft.Compute/read/')).toBe(false);
    expect(isValidActionName('Microsoft.Compute/virtual Machines/read')).toBe(false);
    expect(isValidActionName('Microsoft.Compute/read\n')).toBe(false);
    expect(isValidActionName(`Microsoft.Compute/${'a'.repeat(600)}/read`)).toBe(false);
  });
});
