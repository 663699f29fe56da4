/**
 * Auditor queries at scale: 1,000,000 hash-chained entries bulk-loaded (with the real hash) into
 * a temp database, then
 * - p95 latency of filtered list pages (by agent, by action, by time range; first page and the
 *   page after it via the cursor) through the real query layer, against the same questions asked
 *   as an unindexed LIKE scan over the details JSON (the peer);
 * - an export of every entry to JSON Lines in a child process, its peak RSS and time;
 * - verification of the whole chain.
 * Progress on stderr, Markdown on stdout. Set AUDIT_BENCH_ENTRIES for a smaller trial run.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { computeEntryHash, GENESIS_HASH } from '../src/audit/audit-hash.ts';
import { prepareEntry } from '../src/audit/audit-input.ts';
import { createAuditLog } from '../src/audit/audit-log.ts';
import { writeAuditExport } from '../src/audit/audit-export.ts';
import { createAuditQuery, type AuditQuery } from '../src/audit/audit-query.ts';
import type { AuditSearch } from '../src/audit/audit-search.ts';
import type { AuditInput } from '../src/audit/audit-types.ts';
import { openDatabase, type Database } from '../src/store/database.ts';
import { openStore } from '../src/store/migrations.ts';

const ENTRIES = Number(process.env.AUDIT_BENCH_ENTRIES ?? 1_000_000);
const QUERIES = 200;
const PEER_QUERIES = 20;
const CHUNK = 10_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const SPAN_MS = 60 * 86_400_000;
const STEP_MS = Math.floor(SPAN_MS / ENTRIES);
const AGENTS = 1000;
const ACTIONS = 500;

const log = (msg: string) => process.stderr.write(`[audit-queries.bench] ${msg}\n`);
const now = () => performance.now();

/** Deterministic PRNG so every run loads the same data and asks the same questions. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf-like skew: a few busy agents and actions, a long tail of rare ones (what an auditor hunts for). */
const skewed = (rand: () => number, n: number) => Math.min(n - 1, Math.floor(n * rand() ** 3));
const agentName = (k: number) => `agent-${k}`;
const actionName = (k: number) => `Microsoft.Provider${k % 40}/resourceType${k}/action${k % 7}/action`;
const EVENTS = ['operation.requested', 'operation.transition', 'arm.request', 'arm.response', 'operation.decided'];

function input(rand: () => number, i: number): AuditInput {
  const agent = agentName(skewed(rand, AGENTS));
  const action = actionName(skewed(rand, ACTIONS));
  const day = new Date(T0 + i * STEP_MS).toISOString().slice(0, 13);
  return {
    actor: { kind: 'agent', id: agent, name: 'SRE agent' },
    eventType: EVENTS[i % EVENTS.length]!,
    subject: `req-${i >> 2}`,
    agentId: agent,
    requestId: `req-${i >> 2}`,
    action,
    scope: `/subscriptions/00000000-0000-0000-0000-00000000000${i % 3}/resourceGroups/rg-${i % 50}/providers/Microsoft.Compute/virtualMachines/vm-${i % 500}`,
    outcome: ['execute', 'pending_elevation', 'succeeded', 'denied'][i % 4]!,
    actingIdentity: `agent:${agent}`,
    approverId: i % 10 ? null : `approver-${i % 3}`,
    // The peer searches these copies of the filter fields inside the details text.
    details: { agent, action, hour: day, note: 'restart after failed health probe', attempt: i % 4 },
  };
}

type Row = ReturnType<typeof prepareEntry> & { seq: number; ts: string };

/**
 * The row prepareEntry would make of input(i), built directly: the details object has string and
 * small-integer values only, so its canonical JSON is JSON.stringify with the keys in order.
 * Checked against prepareEntry for the first rows, so the shortcut cannot drift.
 */
function fastRow(rand: () => number, i: number): Row {
  const e = input(rand, i);
  const d = e.details as { agent: string; action: string; hour: string; note: string; attempt: number };
  return {
    actor_kind: e.actor.kind,
    actor_id: e.actor.id,
    actor_name: e.actor.name ?? null,
    event_type: e.eventType,
    subject: e.subject ?? null,
    agent_id: e.agentId ?? null,
    request_id: e.requestId ?? null,
    action: e.action ?? null,
    scope: e.scope ?? null,
    outcome: e.outcome ?? null,
    acting_identity: e.actingIdentity ?? null,
    approver_id: e.approverId ?? null,
    details: JSON.stringify({ action: d.action, agent: d.agent, attempt: d.attempt, hour: d.hour, note: d.note }),
    seq: i + 1,
    ts: new Date(T0 + i * STEP_MS).toISOString(),
  };
}

function checkFastRows(): void {
  const a = prng(42);
  const b = prng(42);
  for (let i = 0; i < 1000; i++) {
    const fast = fastRow(a, i);
    const slow = { ...prepareEntry(input(b, i)), seq: i + 1, ts: fast.ts };
    if (JSON.stringify(fast) !== JSON.stringify({ ...fast, ...slow })) throw new Error(`bulk row ${i} differs from prepareEntry's`);
  }
}

