/**
 * Audit log benchmark: durable append throughput (sequential, and concurrent with group commit)
 * against plain durable INSERTs without hashing; rounds of concurrent appends against a raw
 * sqlite3 multi-row INSERT loop into an identical table (issue 18's ≥ 10,000 entries/s target);
 * and chain verification over 1,000,000 entries against a plain scan of the same rows.
 * Progress on stderr, Markdown on stdout. `--appends-only` skips the verification at scale (for
 * profiling the append path), `--rounds N` sets the number of concurrent rounds (default 5).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sqlite3 from 'sqlite3';
import { createAuditLog, type AuditLog } from '../src/audit/audit-log.ts';
import { computeEntryHash, GENESIS_HASH, type AuditRow } from '../src/audit/audit-hash.ts';
import { prepareEntry } from '../src/audit/audit-input.ts';
import type { AuditInput } from '../src/audit/audit-types.ts';
import type { Database } from '../src/store/database.ts';
import { keysetPages } from '../src/store/keyset-pages.ts';
import { openStore } from '../src/store/migrations.ts';

const SEQUENTIAL = 1000;
const CONCURRENT = 10_000;
const IN_FLIGHT = 256;
/** `--verify-entries N` shrinks the verify run for a quick look; the reported figure uses 1,000,000. */
const flag = process.argv.indexOf('--verify-entries');
const VERIFY_ENTRIES = flag > 0 ? Number(process.argv[flag + 1]) : 1_000_000;
const BULK_CHUNK = 10_000;
const APPENDS_ONLY = process.argv.includes('--appends-only');
const roundsFlag = process.argv.indexOf('--rounds');
const ROUNDS = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 5;
/** Issue 18: concurrent durable appends on SQLite with synchronous=FULL. */
const TARGET_PER_S = 10_000;

const log = (msg: string) => process.stderr.write(`[audit-log.bench] ${msg}\n`);
const now = () => performance.now();

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

const PLAIN_TABLE = `CREATE TABLE plain_log (id INTEGER PRIMARY KEY, ts TEXT, actor_kind TEXT, actor_id TEXT, actor_name TEXT, event_type TEXT,
  subject TEXT, agent_id TEXT, request_id TEXT, action TEXT, scope TEXT, outcome TEXT, acting_identity TEXT, approver_id TEXT, details TEXT)`;

function plainInsert(db: Database, i: number) {
  const e = input(i);
  return db.run(
    'INSERT INTO plain_log (ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [new Date().toISOString(), e.actor.kind, e.actor.id, e.actor.name ?? null, e.eventType, e.subject ?? null, e.agentId ?? null, e.requestId ?? null, e.action ?? null, e.scope ?? null, e.outcome ?? null, e.actingIdentity ?? null, e.approverId ?? null, JSON.stringify(e.details)],
  );
}

/** Runs `count` tasks keeping at most `window` in flight; returns elapsed ms. */
async function windowed(count: number, window: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const start = now();
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < count) await task(next++);
    }),
  );
  return now() - start;
}

async function sequential(count: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const start = now();
  for (let i = 0; i < count; i++) await task(i);
  return now() - start;
}

async function appendThroughput(dir: string) {
  const db = await openStore({ dbPath: join(dir, 'append.db') });
  await db.exec(PLAIN_TABLE);
  const audit = createAuditLog(db);
  // warm-up so neither side pays for page allocation first
  await sequential(50, (i) => audit.append(input(i)));
  await sequential(50, (i) => plainInsert(db, i));

  log(`sequential: ${SEQUENTIAL} audit appends, then ${SEQUENTIAL} plain INSERTs (each awaited, each durable)`);
  const seqAudit = await sequential(SEQUENTIAL, (i) => audit.append(input(i)));
  const seqPlain = await sequential(SEQUENTIAL, (i) => plainInsert(db, i));
  log(`concurrent: ${CONCURRENT} audit appends and ${CONCURRENT} plain INSERTs, ${IN_FLIGHT} in flight`);
  const conAudit = await windowed(CONCURRENT, IN_FLIGHT, (i) => audit.append(input(i)));
  const conPlain = await windowed(CONCURRENT, IN_FLIGHT, (i) => plainInsert(db, i));
  const check = await audit.verify();
  if (!check.ok) throw new Error('chain broken after the append benchmark');
  await db.close();
  return { seqAudit, seqPlain, conAudit, conPlain };
}

