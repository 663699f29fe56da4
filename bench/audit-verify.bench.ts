/**
 * Chain verification at 1,000,000 entries, on its own: `verifyChain` on the file database (the
 * way the CLI, the server and `AuditLog.verify` call it), with its default split and with a worker
 * forced, against the same function handed only `get`/`all` (no file to open again, so it walks
 * entry by entry, as the previous implementation did), in the same run on the same file.
 * Progress on stderr, Markdown on stdout.
 *
 *   --entries N   chain length (default 1,000,000)
 *   --runs N      timed runs of each (default 2; the best and the median are reported)
 *   --db PATH     keep the generated database at PATH and reuse it next time (default: temp dir)
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeEntryHash, GENESIS_HASH } from '../src/audit/audit-hash.ts';
import { prepareEntry } from '../src/audit/audit-input.ts';
import type { AuditInput, VerifyResult } from '../src/audit/audit-types.ts';
import { verifyChain } from '../src/audit/audit-verify.ts';
import type { Database } from '../src/store/database.ts';
import { openStore } from '../src/store/migrations.ts';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ENTRIES = Number(arg('--entries') ?? 1_000_000);
const RUNS = Number(arg('--runs') ?? 2);
const KEEP = arg('--db');
const CHUNK = 10_000;

const log = (msg: string) => process.stderr.write(`[audit-verify.bench] ${msg}\n`);

/** The same entries as bench/audit-log.bench.ts generates. */
function input(i: number): AuditInput {
  return {
    actor: { kind: i % 3 ? 'agent' : 'user', id: `agent-${i % 7}`, name: 'SRE agent' },
    eventType: ['operation.requested', 'operation.decided', 'operation.executed'][i % 3]!,
    subject: `req-${i >> 2}`,
    agentId: `agent-${i % 7}`,
    requestId: `req-${i >> 2}`,
    action: 'Microsoft.Compute/virtualMachines/restart/action',
    scope: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-${i % 50}/providers/Microsoft.Compute/virtualMachines/vm-${i % 500}`,
    outcome: i % 5 ? 'allowed' : 'needs-approval',
    actingIdentity: 'uami-sre-agent',
    approverId: i % 5 ? null : `approver-${i % 3}`,
    details: { reason: 'restart after failed health probe', attempt: i % 4, tags: ['prod', 'westeurope'] },
  };
}

async function build(db: Database, count: number): Promise<void> {
  const indexes = await db.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL");
  for (const ix of indexes) await db.exec(`DROP INDEX ${ix.name}`);
  await db.exec('PRAGMA cache_size = -262144');
  const pool = Array.from({ length: 1000 }, (_, i) => prepareEntry(input(i)));
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  let prev = GENESIS_HASH;
  await db.transaction(async (tx) => {
    for (let base = 0; base < count; base += CHUNK) {
      const rows: unknown[][] = [];
      for (let i = base; i < Math.min(count, base + CHUNK); i++) {
        const row = { ...pool[i % pool.length]!, seq: i + 1, ts: new Date(t0 + i * 10).toISOString() };
        const hash = computeEntryHash(prev, row);
        rows.push([row.seq, row.ts, row.actor_kind, row.actor_id, row.actor_name, row.event_type, row.subject, row.agent_id, row.request_id, row.action, row.scope, row.outcome, row.acting_identity, row.approver_id, row.details, prev, hash]);
        prev = hash;
      }
      await tx.run(
        `INSERT INTO audit_log (seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash)
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16 FROM json_each(?)`,
        [JSON.stringify(rows)],
      );
      if ((base / CHUNK) % 10 === 9) log(`  loaded ${(base + CHUNK).toLocaleString('en-US')} entries`);
    }
  });
  for (const ix of indexes) await db.exec(ix.sql);
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size = -2000');
}

interface Timing {
  wallMs: number;
  cpuMs: number;
  load: number;
}

async function timed(what: string, run: () => Promise<VerifyResult>): Promise<Timing> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const result = await run();
  const wallMs = performance.now() - t;
  const used = process.cpuUsage(cpu);
  if (!result.ok || result.entriesChecked !== ENTRIES) throw new Error(`unexpected verify result ${JSON.stringify(result)}`);
  const timing = { wallMs, cpuMs: (used.user + used.system) / 1000, load: loadavg()[0]! };
  log(`  ${what}: ${(timing.wallMs / 1000).toFixed(2)} s wall, ${(timing.cpuMs / 1000).toFixed(2)} s CPU, load ${timing.load.toFixed(1)}`);
  return timing;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const seconds = (ms: number) => (ms / 1000).toFixed(2);

const dir = KEEP ? undefined : mkdtempSync(join(tmpdir(), 'elevate-verify-bench-'));
const path = KEEP ?? join(dir!, 'verify.db');
try {
  const fresh = !existsSync(path);
  const db = await openStore({ dbPath: path });
  try {
    if (fresh) {
      log(`building ${ENTRIES.toLocaleString('en-US')} hashed entries at ${path}`);
      await build(db, ENTRIES);
    }
    const count = (await db.get<{ n: number }>('SELECT count(*) AS n FROM audit_log'))!.n;
    if (count !== ENTRIES) throw new Error(`${path} holds ${count} entries, not ${ENTRIES}: remove it or pass --entries ${count}`);
    // Only get/all: what a caller without a file (an in-memory or wrapped store) gets.
    const walkOnly = { get: db.get.bind(db), all: db.all.bind(db) };
    const variants: Array<{ name: string; run: () => Promise<VerifyResult> }> = [
      { name: `database, defaults (${availableParallelism()} CPUs: ${availableParallelism() >= 3 ? 'one worker' : 'no worker'}, 2 connections per thread)`, run: () => verifyChain(db) },
      { name: 'database, one worker thread forced', run: () => verifyChain(db, {}, { workers: 1, minWorkerKeys: 0 }) },
      { name: 'database, no worker, one connection', run: () => verifyChain(db, {}, { workers: 0, lanes: 1 }) },
      { name: 'peer: get/all only, the entry-by-entry walk (the previous implementation)', run: () => verifyChain(walkOnly) },
    ];
    const timings = variants.map(() => [] as Timing[]);
    // Alternate, so a burst of load from other work on the machine does not favour one side.
    for (let r = 0; r < RUNS; r++) {
      log(`run ${r + 1}/${RUNS}`);
      for (const [i, v] of variants.entries()) timings[i]!.push(await timed(v.name, v.run));
    }
    const peer = median(timings[timings.length - 1]!.map((t) => t.wallMs));
    const all = timings.flat();
    const lines = [
      '### Audit chain verification',
      '',
      `\`bench/audit-verify.bench.ts\`: \`verifyChain\` over ${ENTRIES.toLocaleString('en-US')} entries (${(statSync(path).size / 2 ** 20).toFixed(0)} MiB file, bench/audit-log.bench.ts's generator), ` +
        `${RUNS} runs of each, alternating. On a file, ranges of the chain are pre-checked as page-sized blobs over read-only connections of their own (and a worker thread where that pays), then joined in order; ` +
        'the peer is the same function handed only `get`/`all`, which walks entry by entry as the previous implementation did. CPU time is of the whole process, all threads (SQLite\'s pool and workers included).',
      '',
      '| verify | best wall (s) | median wall (s; target < 5 s) | median CPU (s) | entries/s (median wall) | peer wall / this wall |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...variants.map((v, i) => {
        const ts = timings[i]!;
        const wall = median(ts.map((t) => t.wallMs));
        return `| ${v.name} | ${seconds(Math.min(...ts.map((t) => t.wallMs)))} | ${seconds(wall)} | ${seconds(median(ts.map((t) => t.cpuMs)))} | ${Math.round(ENTRIES / (wall / 1000)).toLocaleString('en-US')} | ${(peer / wall).toFixed(2)}× |`;
      }),
      '',
      `1-minute load average during the runs ${Math.min(...all.map((t) => t.load)).toFixed(1)}–${Math.max(...all.map((t) => t.load)).toFixed(1)} on ${cpus().length} CPUs (other work on the machine stretches wall times, not CPU times).`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    await db.close();
  }
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
