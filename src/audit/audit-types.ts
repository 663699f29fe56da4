/** Who did something. `agent`: the SRE agent; `user`: a person (approver, admin); `service`: another workload; `system`: Elevate itself. */
export type ActorKind = 'agent' | 'user' | 'service' | 'system';

export const ACTOR_KINDS: readonly ActorKind[] = ['agent', 'user', 'service', 'system'];

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface AuditActor {
  kind: ActorKind;
  id: string;
  name?: string | null;
}

/**
 * Denormalised search fields, stored in their own indexed columns and covered by the hash.
 * Leave a field out (or null) when it does not apply to the event.
 */
export interface AuditIndexFields {
  agentId?: string | null;
  requestId?: string | null;
  /** The Azure action, e.g. `Microsoft.Compute/virtualMachines/restart/action`. */
  action?: string | null;
  /** The ARM scope the action targets. */
  scope?: string | null;
  /** e.g. `allowed`, `denied`, `needs-approval`, `succeeded`, `failed`. */
  outcome?: string | null;
  /** Whose permissions were used: the managed identity, or the approver whose OBO token was used. */
  actingIdentity?: string | null;
  approverId?: string | null;
}

export interface AuditInput extends AuditIndexFields {
  actor: AuditActor;
  /** Dotted lower-case event name, e.g. `operation.requested`, `approval.granted`. */
  eventType: string;
  /** What the event is about, e.g. a request id or resource id. */
  subject?: string | null;
  /** Any further facts, as plain JSON (no tokens: JWT-shaped strings are redacted). */
  details?: JsonObject;
}

export interface AuditEntry {
  seq: number;
  /** ISO-8601 UTC with milliseconds, assigned when the entry is written. */
  ts: string;
  actor: { kind: ActorKind; id: string; name: string | null };
  eventType: string;
  subject: string | null;
  agentId: string | null;
  requestId: string | null;
  action: string | null;
  scope: string | null;
  outcome: string | null;
  actingIdentity: string | null;
  approverId: string | null;
  details: JsonObject;
  prevHash: string;
  hash: string;
}

/** Exact-match filters for `list`/`iterate`; all given fields must match. */
export interface AuditFilter extends AuditIndexFields {
  eventType?: string;
  actorId?: string;
  subject?: string;
  /** Inclusive lower bound on seq. */
  fromSeq?: number;
  /** Inclusive upper bound on seq. */
  toSeq?: number;
}

export interface AuditPage {
  /** 1..1000, default 50. */
  limit?: number;
  /** Newest first (default): entries with seq below this cursor. */
  before?: number;
}

export interface AuditPageResult {
  entries: AuditEntry[];
  /** Pass as `before` for the next page; null when there are no older entries. */
  nextBefore: number | null;
}

export type ChainBreakKind = 'changed' | 'deleted' | 'inserted' | 'reordered' | 'gap';

export interface ChainBreak {
  /** The first sequence number at which the chain does not hold. */
  seq: number;
  kind: ChainBreakKind;
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  /** Entries verified intact (all of them when ok). */
  entriesChecked: number;
  /** The last intact entry (the anchor, or 0 and the genesis hash, when none). */
  lastSeq: number;
  lastHash: string;
  firstBreak?: ChainBreak;
}

export interface VerifyOptions {
  /** Called after each page with the running count, for progress bars. */
  onProgress?: (entriesChecked: number) => void;
}

/** Where the chain starts: after an archived prefix, or at genesis. */
export interface AuditAnchor {
  throughSeq: number;
  lastHash: string;
  setAt: string;
  archiveRef: string | null;
  /**
   * The seal column as stored (JSON {keyId, signature}: retention's signature over the anchor,
   * src/audit/audit-anchor-seal.ts); null for an anchor set by a build before seals.
   */
  seal: string | null;
}
