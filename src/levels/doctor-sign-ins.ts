import type { AuditLog } from '../audit/audit-log.ts';
import type { SignInFacts } from './doctor-facts.ts';

/** Completed sign-ins looked at: enough to see a tenant's current shape, cheap to read. */
export const SIGN_INS_EXAMINED = 50;

/**
 * Whether recent sign-ins carried `auth_time` (an optional claim in Entra ID, off unless the app
 * registration asks for it), from the audit log: every completed sign-in is recorded with its
 * `authTime`, null when the ID token had none.
 */
export async function gatherSignInFacts(audit: Pick<AuditLog, 'list'>): Promise<SignInFacts> {
  const { entries } = await audit.list({ eventType: 'signin.completed' }, { limit: SIGN_INS_EXAMINED });
  const withAuthTime = entries.filter((e) => typeof e.details.authTime === 'number').length;
  return { examined: entries.length, withAuthTime, ...(entries[0] ? { latestAt: entries[0].ts } : {}) };
}
