/**
 * The PostgreSQL fixtures of the issue-16 benchmarks: a fresh migrated database on a server, and
 * a long audit chain loaded fast (unnest() arrays, indexes rebuilt after) with entries shaped like
 * the service's own. Shared by postgres.bench.ts and scratch profiling of verification.
 */
import pg from 'pg';
import { computeEntryHash, GENESIS_HASH } from '../src/audit/audit-hash.ts';
import { prepareEntry } from '../src/audit/audit-input.ts';
import type { AuditInput } from '../src/audit/audit-types.ts';
import { migratePostgres } from '../src/store/postgres-migrations.ts';

const log = (msg: string) => process.stderr.write(`[postgres fixture] ${msg}\n`);

export const AGENTS = 20;
export const ACTIONS = ['Microsoft.Compute/virtualMachines/restart/action', 'Microsoft.App/containerApps/write', 'Microsoft.Web/sites/restart/action', 'Microsoft.KeyVault/vaults/write', 'Microsoft.Insights/diagnosticSettings/write'];
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const STEP_MS = 1000;

export function input(i: number): AuditInput {
  return {
    actor: { kind: i % 3 ? 'agent' : 'user', id: `agent-${i % AGENTS}`, name: 'SRE agent' },
    eventType: ['operation.requested', 'operation.decided', 'operation.executed'][i % 3]!,
    subject: `req-${i >> 2}`,
    agentId: `agent-${i % AGENTS}`,
    requestId: `req-${i >> 2}`,
    action: ACTIONS[i % ACTIONS.length]!,
    scope: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${i % 50}/providers/Microsoft.Compute/virtualMachines/vm-${i % 500}`,
    outcome: i % 5 ? 'allowed' : 'needs-approval',
    actingIdentity: 'uami-sre-agent',
    approverId: i % 5 ? null : `approver-${i % 3}`,
    details: { reason: 'restart after failed health probe', attempt: i % 4 },
  };
}

export async function freshPostgres(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 });
  await migratePostgres(pool);
  await pool.end();
  return url.toString();
}

/** The chain loaded with unnest() arrays, 10,000 rows a statement, indexes rebuilt after. */
export async function loadChain(url: string, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_log' AND indexname NOT IN (SELECT conname FROM pg_constraint)",
  );
  for (const ix of indexes) await client.query(`DROP INDEX ${ix.indexname}`);
  const pool = Array.from({ length: 1000 }, (_, i) => prepareEntry(input(i)));
  const columns = ['seq', 'ts', 'actor_kind', 'actor_id', 'actor_name', 'event_type', 'subject', 'agent_id', 'request_id', 'action', 'scope', 'outcome', 'acting_identity', 'approver_id', 'details', 'prev_hash', 'hash'] as const;
  let prev = GENESIS_HASH;
  await client.query('BEGIN');
  for (let base = 0; base < count; base += 10_000) {
    const arrays: unknown[][] = columns.map(() => []);
    for (let i = base; i < Math.min(count, base + 10_000); i++) {
      const row = { ...pool[i % pool.length]!, seq: i + 1, ts: new Date(T0 + i * STEP_MS).toISOString() };
      const hash = computeEntryHash(prev, row);
      const full: Record<string, unknown> = { ...row, prev_hash: prev, hash };
      columns.forEach((c, k) => arrays[k]!.push(full[c] ?? null));
      prev = hash;
    }
    await client.query(
      `INSERT INTO audit_log (${columns.join(', ')}) SELECT * FROM unnest($1::bigint[], ${columns
        .slice(1)
        .map((_, k) => `$${k + 2}::text[]`)
        .join(', ')})`,
      arrays,
    );
    if ((base / 10_000) % 20 === 19) log(`  loaded ${(base + 10_000).toLocaleString('en-US')} entries`);
  }
  await client.query('COMMIT');
  log('rebuilding indexes');
  for (const ix of indexes) await client.query(ix.indexdef);
  await client.query('VACUUM ANALYZE audit_log');
  await client.end();
}
