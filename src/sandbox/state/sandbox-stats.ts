/**
 * Request counters, so tests and benchmarks can see how many calls reached the sandbox (how many
 * ARM list pages a feature costs, for instance). Counted per route kind and per calling principal.
 *
 * ARM route kinds (every page of a list counts once): subscriptions.list|get,
 * resourceGroups.list|get, resources.listByResourceGroup|listBySubscription, resources.get|update|action,
 * roleAssignments.list|get|create|delete, roleDefinitions.list|get, denyAssignments.list|get,
 * permissions.list, managementGroups.list|get|descendants, operations.status, activityLog.list, unknown.
 * Entra grants: authorization_code, refresh_token, client_credentials, on_behalf_of.
 */

export interface SandboxStatsSnapshot {
  arm: { total: number; byKind: Record<string, number>; byPrincipal: Record<string, Record<string, number>> };
  entra: { total: number; byGrant: Record<string, number>; signIns: number };
  imds: { total: number; byClientId: Record<string, number> };
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

export class SandboxStats {
  private s: SandboxStatsSnapshot = SandboxStats.empty();

  private static empty(): SandboxStatsSnapshot {
    return {
      arm: { total: 0, byKind: {}, byPrincipal: {} },
      entra: { total: 0, byGrant: {}, signIns: 0 },
      imds: { total: 0, byClientId: {} },
    };
  }

  countArm(kind: string, principalId: string | undefined): void {
    this.s.arm.total++;
    bump(this.s.arm.byKind, kind);
    if (principalId) bump((this.s.arm.byPrincipal[principalId] ??= {}), kind);
  }

  countGrant(grant: string): void {
    this.s.entra.total++;
    bump(this.s.entra.byGrant, grant);
  }

  countSignIn(): void {
    this.s.entra.signIns++;
  }

  countImds(clientId: string): void {
    this.s.imds.total++;
    bump(this.s.imds.byClientId, clientId);
  }

  snapshot(): SandboxStatsSnapshot {
    return structuredClone(this.s);
  }

  reset(): void {
    this.s = SandboxStats.empty();
  }
}
