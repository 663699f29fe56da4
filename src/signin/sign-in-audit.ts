import type { AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { SessionUser } from '../sessions/session-data.ts';
import type { AccountRefusal, SignInClaims } from './account-checks/account-check.ts';
import { claimString } from './account-checks/account-check.ts';
import type { ProtocolFailure } from './callback-failure.ts';

/** The audit log as sign-in uses it: `append` rejects when the entry could not be written. */
export interface SignInAuditLog {
  append(input: AuditInput): Promise<unknown>;
}

/** Who tried, as far as the (validated) claims say; never the token itself. */
function claimsSummary(claims: SignInClaims | undefined): JsonObject {
  if (!claims) return {};
  const summary: JsonObject = {};
  for (const name of ['oid', 'tid', 'iss', 'idp', 'preferred_username', 'upn', 'name']) {
    const value = claimString(claims, name);
    if (value !== undefined) summary[name] = value.slice(0, 256);
  }
  if (typeof claims.acct === 'number') summary.acct = claims.acct;
  if (Array.isArray(claims.roles)) summary.roles = claims.roles.filter((r): r is string => typeof r === 'string').slice(0, 20);
  return summary;
}

export function refusedSignInEntry(failure: ProtocolFailure | { kind: 'account'; refusal: AccountRefusal }, claims?: SignInClaims): AuditInput {
  const who = claimsSummary(claims);
  const oid = typeof who.oid === 'string' ? who.oid : undefined;
  const name = typeof who.preferred_username === 'string' ? who.preferred_username : typeof who.upn === 'string' ? who.upn : undefined;
  const reason = failure.kind === 'protocol' ? failure.reason : failure.refusal.reason;
  const details: JsonObject = { reason, stage: failure.kind, claims: who };
  if (failure.kind === 'protocol' && failure.idpError) details.idpError = failure.idpError;
  if (failure.kind === 'account' && failure.refusal.neededRoles) details.neededRoles = [...failure.refusal.neededRoles];
  // where the mapped groups came from: "absent" (no group claim) or "unreadable" (overage, Graph did not answer)
  if (failure.kind === 'account' && failure.refusal.groupsSource) details.groupsSource = failure.refusal.groupsSource;
  return {
    // An unidentified caller is recorded as the anonymous browser it is.
    actor: oid ? { kind: 'user', id: oid, name: name ?? null } : { kind: 'user', id: 'anonymous' },
    eventType: 'signin.refused',
    outcome: 'denied',
    details,
  };
}

export function completedSignInEntry(user: SessionUser, details: JsonObject): AuditInput {
  return {
    actor: { kind: 'user', id: user.oid, name: user.upn },
    eventType: 'signin.completed',
    outcome: 'succeeded',
    details: { tid: user.tid, roles: user.roles, authTime: user.authTime, ...details },
  };
}

export function signedOutEntry(user: SessionUser, reason: 'user' | 'idle-timeout' | 'absolute-timeout'): AuditInput {
  return {
    actor: { kind: 'user', id: user.oid, name: user.upn },
    eventType: 'signin.ended',
    outcome: 'succeeded',
    details: { reason },
  };
}
