import type { AccountCheck } from './account-check.ts';

/**
 * Fail closed when the account's home directory is unknown. Elevate asks the token endpoint for
 * `client_info` on every sign-in and Entra always answers with it; without it, a guest whose token
 * lacks `idp` and `acct` (both can be missing: `acct` is optional, `idp` may be dropped by a claims
 * mapping) would look like a member.
 */
export const homeTenantCheck: AccountCheck = ({ home }) => {
  if (home) return undefined;
  return {
    reason: 'unknown-home-tenant',
    explanation: 'The sign-in did not say which directory your account belongs to, so Elevate cannot tell whether you are a member of this tenant. Try again; if it keeps happening, tell the administrator of Elevate.',
  };
};