/** Indexes are dropped during the load and rebuilt after: same schema, far faster than maintaining them row by row. */
async function bulkLoad(db: Database): Promise<{ insertMs: number; indexMs: number }> {
  checkFastRows();
  const start = now();
  const indexes = await db.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL");
  for (const ix of indexes) await db.exec(`DROP INDEX ${ix.name}`);
  const rand = prng(42);
  let prev = GENESIS_HASH;
  await db.transaction(async (tx) => {
    for (let base = 0; base < ENTRIES; base += CHUNK) {
      const rows: unknown[][] = [];
      for (let i = base; i < Math.min(ENTRIES, base + CHUNK); i++) {
        const row = fastRow(rand, i);
        const hash = computeEntryHash(prev, row);
        rows.push([row.seq, row.ts, row.actor_kind, row.actor_id, row.actor_name, row.event_type, row.subject, row.agent_id, row.request_id, row.action, row.scope, row.outcome, row.acting_identity, row.approver_id, row.details, prev, hash]);
        prev = hash;
      }
      await tx.run(
        `INSERT INTO audit_log (seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash)
         SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16 FROM json_each(?)`,
        [JSON.stringify(rows)],
      );
      if ((base / CHUNK) % 20 === 19) log(`  loaded ${(base + CHUNK).toLocaleString('en-US')} entries`);
    }
  });
  const insertMs = now() - start;
  log('rebuilding indexes');
  for (const ix of indexes) await db.exec(ix.sql);
  return { insertMs, indexMs: now() - start - insertMs };
}

const p = (xs: number[], q: number) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
};

interface Kind {
  name: string;
  search(rand: () => number): AuditSearch;
  /** The same question as a LIKE over details, newest first, first page. */
  peer(search: AuditSearch): { where: string; params: string[] };
}

const KINDS: Kind[] = [
  {
    name: 'by agent',
    search: (rand) => ({ agentId: agentName(Math.floor(rand() * AGENTS)) }),
    peer: (s) => ({ where: 'details LIKE ?', params: [`%"agent":"${s.agentId}"%`] }),
  },
  {
    name: 'by action',
    search: (rand) => ({ action: actionName(Math.floor(rand() * ACTIONS)) }),
    peer: (s) => ({ where: 'details LIKE ?', params: [`%"action":"${s.action}"%`] }),
  },
  {
    name: 'by time range (1 h)',
    search: (rand) => {
      const from = T0 + Math.floor(rand() * (ENTRIES * STEP_MS - 3_600_000) / 3_600_000) * 3_600_000;
      return { from: new Date(from).toISOString(), to: new Date(from + 3_600_000).toISOString() };
    },
    peer: (s) => ({ where: 'details LIKE ?', params: [`%"hour":"${s.from!.slice(0, 13)}"%`] }),
  },
];

async function measureQueries(db: Database, query: AuditQuery) {
  const results: Array<{ name: string; first: number[]; next: number[]; peer: number[]; rows: number }> = [];
  for (const kind of KINDS) {
    const rand = prng(kind.name.length * 7919);
    const first: number[] = [];
    const next: number[] = [];
    let rows = 0;
    for (let i = 0; i < QUERIES; i++) {
      const search = kind.search(rand);
      let t = now();
      const page = await query.page(search, { limit: 50 });
      first.push(now() - t);
      rows += page.entries.length;
      if (page.nextCursor) {
        t = now();
        await query.page(search, { limit: 50, cursor: page.nextCursor });
        next.push(now() - t);
      }
    }
    const peerRand = prng(kind.name.length * 7919);
    const peer: number[] = [];
    for (let i = 0; i < PEER_QUERIES; i++) {
      const q = kind.peer(kind.search(peerRand));
      const t = now();
      await db.all(`SELECT * FROM audit_log NOT INDEXED WHERE ${q.where} ORDER BY seq DESC LIMIT 51`, q.params);
      peer.push(now() - t);
    }
    results.push({ name: kind.name, first, next, peer, rows });
    log(`  ${kind.name}: p95 ${p(first, 0.95).toFixed(2)} ms (peer p95 ${p(peer, 0.95).toFixed(0)} ms)`);
  }
  return results;
}

interface ExportFigures {
  ms: number;
  maxRssMiB: number;
  baselineRssMiB: number;
  bytes: number;
  entries: number;
}

/** Child mode: `--export <db> <out>` exports everything and prints its figures as JSON. */
async function childExport(dbPath: string, out: string): Promise<void> {
  const baselineRssMiB = process.resourceUsage().maxRSS / 1024;
  const db = await openDatabase(dbPath, { readonly: true });
  const t = now();
  const trailer = await writeAuditExport(createAuditQuery(db), {}, createWriteStream(out), { format: 'jsonl', order: 'asc' });
  const ms = now() - t;
  await db.close();
  const figures: ExportFigures = { ms, maxRssMiB: process.resourceUsage().maxRSS / 1024, baselineRssMiB, bytes: statSync(out).size, entries: trailer.entries };
  process.stdout.write(JSON.stringify(figures));
}

