/**
 * Issue 16's storage figures, in one run so the ratios mean something on a shared machine:
 * - durable audit appends/s: SQLite (one instance) next to PostgreSQL with one and with two
 *   instances (two handles, each its own pool and AuditLog, appending at once), rounds
 *   alternating;
 * - decisions/s: POST /api/v1/decisions on one Elevate on SQLite, one on PostgreSQL and two on one
 *   PostgreSQL database (a process each, the connections split evenly), the same query repeated
 *   and every query distinct (each durably audited before it is answered), rounds alternating;
 * - a 1,000,000-entry chain on PostgreSQL: `verifyChain` time (target < 5 s) next to its peers
 *   (no worker thread; the pre-check with server-built pages, bench/verify-page-peers.ts), and the filtered
 *   audit list's p95 over 1M entries (target < 50 ms), by agent, by action and by 1-hour window.
 * PostgreSQL: ELEVATE_BENCH_DATABASE_URL (a role that may create databases), or a throwaway
 * cluster started here as the tests do. Progress on stderr, Markdown on stdout.
 *
 *   --entries N   chain length for verify and list (default 1,000,000)
 *   --rounds N    append and decision rounds (default 3); BENCH_DURATION_S: seconds per decision measurement (5)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../src/audit/audit-log.ts';
import { verifyChain } from '../src/audit/audit-verify.ts';
import { openStore } from '../src/store/migrations.ts';
import { openPostgresDatabase } from '../src/store/postgres-database.ts';
import { decisionRate, startInstance, warmUp, type DecisionRate, type Instance } from './decision-instances.ts';
import { ACTIONS, AGENTS, freshPostgres, input, loadChain } from './postgres-fixture.ts';
import { precheckCopy, precheckServerJson } from './verify-page-peers.ts';
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
const DECISION_SECONDS = Number(process.env.BENCH_DURATION_S ?? 5);
const DECISION_CONNECTIONS = 32;
const log = (msg: string) => process.stderr.write(`[postgres.bench] ${msg}\n`);
const now = () => performance.now();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)]!;

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

async function main(): Promise<void> {
  const given = process.env.ELEVATE_BENCH_DATABASE_URL;
  const server = given ? { url: given, stop: async () => {} } : await startThrowawayPostgres({ durable: true });
  const lines: string[] = [];
  try {
    // ---- appends --------------------------------------------------------------------------
    const sqliteDir = mkdtempSync(join(tmpdir(), 'elevate-bench-pg-'));
    const sqlite = await openStore({ dbPath: join(sqliteDir, 'elevate.db') });
    const pgUrl = await freshPostgres(server.url, 'elevate_bench_appends');
    const pgA = await openPostgresDatabase(pgUrl, { poolSize: 10 });
    const pgB = await openPostgresDatabase(pgUrl, { poolSize: 10 });
    // Stated from the server, not assumed: durable figures need both on.
    const durability = (await pgA.get<{ f: string; s: string }>("SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s"))!;
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
    rmSync(sqliteDir, { recursive: true, force: true });

    // ---- decisions/s: one instance on SQLite, one and two on PostgreSQL (one database) ----------
    const decisionUrl = await freshPostgres(server.url, 'elevate_bench_decisions');
    const sandboxDir = join(tmpdir(), 'elevate-bench-operations-sandbox');
    const instances: Instance[] = [];
    type Setup = 'sqlite' | 'one' | 'two';
    const decisionRounds: Array<Record<`${Setup}-${'repeated' | 'distinct'}`, DecisionRate>> = [];
    try {
      log('starting Elevate instances: one on SQLite, two on one PostgreSQL database (a process each)');
      instances.push(await startInstance(sandboxDir, 0, undefined));
      instances.push(await startInstance(sandboxDir, 40, decisionUrl));
      instances.push(await startInstance(sandboxDir, 80, decisionUrl));
      await warmUp(instances);
      const setups: Record<Setup, Instance[]> = { sqlite: [instances[0]!], one: [instances[1]!], two: [instances[1]!, instances[2]!] };
      for (let round = 1; round <= ROUNDS; round++) {
        const r = {} as (typeof decisionRounds)[number];
        for (const kind of ['repeated', 'distinct'] as const) {
          for (const setup of ['sqlite', 'one', 'two'] as const) {
            r[`${setup}-${kind}`] = await decisionRate(setups[setup], kind === 'distinct', DECISION_SECONDS, DECISION_CONNECTIONS);
          }
          log(`round ${round}/${ROUNDS} decisions ${kind}: ${(['sqlite', 'one', 'two'] as const).map((x) => r[`${x}-${kind}`].perSecond.toFixed(0)).join(' / ')} per s`);
        }
        decisionRounds.push(r);
      }
    } finally {
      for (const inst of instances) await inst.stop();
    }

    // ---- 1M chain: verify and filtered list -----------------------------------------------
    const bigUrl = await freshPostgres(server.url, 'elevate_bench_chain');
    log(`loading ${ENTRIES.toLocaleString('en-US')} chained entries into PostgreSQL`);
    await loadChain(bigUrl, ENTRIES);
    const big = await openPostgresDatabase(bigUrl, { poolSize: 10 });
    // verifyChain as shipped, and all on this thread (no worker); then the pre-check alone with
    // COPY pages and with server-built pages (bench/verify-page-peers.ts). Alternating, twice.
    const verifyRuns: Array<Record<'shipped' | 'here' | 'copyPre' | 'serverPre', { ms: number; cpuS: number }>> = [];
    const plan = { start: 0, top: ENTRIES, rangeKeys: 50_000 };
    const timed = async (name: string, fn: () => Promise<number>) => {
      const cpu0 = process.cpuUsage();
      const t = now();
      const entries = await fn();
      const ms = now() - t;
      const cpu = process.cpuUsage(cpu0);
      if (entries !== ENTRIES) throw new Error(`${name}: ${entries} entries checked, not ${ENTRIES}`);
      log(`  ${name} ${ENTRIES.toLocaleString('en-US')}: ${(ms / 1000).toFixed(2)} s`);
      return { ms, cpuS: (cpu.user + cpu.system) / 1e6 };
    };
    const verified = async (threads: Parameters<typeof verifyChain>[2]) => {
      const result = await verifyChain(big, {}, threads);
      if (!result.ok) throw new Error(`verify: ${JSON.stringify(result).slice(0, 300)}`);
      return result.entriesChecked;
    };
    for (let run = 0; run < 2; run++) {
      verifyRuns.push({
        shipped: await timed('verifyChain', () => verified({})),
        here: await timed('verifyChain, no worker', () => verified({ workers: 0 })),
        copyPre: await timed('pre-check, COPY pages', () => precheckCopy(big, plan, 3)),
        serverPre: await timed('pre-check, server-built pages', () => precheckServerJson(big, plan, 3)),
      });
    }
    const verifyMs = verifyRuns.map((r) => r.shipped.ms);
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
      `${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)} at the end; PostgreSQL ${given ? 'at ELEVATE_BENCH_DATABASE_URL' : 'throwaway cluster (Debian, initdb defaults)'} with fsync=${durability.f}, synchronous_commit=${durability.s}; SQLite with synchronous=FULL.`,
      '',
      `#### Durable audit appends, ${APPENDS} per measurement, ${CONCURRENCY} in flight`,
      '',
      '| round | SQLite entries/s | PostgreSQL, 1 instance | PostgreSQL, 2 instances | PG 1 / SQLite | PG 2 / PG 1 |',
      '|---|---|---|---|---|---|',
      ...rounds.map((r, i) => `| ${i + 1} | ${r.sqlite.toFixed(0)} | ${r.one.toFixed(0)} | ${r.two.toFixed(0)} | ${ratio(r.one, r.sqlite)}× | ${ratio(r.two, r.one)}× |`),
      '',
      `The chain both PostgreSQL instances appended to verifies (${chainA.entriesChecked.toLocaleString('en-US')} entries).`,
      '',
      `#### POST /api/v1/decisions, ${DECISION_SECONDS} s per measurement, ${DECISION_CONNECTIONS} connections (split evenly over the instances)`,
      '',
      'Each Elevate instance a process of its own in sandbox mode (bench/elevate-instance.ts), driven by autocannon in a child process as operations-api.bench.ts does; the two PostgreSQL instances share one database. A GET of a container app by the seeded agent, decision only. Repeated: the same query each time; distinct: every query names another container app, so each answer is durably audited before it is sent. Answers per second are 2xx answers only.',
      '',
      '| round | queries | SQLite /s | PostgreSQL, 1 instance /s | PostgreSQL, 2 instances /s | PG 1 / SQLite | PG 2 / PG 1 | non-2xx + errors |',
      '|---|---|---|---|---|---|---|---|',
      ...decisionRounds.flatMap((r, i) =>
        (['repeated', 'distinct'] as const).map((k) => {
          const [a, b, c] = [r[`sqlite-${k}`], r[`one-${k}`], r[`two-${k}`]];
          return `| ${i + 1} | ${k} | ${a.perSecond.toFixed(0)} | ${b.perSecond.toFixed(0)} | ${c.perSecond.toFixed(0)} | ${ratio(b.perSecond, a.perSecond)}× | ${ratio(c.perSecond, b.perSecond)}× | ${a.non2xx + b.non2xx + c.non2xx} |`;
        }),
      ),
      '',
      `#### ${ENTRIES.toLocaleString('en-US')} entries on PostgreSQL`,
      '',
      `- \`verifyChain\`: ${verifyMs.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')} (target < 5 s: ${Math.max(...verifyMs) < 5000 ? 'met' : 'NOT met'}, both runs).`,
      '',
      `Verification, ${cpus().length} CPUs: as shipped (pages as COPY text, turned and hashed on worker threads while this thread fetches), with no worker, and the pre-check alone (3 lanes, hashing on this thread) with COPY pages and with pages the server builds (to_json() per column, the previous design). CPU is this process's, all threads; the server's is not in it.`,
      '',
      '| run | verifyChain s (CPU s) | no worker s (CPU s) | shipped / no worker | pre-check, COPY s | pre-check, server-built s | COPY / server-built |',
      '|---|---|---|---|---|---|---|',
      ...verifyRuns.map(
        (r, i) =>
          `| ${i + 1} | ${(r.shipped.ms / 1000).toFixed(2)} (${r.shipped.cpuS.toFixed(2)}) | ${(r.here.ms / 1000).toFixed(2)} (${r.here.cpuS.toFixed(2)}) | ${ratio(r.shipped.ms, r.here.ms)}× | ${(r.copyPre.ms / 1000).toFixed(2)} | ${(r.serverPre.ms / 1000).toFixed(2)} | ${ratio(r.copyPre.ms, r.serverPre.ms)}× |`,
      ),
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
