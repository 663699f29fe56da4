/**
 * What `elevate doctor` and the Test connection page know about one agent's Azure setup,
 * gathered once (doctor-gatherer.ts) and judged by pure checks (doctor-checks.ts).
 */

/** An Azure failure reduced to what a person can act on: ARM code / AADSTS number, status, first line. */
export interface AzureErrorFact {
  code?: string;
  status?: number;
  message: string;
}

export type Probe<T> = { ok: true; value: T } | { ok: false; error: AzureErrorFact };

export interface GroupFacts {
  resourceGroupId: string;
  /** Role names the level wants there and ARM shows the UAMI holding (directly); absent when the plan failed. */
  roles?: { present: string[]; missing: string[] };
  /** The UAMI listing the group's resources with its own token. */
  resourcesVisible: Probe<number> | undefined;
  inventoryError?: string;
}

export interface FederatedCredentialFacts {
  tokenFile: string;
  /** Claims of the projected token, read without verifying it; the token itself is never kept. */
  issuer?: string;
  subject?: string;
  audience?: string;
  expiresAt?: string;
  readError?: string;
}

export interface GovernanceFacts {
  credentialKind: 'secret' | 'workload-identity' | 'managed-identity';
  clientId: string;
  token: Probe<true>;
  federated?: FederatedCredentialFacts;
  /** Per scope Elevate must change: whether its own principal may write role assignments there. */
  canAssignRoles: Array<{ scope: string; result: Probe<boolean> }>;
  /**
   * The Microsoft Graph application permissions granted to Elevate's app: the `roles` claim of an
   * app-only Graph token it obtains with its own credential (read, never kept). Absent when no
   * Graph token was asked for (no ARM token either).
   */
  graphPermissions?: Probe<string[]>;
  /** Client secret expiry, when it can be read (Microsoft Graph); otherwise why not. */
  secretExpiry: { known: true; expiresAt: string } | { known: false; reason: string };
}

/** Recent completed sign-ins (from the audit log) and how many carried `auth_time`. */
export interface SignInFacts {
  examined: number;
  withAuthTime: number;
  /** When the newest of them happened. */
  latestAt?: string;
}

export interface DoctorFacts {
  now: string;
  mode: 'sandbox' | 'azure';
  agent: {
    name: string;
    level: string;
    uamiClientId: string;
    uamiPrincipalId: string;
    resourceGroupIds: string[];
  };
  /** Subscriptions holding the agent's managed groups. */
  expectedSubscriptions: string[];
  managedIdentity: { endpoint: string; token: Probe<true> };
  /** Subscriptions the UAMI can read (GET /subscriptions with its token); absent when no token. */
  uamiSubscriptions: Probe<string[]> | undefined;
  groups: GroupFacts[];
  governance: GovernanceFacts;
  /** Hand-made assignments that give the UAMI more than its level (from the plan). */
  driftMessages: string[];
  /** Set when the plan (inventory and role assignments, read with Elevate's credential) failed. */
  planError?: AzureErrorFact;
  /** Absent when the audit log could not be read. */
  signIns?: SignInFacts;
  /** How time-bound level raises are granted here (src/raises): PIM schedules, or plain assignments Elevate revokes. */
  raiseMode?: { mode: 'pim' | 'fallback'; reason: string; scope?: string };
}