function exportInChild(dbPath: string, out: string): ExportFigures {
  const self = fileURLToPath(import.meta.url);
  const text = execFileSync(process.execPath, ['--import', 'tsx', self, '--export', dbPath, out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1024 * 1024 });
  return JSON.parse(text) as ExportFigures;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-audit-queries-'));
  try {
    const started = now();
    const dbPath = join(dir, 'audit.db');
    const db = await openStore({ dbPath });
    log(`bulk-loading ${ENTRIES.toLocaleString('en-US')} hashed entries`);
    const load = await bulkLoad(db);
    const query = createAuditQuery(db);

    log('warming up (one-off scan that checks timestamps never step back, enabling seq ranges for time filters)');
    let t = now();
    await query.page({ from: new Date(T0).toISOString() }, { limit: 1 });
    const warmMs = now() - t;

    log(`measuring ${QUERIES} filtered first pages (+ the next page by cursor) per kind, ${PEER_QUERIES} LIKE scans per kind`);
    const queries = await measureQueries(db, query);

    log('exporting every entry to JSON Lines in a child process');
    const exp = exportInChild(dbPath, join(dir, 'export.jsonl'));
    rmSync(join(dir, 'export.jsonl'), { force: true });
    if (exp.entries !== ENTRIES) throw new Error(`export wrote ${exp.entries} entries, expected ${ENTRIES}`);

    log('verifying the chain');
    t = now();
    const cpu0 = process.cpuUsage();
    const verify = await createAuditLog(db).verify();
    const verifyMs = now() - t;
    const verifyCpu = process.cpuUsage(cpu0);
    const load1 = loadavg()[0]!;
    if (!verify.ok || verify.entriesChecked !== ENTRIES) throw new Error(`unexpected verify result ${JSON.stringify(verify)}`);
    const fileMiB = statSync(dbPath).size / 2 ** 20;
    await db.close();
    const total = (now() - started) / 1000;

    const n = ENTRIES.toLocaleString('en-US');
    const lines = [
      '### Audit queries, export and verify at scale',
      '',
      `Measured with \`bench/audit-queries.bench.ts\`: ${n} entries bulk-loaded with the real hash chain into a temp SQLite file (${fileMiB.toFixed(0)} MiB, all indexes of migrations 001 and 005), ` +
        `${AGENTS} agents and ${ACTIONS} actions with a skewed (long-tail) distribution, timestamps spread over 60 days. ` +
        `Each query is a 50-entry page through \`createAuditQuery().page\` (newest first); "next page" continues with the opaque cursor. ` +
        `The peer asks the same question as an unindexed scan (\`NOT INDEXED\`, \`details LIKE '%"agent":"…"%'\`) in the same run.`,
      '',
      '| filter | queries | p50 (ms) | p95 (ms) | next page p95 (ms) | peer LIKE scan p95 (ms) | peer / indexed (p95) | target |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...queries.map(
        (q) =>
          `| ${q.name} | ${q.first.length} | ${p(q.first, 0.5).toFixed(2)} | ${p(q.first, 0.95).toFixed(2)} | ${q.next.length ? p(q.next, 0.95).toFixed(2) : 'n/a'} | ${p(q.peer, 0.95).toFixed(0)} | ${(p(q.peer, 0.95) / p(q.first, 0.95)).toFixed(0)}× | p95 < 50 ms: ${p(q.first, 0.95) < 50 ? 'met' : 'MISSED'} |`,
      ),
      '',
      '| measurement | value | target |',
      '| --- | ---: | --- |',
      `| export of all ${n} entries to JSON Lines, child process peak RSS (MiB) | ${exp.maxRssMiB.toFixed(0)} | < 200 MiB: ${exp.maxRssMiB < 200 ? 'met' : 'MISSED'} |`,
      `| same child's RSS before exporting (node + tsx + modules, MiB) | ${exp.baselineRssMiB.toFixed(0)} | |`,
      `| export time (s) / rate (entries/s) / size (MiB) | ${(exp.ms / 1000).toFixed(1)} / ${Math.round(ENTRIES / (exp.ms / 1000)).toLocaleString('en-US')} / ${(exp.bytes / 2 ** 20).toFixed(0)} | |`,
      `| verify ${n} entries, wall (s) | ${(verifyMs / 1000).toFixed(2)} | < 5 s: ${verifyMs < 5000 ? 'met' : 'MISSED'} |`,
      `| verify, CPU time of this process (s) | ${((verifyCpu.user + verifyCpu.system) / 1e6).toFixed(2)} | |`,
      `| one-off timestamp monotonicity scan before the first time-range query (s) | ${(warmMs / 1000).toFixed(2)} | |`,
      `| bulk load: hashing and inserting / building the indexes (s) | ${(load.insertMs / 1000).toFixed(1)} / ${(load.indexMs / 1000).toFixed(1)} | |`,
      '',
      `Total benchmark time ${total.toFixed(0)} s; 1-minute load average ${load1.toFixed(1)} on ${cpus().length} CPUs when verification ended (other work on the machine stretches wall times).`,
      '',
    ];
    process.stdout.write(lines.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--export') await childExport(process.argv[3]!, process.argv[4]!);
else await main();
