import { join } from 'node:path';
import { createAuditLog, type AuditLog, type AuditLogDeps } from '../../src/audit/audit-log.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import type { AuditRow } from '../../src/audit/audit-hash.ts';
import { openTestStore } from '../support/test-store.ts';

/** A clock that ticks one millisecond per call from a fixed instant. */
export function steppingClock(start = Date.parse('2026-03-01T12:00:00.000Z')): () => Date {
  let t = start;
  return () => new Date(t++);
}

/** A migrated store on the lane's engine (test/support/test-store.ts): `path` is the SQLite file's, unused on PostgreSQL. */
export async function openAudit(dir: string, deps: AuditLogDeps = {}): Promise<{ db: Database; audit: AuditLog; path: string }> {
  const path = join(dir, 'elevate.db');
  const db = await openTestStore(path, 'elevate_audit');
  return { db, audit: createAuditLog(db, { clock: steppingClock(), ...deps }), path };
}

/** The i-th of a varied set of inputs: every column gets filled by some entries. */
export function sampleInput(i: number): AuditInput {
  const kinds = ['agent', 'user', 'service', 'system'] as const;
  return {
    actor: { kind: kinds[i % 4]!, id: `actor-${i % 3}`, name: i % 2 ? `Actor ${i % 3}` : null },
    eventType: ['operation.requested', 'operation.decided', 'approval.granted', 'operation.executed'][i % 4]!,
    subject: `req-${Math.floor(i / 4)}`,
    agentId: `agent-${i % 2}`,
    requestId: `req-${Math.floor(i / 4)}`,
    action: 'Microsoft.Compute/virtualMachines/restart/action',
    scope: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${i % 3}`,
    outcome: i % 4 === 1 ? 'needs-approval' : 'allowed',
    actingIdentity: i % 4 === 3 ? 'approver-1' : 'uami-sre',
    approverId: i % 4 >= 2 ? 'approver-1' : null,
    details: { i, note: `entry ${i}`, nested: { list: [1, 'two', null, true] } },
  };
}

export async function seed(audit: AuditLog, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await audit.append(sampleInput(i));
}

/** Drops one trigger of `table`, as an attacker with the database would (either engine). */
export async function dropTrigger(db: Database, trigger: string, table: string): Promise<void> {
  // PostgreSQL names a trigger per table (DROP TRIGGER … ON), SQLite per schema; db.path is the URL there.
  await db.exec(`DROP TRIGGER ${trigger}${db.path.startsWith('postgres') ? ` ON ${table}` : ''}`);
}

/** Drops the audit log's append-only triggers, as an attacker with the database would (either engine). */
export async function dropGuards(db: Database): Promise<void> {
  await dropTrigger(db, 'audit_log_no_update', 'audit_log');
  await dropTrigger(db, 'audit_log_no_delete', 'audit_log');
}

/**
 * Lets audit_log take hashes of any length, as an attacker with the database can: PostgreSQL's
 * column CHECKs are dropped; SQLite's cannot be, short of rebuilding the table, so this
 * connection (the writer, which the test's updates use) ignores them.
 */
export async function dropHashLengthChecks(db: Database): Promise<void> {
  if (db.path.startsWith('postgres')) await db.exec('ALTER TABLE audit_log DROP CONSTRAINT audit_log_hash_check, DROP CONSTRAINT audit_log_prev_hash_check');
  else await db.exec('PRAGMA ignore_check_constraints = ON');
}

/** A log of `n` entries in `dir` whose append-only guards are dropped (to tamper with it), closed after `fn`. */
export async function withTamperableLog(dir: string, n: number, fn: (db: Database, audit: AuditLog) => Promise<void>): Promise<void> {
  const { db, audit } = await openAudit(dir);
  try {
    await seed(audit, n);
    await dropGuards(db);
    await fn(db, audit);
  } finally {
    await db.close();
  }
}

/** The stored row of entry `seq`, as verification reads it. */
export const rowAt = async (db: Database, seq: number): Promise<AuditRow> => (await db.get<AuditRow>('SELECT * FROM audit_log WHERE seq = ?', [seq]))!;