const COLUMNS = 'seq, ts, actor_kind, actor_id, actor_name, event_type, subject, agent_id, request_id, action, scope, outcome, acting_identity, approver_id, details, prev_hash, hash';

/**
 * The peer for the rounds: what SQLite alone costs for the same rows. A raw sqlite3 connection
 * (no store adapter, no validation, no hashing: rows and hashes are built before the clock
 * starts) writes them into `peer_log`, a copy of audit_log with the same columns, checks and
 * indexes, as one prepared multi-row INSERT per group of IN_FLIGHT rows, each its own autocommit
 * with synchronous=FULL and awaited before the next, the upper bound group commit can reach.
 */
async function openPeer(path: string, db: Database, sqliteDefaults = false) {
  const schema = await db.all<{ type: string; sql: string }>("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'audit_log' AND type IN ('table', 'index') AND sql IS NOT NULL");
  for (const { sql } of schema.sort((a, b) => (a.type === 'table' ? -1 : b.type === 'table' ? 1 : 0))) {
    await db.exec(sql.replace(/\baudit_log\b/g, 'peer_log').replace(/INDEX (\w+)/, (_, n: string) => `INDEX peer_${n}`));
  }
  const raw = new sqlite3.Database(path);
  const call = (f: (cb: (err: Error | null) => void) => void) => new Promise<void>((res, rej) => f((err) => (err ? rej(err) : res())));
  // The same settings as the store's writer connection (`fresh` reads run on it).
  const setting = async (name: string) => Object.values((await db.fresh.get<Record<string, number>>(`PRAGMA ${name}`))!)[0]!;
  // sqliteDefaults: SQLite's own page cache and checkpoint interval, to show what the store's differ by.
  const pragmas = sqliteDefaults
    ? `PRAGMA busy_timeout = 5000; PRAGMA synchronous = ${await setting('synchronous')};`
    : `PRAGMA busy_timeout = 5000; PRAGMA synchronous = ${await setting('synchronous')}; PRAGMA cache_size = ${await setting('cache_size')}; PRAGMA wal_autocheckpoint = ${await setting('wal_autocheckpoint')};`;
  if (!/synchronous = 2;/.test(pragmas)) throw new Error(`the store is not at synchronous=FULL: ${pragmas}`);
  await call((cb) => raw.exec(pragmas, cb));
  const placeholders = new Array(IN_FLIGHT).fill(`(${new Array(17).fill('?').join(', ')})`).join(', ');
  const stmt = await new Promise<sqlite3.Statement>((res, rej) => {
    const st: sqlite3.Statement = raw.prepare(`INSERT INTO peer_log (${COLUMNS}) VALUES ${placeholders}`, (err) => (err ? rej(err) : res(st)));
  });
  let seq = 0;
  return {
    pragmas,
    /** Inserts `count` rows (a multiple of IN_FLIGHT) in groups; returns elapsed ms. */
    async round(count: number): Promise<number> {
      const groups: unknown[][] = [];
      for (let g = 0; g < count / IN_FLIGHT; g++) {
        const params: unknown[] = [];
        for (let i = 0; i < IN_FLIGHT; i++) {
          const r = prepareEntry(input(++seq));
          const hash = (seq.toString(16) + 'a'.repeat(64)).slice(0, 64);
          params.push(seq, new Date().toISOString(), r.actor_kind, r.actor_id, r.actor_name, r.event_type, r.subject, r.agent_id, r.request_id, r.action, r.scope, r.outcome, r.acting_identity, r.approver_id, r.details, hash, hash);
        }
        groups.push(params);
      }
      const start = now();
      for (const params of groups) await call((cb) => stmt.run(params, cb));
      return now() - start;
    },
    async close() {
      await call((cb) => stmt.finalize(cb));
      await call((cb) => raw.close(cb));
    },
  };
}

