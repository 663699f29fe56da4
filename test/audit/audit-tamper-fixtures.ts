import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import { loadCheckpointKey, type CheckpointKey } from '../../src/audit/audit-checkpoint-key.ts';
import { createCheckpointStore, type CheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { createCheckpointer, type Checkpointer } from '../../src/audit/audit-checkpointer.ts';
import { computeEntryHash, GENESIS_HASH, type AuditRow } from '../../src/audit/audit-hash.ts';
import { ROW_COLUMNS } from '../../src/audit/audit-rows.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';

export function useTempDir(): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-audit7-'));
    dirs.push(dir);
    return dir;
  };
}

/** A clock the test moves; each read also ticks a millisecond so timestamps differ. */
export function manualClock(start = Date.parse('2026-03-01T00:00:00.000Z')) {
  let t = start;
  const clock = () => new Date(t++);
  return { clock, advance: (ms: number) => void (t += ms), now: () => t };
}

export interface Rig {
  dir: string;
  db: Database;
  audit: AuditLog;
  key: CheckpointKey;
  store: CheckpointStore;
  checkpointer: Checkpointer;
  archiveDir: string;
  time: ReturnType<typeof manualClock>;
}

export async function rig(dir: string, every = 10): Promise<Rig> {
  const time = manualClock();
  const db = await openTestStore(join(dir, 'elevate.db'), 'elevate_audit');
  const key = loadCheckpointKey(join(dir, 'keys', 'checkpoint.pem'), { create: true });
  const archiveDir = join(dir, 'archive');
  const store = createCheckpointStore(db, archiveDir);
  const checkpointer = createCheckpointer({ db, key, store, every, clock: time.clock });
  const audit = createAuditLog(db, { clock: time.clock });
  return { dir, db, audit, key, store, checkpointer, archiveDir, time };
}

export function input(i: number): AuditInput {
  return {
    actor: { kind: 'agent', id: 'a1', name: 'SRE agent' },
    eventType: 'operation.requested',
    agentId: 'a1',
    requestId: `req-${i}`,
    action: 'Microsoft.Compute/virtualMachines/restart/action',
    scope: '/subscriptions/s1/resourceGroups/rg1',
    outcome: 'execute',
    details: { i },
  };
}

export async function appendMany(audit: AuditLog, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) await audit.append(input(i));
}

export async function rows(db: Database): Promise<AuditRow[]> {
  return db.all<AuditRow>(`SELECT ${ROW_COLUMNS} FROM audit_log ORDER BY seq`);
}

/** What an attacker with write access to the database can do: drop the append-only triggers (either engine). */
export async function dropGuards(db: Database): Promise<void> {
  // PostgreSQL names a trigger per table (DROP TRIGGER … ON), SQLite per schema; db.path is the URL there.
  const on = (table: string) => (db.path.startsWith('postgres') ? ` ON ${table}` : '');
  await db.exec(
    `DROP TRIGGER IF EXISTS audit_log_no_update${on('audit_log')}; DROP TRIGGER IF EXISTS audit_log_no_delete${on('audit_log')}; DROP TRIGGER IF EXISTS audit_anchor_no_delete${on('audit_anchor')}; DROP TRIGGER IF EXISTS audit_anchor_update_forward${on('audit_anchor')};`,
  );
}

/** Replaces the whole table with `next`, re-hashing every entry from genesis so the chain itself verifies. */
export async function rewriteChain(db: Database, next: AuditRow[], startHash = GENESIS_HASH): Promise<void> {
  await dropGuards(db);
  let prev = startHash;
  const rehashed = next.map((r) => {
    const hash = computeEntryHash(prev, r);
    const row = { ...r, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
  await db.transaction(async (tx) => {
    await tx.run('DELETE FROM audit_log');
    for (const r of rehashed) {
      await tx.run(`INSERT INTO audit_log (${ROW_COLUMNS}) VALUES (${new Array(17).fill('?').join(', ')})`, [
        r.seq, r.ts, r.actor_kind, r.actor_id, r.actor_name, r.event_type, r.subject, r.agent_id, r.request_id, r.action, r.scope, r.outcome, r.acting_identity, r.approver_id, r.details, r.prev_hash, r.hash,
      ]);
    }
  });
}
