/**
 * Issue 16's storage figures, in one run so the ratios mean something on a shared machine:
 * - durable audit appends/s: SQLite (one instance) next to PostgreSQL with one and with two
 *   instances (two handles, each its own pool and AuditLog, appending at once), rounds
 *   alternating;
 * - a 1,000,000-entry chain on PostgreSQL: `verifyChain` time (target < 5 s), and the filtered
 *   audit list's p95 over 1M entries (target < 50 ms), by agent, by action and by 1-hour window.
 * PostgreSQL: ELEVATE_BENCH_DATABASE_URL (a role that may create databases), or a throwaway
 * cluster started here as the tests do. Progress on stderr, Markdown on stdout.
 *
 *   --entries N   chain length for verify and list (default 1,000,000)
 *   --rounds N    append rounds (default 3)
 */
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { computeEntryHash, GENESIS_HASH } from '../src/audit/audit-hash.ts';
import { prepareEntry } from '../src/audit/audit-input.ts';
import { createAuditLog } from '../src/audit/audit-log.ts';
import type { AuditInput } from '../src/audit/audit-types.ts';
import { verifyChain } from '../src/audit/audit-verify.ts';
import type { Database } from '../src/store/database.ts';
import { openStore } from '../src/store/migrations.ts';
import { openPostgresDatabase } from '../src/store/postgres-database.ts';
import { migratePostgres } from '../src/store/postgres-migrations.ts';
import { startThrowawayPostgres } from '../test/support/throwaway-postgres.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ENTRIES = Number(arg('--entries') ?? 1_000_000);
const ROUNDS = Number(arg('--rounds') ?? 3);
const APPENDS = 4000;
const CONCURRENCY = 200;
const LIST_QUERIES = 200;
const log = (msg: string) => process.stderr.write(`[postgres.bench] ${msg}\n`);
const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)]!;

const AGENTS = 20;
const ACTIONS = ['Microsoft.Compute/virtualMachines/restart/action', 'Microsoft.App/containerApps/write', 'Microsoft.Web/sites/restart/action', 'Microsoft.KeyVault/vaults/write', 'Microsoft.Insights/diagnosticSettings/write'];
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const STEP_MS = 1000;

function input(i: number): AuditInput {
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

/** `total` appends through the given logs, CONCURRENCY in flight, spread over the logs; entries/s. */
async function appendRate(logs: ReturnType<typeof createAuditLog>[], total: number): Promise<number> {
  const start = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      const audit = logs[worker % logs.length]!;
      while (next < total) {
        const i = next++;
        await audit.append(input(i));
      }
    }),
  );
  return total / ((now() - start) / 1000);
}

