/**
 * Turns what a check found into a Decision: deny assignments win, then plain grants; grants
 * that hang on an ABAC condition never allow on their own. The message is one line for logs
 * and the CLI, built only from validated input (action, canonical scope, ids).
 */
import type { ConditionalExplanation, Decision, DenyExplanation, GrantExplanation, RoleSuggestion } from './rbac-types.ts';

export interface Findings {
  /** "<action>[ (data action)] at <canonical scope>" */
  what: string;
  principalId: string;
  grantedBy: GrantExplanation[];
  deniedBy: DenyExplanation[];
  conditionalGrants: ConditionalExplanation[];
}

export function decide(f: Findings, wouldBeGrantedBy: RoleSuggestion[]): Decision {
  const { what, grantedBy, deniedBy, conditionalGrants } = f;
  const d = deniedBy[0];
  if (d) {
    return {
      allowed: false,
      reason: 'denied-by-deny-assignment',
      message: `denied: deny assignment ${d.denyAssignmentName ?? d.denyAssignmentId} at ${d.scope} blocks ${what}`,
      grantedBy,
      deniedBy,
      conditionalGrants,
      wouldBeGrantedBy: [],
    };
  }
  const g = grantedBy[0];
  if (g) {
    return {
      allowed: true,
      reason: 'granted',
      message: `allowed: ${what} granted by ${g.roleName} assigned at ${g.assignmentScope}${g.viaGroup ? ` to group ${g.viaPrincipalId}` : ''} (pattern ${g.matchedPattern})`,
      grantedBy,
      deniedBy,
      conditionalGrants,
      wouldBeGrantedBy: [],
    };
  }
  const conditionalOnly = conditionalGrants.length > 0;
  return {
    allowed: false,
    reason: conditionalOnly ? 'only-conditional-grants' : 'no-matching-assignment',
    message: conditionalOnly
      ? `not allowed: ${what} is only granted under ABAC conditions Elevate cannot evaluate (${conditionalGrants.map((c) => c.roleName).join(', ')})`
      : `not allowed: no role assignment of ${f.principalId} or its groups grants ${what}`,
    grantedBy,
    deniedBy,
    conditionalGrants,
    wouldBeGrantedBy,
  };
}
