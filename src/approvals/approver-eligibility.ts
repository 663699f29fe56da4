/**
 * Who may decide, checked again wherever a decision takes effect (pure). The sign-in already
 * refused personal accounts, guests and other tenants; these checks are repeated here because an
 * approval must not depend on another component having done its job: the role is looked up
 * afresh in the current policy, the tenant compared again, and for an elevation the sign-in must
 * be the fresh one started for exactly this request.
 */

/** The consumer tenant of personal Microsoft accounts. */
export const PERSONAL_ACCOUNT_TENANT_ID = '9188040d-6c67-4c5b-b112-36a304b66dad';

export type EligibilityRefusal =
  | 'not_administrator'
  | 'personal_account'
  | 'other_tenant'
  | 'not_bound_to_request'
  | 'no_fresh_sign_in'
  | 'stale_sign_in'
  | 'different_account'
  | 'api_token_mismatch';

export const ELIGIBILITY_MESSAGES: Record<EligibilityRefusal, string> = {
  not_administrator: 'Only an SRE Agent Administrator may approve or deny requests.',
  personal_account: 'Personal Microsoft accounts cannot approve requests, whatever role they hold. Sign in with your work or school account.',
  other_tenant: "Only accounts of Elevate's own Entra tenant may approve requests.",
  not_bound_to_request: 'This sign-in was not started to approve this request.',
  no_fresh_sign_in: 'Approving an elevation needs a fresh sign-in (you must enter your credentials again). Start the approval again.',
  stale_sign_in: 'Your sign-in is too old to approve an elevation. Start the approval again and sign in afresh.',
  different_account: 'You signed in with a different account than the one that started this approval. Start the approval again with the account that should approve.',
  api_token_mismatch: "The token for Elevate's API does not belong to the account that signed in; nothing was run.",
};

export interface DeciderFacts {
  tid: string;
  /** The account's home tenant as recorded at sign-in (client_info); guests and personal accounts differ from `tid`. */
  homeTenantId?: string | undefined;
  /** The current policy gives this person the approve (or deny) permission. */
  holdsDecidingRole: boolean;
}

/** Any decision (consent approval, deny, or the start of an elevation approval). */
export function checkDecider(facts: DeciderFacts, tenantId: string): EligibilityRefusal | undefined {
  const home = facts.homeTenantId?.toLowerCase();
  if (facts.tid.toLowerCase() === PERSONAL_ACCOUNT_TENANT_ID || home === PERSONAL_ACCOUNT_TENANT_ID) return 'personal_account';
  // a guest has this tenant's tid but another home
  if (facts.tid.toLowerCase() !== tenantId.toLowerCase() || (home !== undefined && home !== tenantId.toLowerCase())) return 'other_tenant';
  if (!facts.holdsDecidingRole) return 'not_administrator';
  return undefined;
}

export interface FreshSignInFacts extends DeciderFacts {
  oid: string;
  /** The sign-in was started for this kind of continuation and this request id. */
  boundTo: { kind: string; requestId: string } | undefined;
  promptedLogin: boolean;
  authenticatedDuringFlow: boolean;
  /**
   * Epoch seconds: `auth_time` of the ID token, or, without that optional claim, the start of the
   * prompt=login flow (the earliest the authentication can have been; signin/authentication-evidence.ts).
   */
  authenticatedAt: number | null;
  /** The delegated token for Elevate's API, when the sign-in asked for one. */
  apiToken: { oid: string; tid: string } | undefined;
}

export interface FreshSignInExpectation {
  kind: string;
  requestId: string;
  tenantId: string;
  /** The administrator who pressed Approve (the attempt's owner). */
  approverOid: string;
  /** ELEVATE_FRESH_AUTH_SECONDS */
  freshAuthSeconds: number;
  nowSeconds: number;
}

/** Allowed clock difference with the tenant when judging an authentication time from the future. */
const CLOCK_SKEW_SECONDS = 60;

/** The callback of an elevation approval's fresh sign-in. */
export function checkFreshSignIn(facts: FreshSignInFacts, expect: FreshSignInExpectation): EligibilityRefusal | undefined {
  const decider = checkDecider(facts, expect.tenantId);
  if (decider) return decider;
  if (facts.boundTo?.kind !== expect.kind || facts.boundTo.requestId !== expect.requestId) return 'not_bound_to_request';
  if (facts.oid.toLowerCase() !== expect.approverOid.toLowerCase()) return 'different_account';
  if (!facts.promptedLogin || !facts.authenticatedDuringFlow || facts.authenticatedAt === null) return 'no_fresh_sign_in';
  const age = expect.nowSeconds - facts.authenticatedAt;
  if (age > expect.freshAuthSeconds || age < -CLOCK_SKEW_SECONDS) return 'stale_sign_in';
  if (facts.apiToken && (facts.apiToken.oid.toLowerCase() !== facts.oid.toLowerCase() || facts.apiToken.tid.toLowerCase() !== facts.tid.toLowerCase())) {
    return 'api_token_mismatch';
  }
  return undefined;
}
