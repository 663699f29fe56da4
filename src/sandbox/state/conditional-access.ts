import type { ConditionalAccessPolicy } from '../seed/conditional-access-schema.ts';

/**
 * The tenant's Conditional Access: its policies (from the seed, changed at run time through the
 * sandbox admin API) and which users have registered a multifactor authentication method. None
 * by default, as in a new tenant. Only policies in state `enabled` are enforced; report-only and
 * disabled ones are kept but never applied.
 * https://learn.microsoft.com/entra/identity/conditional-access/overview
 */
export class ConditionalAccess {
  private readonly policies = new Map<string, ConditionalAccessPolicy>();
  private readonly mfaRegistered: Set<string>;

  constructor(policies: ConditionalAccessPolicy[], mfaRegisteredOids: string[]) {
    for (const p of policies) this.put(p);
    this.mfaRegistered = new Set(mfaRegisteredOids.map((o) => o.toLowerCase()));
  }

  list(): ConditionalAccessPolicy[] {
    return [...this.policies.values()];
  }

  /** Creates or replaces the policy with this id. */
  put(policy: ConditionalAccessPolicy): void {
    this.policies.set(policy.id.toLowerCase(), { ...policy, id: policy.id.toLowerCase() });
  }

  remove(id: string): boolean {
    return this.policies.delete(id.toLowerCase());
  }

  hasMfaMethod(userOid: string): boolean {
    return this.mfaRegistered.has(userOid.toLowerCase());
  }

  /** The user registered a method during a sign-in that required MFA (combined registration). */
  registerMfa(userOid: string): void {
    this.mfaRegistered.add(userOid.toLowerCase());
  }

  /** Enforced policies that apply to this user and target this resource (by app id). */
  forResource(userOid: string, resourceAppId: string): ConditionalAccessPolicy[] {
    const app = resourceAppId.toLowerCase();
    return this.enforcedFor(userOid).filter((p) => p.conditions.applications.includeApplications.some((a) => a === 'All' || a.toLowerCase() === app));
  }

  /** Enforced policies that apply to this user and target one of these authentication contexts. */
  forAuthContexts(userOid: string, contexts: readonly string[]): ConditionalAccessPolicy[] {
    return this.enforcedFor(userOid).filter((p) => p.conditions.applications.includeAuthenticationContextClassReferences.some((c) => contexts.includes(c)));
  }

  /** Enforced policies among these ids that apply to this user (a claims challenge names them). */
  byIds(userOid: string, ids: readonly string[]): ConditionalAccessPolicy[] {
    return this.enforcedFor(userOid).filter((p) => ids.includes(p.id));
  }

  private enforcedFor(userOid: string): ConditionalAccessPolicy[] {
    const oid = userOid.toLowerCase();
    return this.list().filter((p) => {
      if (p.state !== 'enabled') return false;
      const users = p.conditions.users;
      if (users.excludeUsers.some((u) => u.toLowerCase() === oid)) return false;
      return users.includeUsers.some((u) => u === 'All' || u.toLowerCase() === oid);
    });
  }
}
