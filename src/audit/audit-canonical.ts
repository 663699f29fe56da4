/**
 * An entry as the hash covers it: the canonical JSON the entry page shows next to the hash, and
 * the recomputed hash, so an auditor can check one entry by hand (sha256(prevHash + json)).
 */
import { canonicalContent, canonicalDetails, computeEntryHash, type AuditRowContent } from './audit-hash.ts';
import type { AuditEntry } from './audit-types.ts';

export function entryContent(e: AuditEntry): AuditRowContent {
  return {
    seq: e.seq,
    ts: e.ts,
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    actor_name: e.actor.name,
    event_type: e.eventType,
    subject: e.subject,
    agent_id: e.agentId,
    request_id: e.requestId,
    action: e.action,
    scope: e.scope,
    outcome: e.outcome,
    acting_identity: e.actingIdentity,
    approver_id: e.approverId,
    // The stored text is canonical JSON, so canonicalising the parsed object gives it back.
    details: canonicalDetails(e.details),
  };
}

export function canonicalEntryJson(e: AuditEntry): string {
  return canonicalContent(entryContent(e));
}

export function recomputedHash(e: AuditEntry): string {
  return computeEntryHash(e.prevHash, entryContent(e));
}
