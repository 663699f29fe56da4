/**
 * SQLite-specific (adapter test): copies SQLite files written before migration 011.
 * Not in the ELEVATE_TEST_STORE=postgres lane.
 */
/**
 * Migration 011 on a database written before it: requests and executions that ran with the
 * agent's managed identity recorded its UAMI principal id; they now say `agent:<id>`. An
 * approver's object id (OBO) is left alone, and the audit log is not touched (its chain verifies).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { openDatabase } from '../../src/store/database.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/store/migrations.ts';

const UAMI = '9D0C1E2F-3A4B-4C5D-8E6F-708192A3B4C5';
const APPROVER = '11111111-2222-4333-8444-555555555555';

async function insertRequest(db: Awaited<ReturnType<typeof openDatabase>>, id: string, acting: string) {
  const hash = 'a'.repeat(64);
  await db.run(
    `INSERT INTO operation_requests (id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version, trigger_kind, action, scope,
       run_mode, outcome, decision_json, state, created_at, updated_at, acting_identity)
     VALUES (?, 'agent-1', ?, ?, ?, 'POST', '/x', '2024-01-01', 'chat', 'a/action', '/subscriptions/s', 'Review', 'pending_consent', '{}', 'succeeded', '2026-01-01', '2026-01-01', ?)`,
    [id, `key-${id}`, hash, hash, acting],
  );
  await db.run("INSERT INTO executions (request_id, acting_identity, operation_hash, started_at) VALUES (?, ?, ?, '2026-01-01')", [id, acting, hash]);
}

describe('migration 011', () => {
  it('rewrites the UAMI principal id of managed-identity executions to agent:<id>, and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-mig-'));
    const before = join(dir, 'before');
    mkdirSync(before);
    for (const f of readdirSync(DEFAULT_MIGRATIONS_DIR)) if (Number(f.slice(0, 3)) < 11) copyFileSync(join(DEFAULT_MIGRATIONS_DIR, f), join(before, f));

    const db = await openDatabase(join(dir, 'elevate.db'));
    await migrate(db, { dir: before });
    await db.run(
      "INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES ('agent-1', 'sre', 'c1', ?, 't', 'Privileged', 'Review', '2026-01-01', '2026-01-01')",
      [UAMI],
    );
    await insertRequest(db, 'req-consent', UAMI);
    await insertRequest(db, 'req-elevation', APPROVER);
    const audit = createAuditLog(db);
    await audit.append({ actor: { kind: 'user', id: APPROVER }, eventType: 'operation.transition', agentId: 'agent-1', requestId: 'req-consent', outcome: 'executing', actingIdentity: UAMI });

    await migrate(db);
    const acting = async (table: string, id: string) =>
      (await db.get<{ acting_identity: string }>(`SELECT acting_identity FROM ${table} WHERE ${table === 'executions' ? 'request_id' : 'id'} = ?`, [id]))!.acting_identity;
    expect(await acting('operation_requests', 'req-consent')).toBe('agent:agent-1');
    expect(await acting('executions', 'req-consent')).toBe('agent:agent-1');
    expect(await acting('operation_requests', 'req-elevation')).toBe(APPROVER);
    expect(await acting('executions', 'req-elevation')).toBe(APPROVER);
    // The hash-chained record keeps what it recorded, and still verifies.
    const entries = (await audit.list({ requestId: 'req-consent' })).entries;
    expect(entries[0]!.actingIdentity).toBe(UAMI);
    expect((await audit.verify()).ok).toBe(true);
    await db.close();
  });
});