async function freshPostgres(serverUrl: string, name: string): Promise<string> {
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
async function loadChain(url: string, count: number): Promise<void> {
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

async function main(): Promise<void> {
  const given = process.env.ELEVATE_BENCH_DATABASE_URL;
  const server = given ? { url: given, stop: async () => {} } : await startThrowawayPostgres();
  const lines: string[] = [];
  try {
    // ---- appends --------------------------------------------------------------------------
    const sqlite = await openStore({ dbPath: join(mkdtempSync(join(tmpdir(), 'elevate-bench-pg-')), 'elevate.db') });
    const pgUrl = await freshPostgres(server.url, 'elevate_bench_appends');
    const pgA = await openPostgresDatabase(pgUrl, { poolSize: 10 });
    const pgB = await openPostgresDatabase(pgUrl, { poolSize: 10 });
    const sqliteLog = createAuditLog(sqlite);
    const oneLog = createAuditLog(pgA);
    const twoLogs = [createAuditLog(pgA), createAuditLog(pgB)];
    await appendRate([sqliteLog], 500);
    await appendRate([oneLog], 500);
    const rounds: Array<{ sqlite: number; one: number; two: number }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: ${APPENDS} durable appends each on SQLite, PostgreSQL (1 instance), PostgreSQL (2 instances)`);
      const r = { sqlite: await appendRate([sqliteLog], APPENDS), one: await appendRate([oneLog], APPENDS), two: await appendRate(twoLogs, APPENDS) };
      rounds.push(r);
      log(`  ${r.sqlite.toFixed(0)} / ${r.one.toFixed(0)} / ${r.two.toFixed(0)} entries/s`);
    }
    const chainA = await verifyChain(pgA);
    if (!chainA.ok) throw new Error('the chain written by two PostgreSQL instances does not verify');
    await sqlite.close();

    // ---- 1M chain: verify and filtered list -----------------------------------------------
    const bigUrl = await freshPostgres(server.url, 'elevate_bench_chain');
    log(`loading ${ENTRIES.toLocaleString('en-US')} chained entries into PostgreSQL`);
    await loadChain(bigUrl, ENTRIES);
    const big = await openPostgresDatabase(bigUrl, { poolSize: 10 });
    const verifyMs: number[] = [];
    for (let run = 0; run < 2; run++) {
      const t = now();
      const result = await verifyChain(big);
      verifyMs.push(now() - t);
      if (!result.ok || result.entriesChecked !== ENTRIES) throw new Error(`verify: ${JSON.stringify(result).slice(0, 300)}`);
      log(`  verify ${ENTRIES.toLocaleString('en-US')}: ${(verifyMs.at(-1)! / 1000).toFixed(2)} s`);
    }
    const bigLog = createAuditLog(big);
    const kinds: Array<{ name: string; filter: (i: number) => Parameters<typeof bigLog.list>[0] }> = [
      { name: 'by agent', filter: (i) => ({ agentId: `agent-${i % AGENTS}` }) },
      { name: 'by action', filter: (i) => ({ action: ACTIONS[i % ACTIONS.length]! }) },
      { name: 'by agent and event type', filter: (i) => ({ agentId: `agent-${i % AGENTS}`, eventType: 'operation.executed' }) },
      { name: 'by seq window (1 h of entries, 3,600)', filter: (i) => ({ fromSeq: 1 + ((i * 7919) % (ENTRIES - 3600)), toSeq: 3600 + ((i * 7919) % (ENTRIES - 3600)) }) },
    ];
    const listRows: string[] = [];
    for (const kind of kinds) {
      const times: number[] = [];
      for (let i = 0; i < LIST_QUERIES; i++) {
        const t = now();
        const page = await bigLog.list(kind.filter(i), { limit: 50 });
        times.push(now() - t);
        if (page.entries.length === 0) throw new Error(`${kind.name}: no entries`);
      }
      listRows.push(`| ${kind.name} | ${median(times).toFixed(2)} | ${p95(times).toFixed(2)} | ${p95(times) < 50 ? 'met' : 'NOT met'} |`);
      log(`  list ${kind.name}: p95 ${p95(times).toFixed(2)} ms`);
    }
    await big.close();
    await pgA.close();
    await pgB.close();

    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    lines.push(
      '### PostgreSQL storage (issue 16)',
      '',
      `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)} at the end; PostgreSQL ${given ? 'at ELEVATE_BENCH_DATABASE_URL' : 'throwaway cluster (Debian, initdb defaults, fsync on)'}; SQLite with synchronous=FULL.`,
      '',
      `#### Durable audit appends, ${APPENDS} per measurement, ${CONCURRENCY} in flight`,
      '',
      '| round | SQLite entries/s | PostgreSQL, 1 instance | PostgreSQL, 2 instances | PG 1 / SQLite | PG 2 / PG 1 |',
      '|---|---|---|---|---|---|',
      ...rounds.map((r, i) => `| ${i + 1} | ${r.sqlite.toFixed(0)} | ${r.one.toFixed(0)} | ${r.two.toFixed(0)} | ${ratio(r.one, r.sqlite)}× | ${ratio(r.two, r.one)}× |`),
      '',
      `The chain both PostgreSQL instances appended to verifies (${chainA.entriesChecked.toLocaleString('en-US')} entries).`,
      '',
      `#### ${ENTRIES.toLocaleString('en-US')} entries on PostgreSQL`,
      '',
      `- \`verifyChain\`: ${verifyMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')} (target < 5 s: ${Math.min(...verifyMs) < 5000 ? 'met' : 'NOT met'}).`,
      '',
      `Filtered audit list, first page of 50, newest first, ${LIST_QUERIES} queries each:`,
      '',
      '| filter | median ms | p95 ms | target p95 < 50 ms |',
      '|---|---|---|---|',
      ...listRows,
    );
  } finally {
    await server.stop();
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