/** Alternating rounds of CONCURRENT audit appends (IN_FLIGHT in flight) and the raw peer. */
async function concurrentRounds(dir: string) {
  const path = join(dir, 'rounds.db');
  const db = await openStore({ dbPath: path });
  const audit = createAuditLog(db);
  const peer = await openPeer(path, db);
  // A second peer on a file of its own (a checkpoint is per file), with SQLite's default settings.
  const defaultsDb = await openStore({ dbPath: join(dir, 'rounds-sqlite-defaults.db') });
  const defaultsPeer = await openPeer(join(dir, 'rounds-sqlite-defaults.db'), defaultsDb, true);
  await defaultsPeer.round(IN_FLIGHT);
  await sequential(50, (i) => audit.append(input(i)));
  await peer.round(IN_FLIGHT);
  const rounds: Round[] = [];
  const timed = async (f: () => Promise<number>) => {
    const cpu = process.cpuUsage();
    const ms = await f();
    return { perS: (CONCURRENT / ms) * 1000, cpuUs: (cpuMs(process.cpuUsage(cpu)) * 1000) / CONCURRENT };
  };
  for (let r = 0; r < ROUNDS; r++) {
    log(`round ${r + 1}/${ROUNDS}: ${CONCURRENT} concurrent audit appends and ${CONCURRENT} raw peer rows`);
    // Alternate which goes first, so a burst of load from other work does not favour one side.
    const auditFirst = r % 2 === 0;
    const runPeer = () => timed(() => peer.round(CONCURRENT));
    const first = auditFirst ? undefined : await runPeer();
    const a = await timed(() => windowed(CONCURRENT, IN_FLIGHT, (i) => audit.append(input(i))));
    const p = first ?? (await runPeer());
    const d = await timed(() => defaultsPeer.round(CONCURRENT));
    rounds.push({ audit: a.perS, peer: p.perS, auditCpuUs: a.cpuUs, peerCpuUs: p.cpuUs, defaultsPeer: d.perS, defaultsPeerCpuUs: d.cpuUs, load: loadavg()[0]! });
  }
  const check = await audit.verify();
  if (!check.ok || check.entriesChecked !== 50 + ROUNDS * CONCURRENT) throw new Error(`chain broken after the rounds: ${JSON.stringify(check)}`);
  await peer.close();
  await defaultsPeer.close();
  await defaultsDb.close();
  await db.close();
  return { rounds, pragmas: peer.pragmas };
}

