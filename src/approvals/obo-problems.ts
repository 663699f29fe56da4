/**
 * What someone must do when Entra refuses the on-behalf-of exchange for a reason the approver
 * cannot fix by signing in again. Shown on the approval page; never a silent failure.
 */
import type { OboErrorCode } from '../azure/obo-error.ts';

export function oboAdminAction(code: OboErrorCode, deps: { adminConsentUrl?: string | undefined }): string | undefined {
  switch (code) {
    case 'consent_required':
      return (
        'A tenant administrator (Global Administrator, Privileged Role Administrator or Cloud Application Administrator) must grant Elevate admin consent ' +
        'to call Azure Service Management (user_impersonation) on behalf of users: Microsoft Entra admin center > Enterprise applications > Elevate > Permissions > ' +
        `Grant admin consent${deps.adminConsentUrl ? `, or open ${deps.adminConsentUrl}` : ''}. Then approve the request again.`
      );
    case 'blocked_by_policy':
      return 'A Conditional Access policy blocks Elevate from acting on your behalf. A tenant administrator must review the policy (the sign-in logs name it) or exclude this flow.';
    case 'user_not_allowed':
      return 'Your account cannot be used in this tenant (disabled, locked or not a member). Ask a tenant administrator, or let another SRE Agent Administrator approve.';
    case 'client_credential_invalid':
      return "Elevate's own app credential was rejected. An operator must fix Elevate's client secret or federated credential.";
    case 'invalid_scope':
      return 'Elevate asked Entra for a scope it cannot grant. An operator must check the app registration (API permission: Azure Service Management, user_impersonation).';
    case 'unavailable':
      return 'Entra could not be reached. Approve the request again in a moment; it is still pending.';
    case 'interaction_required':
    case 'assertion_expired':
      return 'Entra kept asking for another sign-in. Approve the request again; it is still pending.';
    case 'invalid_assertion':
    case 'exchange_failed':
      return 'Approve the request again; it is still pending. If this repeats, an operator should check the service logs for this request id.';
  }
}
