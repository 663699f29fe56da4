import { describe, expect, it } from 'vitest';
import { permitsAction, pimUnavailableReason } from '../../src/raises/arm-raise-grants.ts';

describe('when PIM cannot serve a raise', () => {
  it('reads the licence and permission refusals as "use the fallback", and nothing else', () => {
    expect(pimUnavailableReason({ statusCode: 400, code: 'AadPremiumLicenseRequired', message: 'The tenant needs an AAD Premium 2 license.' })).toMatch(/Entra ID P2.*AadPremiumLicenseRequired/);
    expect(pimUnavailableReason({ statusCode: 403, code: 'AuthorizationFailed', message: 'no' })).toMatch(/roleAssignmentScheduleRequests\/write/);
    // Azure's policy refusing the window, or an outage, is not "PIM is unavailable": the raise fails or is retried.
    expect(pimUnavailableReason({ statusCode: 400, code: 'RoleAssignmentRequestPolicyValidationFailed', message: 'The following policy rules failed: ["ExpirationRule"]' })).toBeUndefined();
    expect(pimUnavailableReason({ statusCode: 503, code: 'ServiceUnavailable', message: 'try later' })).toBeUndefined();
    expect(pimUnavailableReason(new Error('socket hang up'))).toBeUndefined();
  });

  it('knows whether Elevate’s own permission blocks allow creating schedule requests', () => {
    const action = 'Microsoft.Authorization/roleAssignmentScheduleRequests/write';
    // User Access Administrator
    expect(permitsAction([{ actions: ['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'], notActions: [] }], action)).toBe(true);
    // Role Based Access Control Administrator: role assignments only
    expect(permitsAction([{ actions: ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read'], notActions: [] }], action)).toBe(false);
    // Owner minus a notAction
    expect(permitsAction([{ actions: ['*'], notActions: ['Microsoft.Authorization/*/Write'] }], action)).toBe(false);
    expect(permitsAction([{ actions: ['*'], notActions: [] }], action)).toBe(true);
  });
});
