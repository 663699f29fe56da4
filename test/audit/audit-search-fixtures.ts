import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import type { AuditEntry, AuditInput } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';

/** A small deterministic PRNG (mulberry32), so a failing combination can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;

const SCOPES = [
  '/subscriptions/s1/resourceGroups/rg1',
  '/subscriptions/s1/resourceGroups/rg10',
  '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm1',
  '/subscriptions/s1/resourceGroups/rg10/providers/Microsoft.Compute/virtualMachines/vm1',
  '/subscriptions/S1/resourcegroups/RG1/providers/Microsoft.Web/sites/app-1',
  '/subscriptions/s1/resourceGroups/rg1-old',
  '/subscriptions/s2/resourceGroups/rg1',
  '/subscriptions/s2',
  '/subscriptions/s1',
];
const ACTIONS = [
  'Microsoft.Compute/virtualMachines/restart/action',
  'Microsoft.Compute/virtualMachines/read',
  'Microsoft.Web/sites/restart/action',
  'Microsoft.Resources/deployments/write',
];
const EVENTS = ['operation.requested', 'operation.transition', 'arm.request', 'arm.response', 'approval.decided', 'token.discarded', 'operation.forbidden'];
const OUTCOMES = ['pending_elevation', 'execute', 'succeeded', 'denied', 'expired', 'forbidden', '200'];
/**
 * `agent:<id>` as written since 011; an approver's object id (OBO when the entry's actor is that
 * user); Elevate's governance identity; and UAMI principal ids as entries before 011 recorded them.
 */
const IDENTITIES = ['agent:a1', 'agent:a2', 'approver-1', 'approver-2', 'elevate-governance', 'uami-principal-1', 'uami-principal-2'];

/** The i-th generated entry: every filter column varies, and each is sometimes null. */
export function generatedInput(rand: () => number, i: number): AuditInput {
  const maybe = <T>(v: T): T | null => (rand() < 0.15 ? null : v);
  const hostile = i % 97 === 0 ? "=cmd|' /C calc'!A0" : undefined;
  return {
    actor: { kind: pick(rand, ['agent', 'user', 'system'] as const), id: pick(rand, ['a1', 'a2', 'approver-1', 'elevate']) },
    eventType: pick(rand, EVENTS),
    subject: hostile ?? null,
    agentId: maybe(pick(rand, ['a1', 'a2', 'a3'])),
    requestId: maybe(`req-${Math.floor(rand() * 60)}`),
    action: maybe(pick(rand, ACTIONS)),
    scope: maybe(pick(rand, SCOPES)),
    outcome: maybe(pick(rand, OUTCOMES)),
    actingIdentity: maybe(pick(rand, IDENTITIES)),
    approverId: maybe(pick(rand, ['approver-1', 'approver-2'])),
    details: { i, note: hostile ?? `entry ${i}` },
  };
}

/** A clock that moves forward by 0..3 hours per call (0 often, for equal timestamps), or sometimes back. */
export function wanderingClock(rand: () => number, options: { stepBack?: number } = {}): () => Date {
  let t = Date.parse('2026-01-01T00:00:00.000Z');
  return () => {
    const r = rand();
    if (options.stepBack !== undefined && r < options.stepBack) t -= Math.floor(rand() * 3_600_000);
    else if (r < 0.2) t += 0;
    else t += Math.floor(rand() * 3 * 3_600_000);
    return new Date(t);
  };
}

export async function generatedLog(count: number, seed: number, options: { stepBack?: number } = {}): Promise<{ db: Database; audit: AuditLog; entries: AuditEntry[] }> {
  const rand = prng(seed);
  const db = await openTestStore();
  const audit = createAuditLog(db, { clock: wanderingClock(prng(seed + 1), options) });
  const entries: AuditEntry[] = [];
  // Batches of concurrent appends share transactions (group commit) and keep the test quick.
  for (let i = 0; i < count; i += 250) {
    const batch = Array.from({ length: Math.min(250, count - i) }, (_, j) => generatedInput(rand, i + j));
    entries.push(...(await Promise.all(batch.map((b) => audit.append(b)))));
  }
  entries.sort((a, b) => a.seq - b.seq);
  return { db, audit, entries };
}