interface Round {
  audit: number;
  peer: number;
  /** Process CPU time (all threads: JS, SQLite's pool) per entry, µs. */
  auditCpuUs: number;
  peerCpuUs: number;
  /** The same peer on a file of its own with SQLite's default cache and checkpoint interval. */
  defaultsPeer: number;
  defaultsPeerCpuUs: number;
  load: number;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Writes `count` valid entries in one transaction with the real hash function. */
async function bulkLoad(db: Database, count: number): Promise<number> {
  const start = now();
  let prev = GENESIS_HASH;
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  // Validation is not what is measured: prepare 1,000 distinct entries once and cycle them;
  // every row still gets its own seq, ts and real chained hash.
  const pool = Array.from({ length: 1000 }, (_, i) => prepareEntry(input(i)));
  await db.transaction(async (tx) => {
    for (let base = 0; base < count; base += BULK_CHUNK) {
      const rows: unknown[][] = [];
      for (let i = base; i < Math.min(count, base + BULK_CHUNK); i++) {
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
      if ((base / BULK_CHUNK) % 10 === 9) log(`  loaded ${(base + BULK_CHUNK).toLocaleString('en-US')} entries`);
    }
  });
  return now() - start;
}

async function verifyAtScale(dir: string) {
  const path = join(dir, 'verify.db');
  const db = await openStore({ dbPath: path });
  // Load without the secondary indexes and build them afterwards (as a bulk import would):
  // sorting once is far cheaper than a million random inserts into a dozen B-trees.
  const indexes = await db.all<{ name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' AND sql IS NOT NULL");
  for (const ix of indexes) await db.exec(`DROP INDEX ${ix.name}`);
  await db.exec('PRAGMA cache_size = -262144');
  log(`bulk-loading ${VERIFY_ENTRIES.toLocaleString('en-US')} hashed entries in one transaction`);
  const loadMs = await bulkLoad(db, VERIFY_ENTRIES);
  log(`rebuilding ${indexes.length} indexes`);
  const indexStart = now();
  for (const ix of indexes) await db.exec(ix.sql);
  const indexMs = now() - indexStart;
  // Fold the ~1 GB WAL into the database, as the automatic checkpoint would have done in
  // normal running; reading through a WAL that large is not what a running server sees.
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE); PRAGMA cache_size = -2000');
  const audit: AuditLog = createAuditLog(db);
  // Peer: what any reader of the whole log pays (an export, a naive verifier): every column of
  // every row into JS, keyset-paged the same way, with no hashing.
  log('reading all rows in full without hashing (peer)');
  let scanStart = now();
  let cpuStart = process.cpuUsage();
  let scanned = 0;
  for await (const page of keysetPages<AuditRow>(db, 5000, (last) => ({
    sql: 'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 5000',
    params: [last?.seq ?? 0],
  }))) {
    scanned += page.length;
  }
  const scanMs = now() - scanStart;
  const scanCpuMs = cpuMs(process.cpuUsage(cpuStart));
  log('verifying the chain');
  scanStart = now();
  cpuStart = process.cpuUsage();
  const result = await audit.verify();
  const verifyMs = now() - scanStart;
  const verifyCpuMs = cpuMs(process.cpuUsage(cpuStart));
  if (!result.ok || result.entriesChecked !== VERIFY_ENTRIES || scanned !== VERIFY_ENTRIES) throw new Error(`unexpected verify result ${JSON.stringify(result)}`);
  const appendAtScale = await sequential(200, (i) => audit.append(input(i)));
  await db.close();
  return { loadMs, indexMs, indexCount: indexes.length, scanMs, scanCpuMs, verifyMs, verifyCpuMs, appendAtScaleMs: appendAtScale, fileMiB: statSync(path).size / 2 ** 20 };
}

/** Process CPU time (all threads, user + system) in ms: what the work costs whatever else runs. */
const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString('en-US');
const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

const dir = mkdtempSync(join(tmpdir(), 'elevate-audit-bench-'));
try {
  const started = now();
  const { rounds, pragmas } = await concurrentRounds(dir);
  const a = await appendThroughput(dir);
  const v = APPENDS_ONLY ? undefined : await verifyAtScale(dir);
  const total = (now() - started) / 1000;
  const med = median(rounds.map((r) => r.audit));
  const verdict = (perS: number) => (perS >= TARGET_PER_S ? 'met' : 'not met');
  const lines = [
    '### Audit log: concurrent durable appends (issue 18)',
    '',
    `${ROUNDS} rounds of ${CONCURRENT.toLocaleString('en-US')} appends through \`createAuditLog\` with ${IN_FLIGHT} in flight (validation, hash chain, group commit; each append resolves after its fsync'd commit, synchronous=FULL), ` +
      `alternating with the peer: a raw sqlite3 connection writing the same rows into an identical table (same columns, checks and indexes) as one prepared ${IN_FLIGHT}-row INSERT per autocommit, rows and hashes built before the clock starts.`,
    '',
    `Audit log and peer connections: \`${pragmas}\` CPU µs/entry is the process's CPU time (all threads: JS and SQLite's pool) per entry, which contention from other work inflates far less than wall time.`,
    '',
    `The third figure is the same peer on a file of its own with SQLite's default page cache (2 MiB) and checkpoint interval (1,000 frames), run after the other two each round: the store's settings against SQLite's, on the same rows.`,
    '',
    '| round | audit appends/s | peer rows/s | audit / peer | audit CPU µs/entry | peer CPU µs/row | peer, SQLite defaults: rows/s (CPU µs/row) | load (1 min) | target ≥ 10,000/s |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rounds.map(
      (r, i) =>
        `| ${i + 1} | ${Math.round(r.audit).toLocaleString('en-US')} | ${Math.round(r.peer).toLocaleString('en-US')} | ${(r.audit / r.peer).toFixed(2)}× | ${r.auditCpuUs.toFixed(0)} | ${r.peerCpuUs.toFixed(0)} | ${Math.round(r.defaultsPeer).toLocaleString('en-US')} (${r.defaultsPeerCpuUs.toFixed(0)}) | ${r.load.toFixed(1)} | ${verdict(r.audit)} |`,
    ),
    `| median | ${Math.round(med).toLocaleString('en-US')} | ${Math.round(median(rounds.map((r) => r.peer))).toLocaleString('en-US')} | ${median(rounds.map((r) => r.audit / r.peer)).toFixed(2)}× | ${median(rounds.map((r) => r.auditCpuUs)).toFixed(0)} | ${median(rounds.map((r) => r.peerCpuUs)).toFixed(0)} | ${Math.round(median(rounds.map((r) => r.defaultsPeer))).toLocaleString('en-US')} (${median(rounds.map((r) => r.defaultsPeerCpuUs)).toFixed(0)}) | | **${verdict(med)}** |`,
    '',
    `Target (median of rounds ≥ ${TARGET_PER_S.toLocaleString('en-US')} appends/s): **${verdict(med)}** (${rounds.filter((r) => r.audit >= TARGET_PER_S).length} of ${ROUNDS} rounds at or above it).`,
    '',

    '### Audit log: durable appends and chain verification',
    '',
    `Measured with \`bench/audit-log.bench.ts\` on a temp file in ${tmpdir()} (SQLite WAL, synchronous=FULL: every append resolves after an fsync'd commit). ` +
      `The peer is a plain durable single-row INSERT of the same columns into an unindexed table, without hashing or chain bookkeeping, through the same store adapter in the same run. ` +
      `"Concurrent" keeps ${IN_FLIGHT} appends in flight; the audit log group-commits whatever queued during the previous fsync, while plain INSERTs each commit (and fsync) on their own.`,
    '',
    '| measurement | audit log | peer (plain INSERT) | audit / peer |',
    '| --- | ---: | ---: | ---: |',
    `| sequential appends, ${SEQUENTIAL} awaited one by one (entries/s) | ${rate(SEQUENTIAL, a.seqAudit)} | ${rate(SEQUENTIAL, a.seqPlain)} | ${ratio(a.seqPlain, a.seqAudit)} throughput |`,
    `| concurrent appends, ${CONCURRENT.toLocaleString('en-US')} with ${IN_FLIGHT} in flight (entries/s) | ${rate(CONCURRENT, a.conAudit)} | ${rate(CONCURRENT, a.conPlain)} | ${ratio(a.conPlain, a.conAudit)} throughput |`,
    `| group commit gain (concurrent / sequential audit throughput) | ${ratio(a.seqAudit / SEQUENTIAL, a.conAudit / CONCURRENT)} | ${ratio(a.seqPlain / SEQUENTIAL, a.conPlain / CONCURRENT)} | |`,
    '',
  ];
  if (v) lines.push(
    '| measurement | value | peer | ratio |',
    '| --- | ---: | ---: | ---: |',
    `| verify ${VERIFY_ENTRIES.toLocaleString('en-US')} entries (s; target < 5 s) | ${(v.verifyMs / 1000).toFixed(2)} | ${(v.scanMs / 1000).toFixed(2)} (reading every row in full, SELECT *, no hashing) | ${ratio(v.verifyMs, v.scanMs)} |`,
    `| verify CPU time, all threads (s) | ${(v.verifyCpuMs / 1000).toFixed(2)} | ${(v.scanCpuMs / 1000).toFixed(2)} | ${ratio(v.verifyCpuMs, v.scanCpuMs)} |`,
    `| verify rate (entries/s, wall) | ${rate(VERIFY_ENTRIES, v.verifyMs)} | ${rate(VERIFY_ENTRIES, v.scanMs)} | |`,
    `| bulk load of ${VERIFY_ENTRIES.toLocaleString('en-US')} hashed entries in one transaction, then building its ${v.indexCount} indexes (s) | ${(v.loadMs / 1000).toFixed(1)} + ${(v.indexMs / 1000).toFixed(1)} | | |`,
    `| sequential appends on the ${VERIFY_ENTRIES.toLocaleString('en-US')}-entry log (entries/s) | ${rate(200, v.appendAtScaleMs)} | | |`,
    `| database file with ${VERIFY_ENTRIES.toLocaleString('en-US')} entries (MiB) | ${v.fileMiB.toFixed(0)} | | |`,
    '',
  );
  lines.push(
    `Total benchmark time ${total.toFixed(0)} s; load average at the end ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores (wall times stretch when other work shares the machine; CPU times do not).`,
    '',
  );
  process.stdout.write(lines.join('\n'));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
