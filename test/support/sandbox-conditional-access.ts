/**
 * Conditional Access policies on a (private) sandbox through its admin API, as a tenant
 * administrator would add them: "require multifactor authentication" for some users, on Azure
 * Resource Manager or on an authentication context. Returns the admin API's answer unchecked, so
 * a test can assert the behaviour it is about first.
 */
export const ARM_APP_ID = '797f4846-ba00-4fd7-ba43-dac1f8f63013';

export interface MfaPolicy {
  id: string;
  /** object ids, or 'All' */
  users: string[];
  /** app ids the policy targets (default: Azure Resource Manager) */
  applications?: string[];
  authenticationContexts?: string[];
  satisfiedBySignIn?: boolean;
  state?: 'enabled' | 'disabled' | 'enabledForReportingButNotEnforced';
}

export function putMfaPolicy(origin: string, p: MfaPolicy): Promise<Response> {
  return fetch(`${origin}/_sandbox/conditional-access/policies/${p.id}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-sandbox-admin': 'true' },
    body: JSON.stringify({
      displayName: `Require MFA (${p.id.slice(0, 8)})`,
      state: p.state ?? 'enabled',
      conditions: {
        users: { includeUsers: p.users },
        applications: {
          includeApplications: p.applications ?? (p.authenticationContexts ? [] : [ARM_APP_ID]),
          includeAuthenticationContextClassReferences: p.authenticationContexts ?? [],
        },
      },
      grantControls: { operator: 'OR', builtInControls: ['mfa'] },
      ...(p.satisfiedBySignIn !== undefined ? { satisfiedBySignIn: p.satisfiedBySignIn } : {}),
    }),
  });
}

export function deletePolicy(origin: string, id: string): Promise<Response> {
  return fetch(`${origin}/_sandbox/conditional-access/policies/${id}`, { method: 'DELETE', headers: { 'x-sandbox-admin': 'true' } });
}
