import type { AccountCheckContext, SignInClaims } from '../../../src/signin/account-checks/account-check.ts';
import type { HomeAccount } from '../../../src/signin/client-info.ts';

export const TENANT = '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c';
export const ISSUER = `https://login.example/${TENANT}/v2.0`;
export const OTHER_TENANT = '6418fbe7-886c-4f64-b8e9-200ab1dfaf1c';
export const PERSONAL = '9188040d-6c67-4c5b-b112-36a304b66dad';

/** A member of the tenant holding the Administrator app role, as Entra would sign them in. */
export function memberClaims(overrides: SignInClaims = {}): SignInClaims {
  return {
    iss: ISSUER,
    tid: TENANT,
    oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91',
    preferred_username: 'ada.admin@contoso-sre.onmicrosoft.com',
    name: 'Ada Admin',
    roles: ['SREAgent.Administrator'],
    ...overrides,
  };
}

/** A member's client_info: home = this tenant. */
export const MEMBER_HOME: HomeAccount = { oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91', tenantId: TENANT };

/** `home` null: the token response carried no client_info. */
export function context(claims: SignInClaims, roles: string[] = ['administrator'], home: HomeAccount | null = MEMBER_HOME): AccountCheckContext {
  return { claims, home: home ?? undefined, tenantId: TENANT, issuer: ISSUER, roles, roleNames: ['SRE Agent Administrator', 'SRE Agent Reader'], groups: { source: 'unmapped' } };
}
