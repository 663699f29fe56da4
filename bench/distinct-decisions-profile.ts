/**
 * Where a distinct decision's time goes (issue 18): one Elevate in-process in sandbox mode, as
 * operations-api.bench.ts starts it, then rounds of the bare express peer and of POST
 * /api/v1/decisions with every query distinct (each durably audited before it is answered).
 * During the distinct phases only, it records
 *   - a V8 CPU profile of the main thread (node:inspector), written to BENCH_PROFILE if set;
 *     the peer's phases are profiled too, beside it as …-bare-N.cpuprofile;
 *   - the audit groups: rows per multi-row INSERT, and how long each statement took from the
 *     call until it returned (queued behind the writer's mutex, inserted, fsync'd);
 *   - the event loop's busy share and this process's CPU per answer.
 * Summarise the profile with bench/cpu-profile-summary.ts. Progress on stderr, Markdown on stdout.
 *
 *   BENCH_DURATION_S=3 BENCH_ROUNDS=2 BENCH_PROFILE=/tmp/distinct.cpuprofile node --import tsx bench/distinct-decisions-profile.ts
 * BENCH_HEAP_PROFILE=path adds a sampling heap profile of the measured phases (objects the
 * collector already freed included): what each answer allocates, by function.
 * With BENCH_WORKLOAD=repeated the measured phases send one query over and over instead (a polling
 * agent: nothing new to audit), to see what the repeated path costs beyond the HTTP stack.
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ManagedIdentityCredential } from '@azure/identity';
import type { Result } from 'autocannon';
import { hammer, registerAgent, startBareExpressPeer } from './api-load.ts';
import { startBenchService, underSandboxTrust } from './bench-service.ts';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PROFILE = process.env.BENCH_PROFILE;
/** Where to write a sampling heap profile of what the measured phases allocate (collected objects included). */
const HEAP_PROFILE = process.env.BENCH_HEAP_PROFILE;
/** BENCH_WORKLOAD=repeated: profile the same query repeated (a polling agent) instead of distinct ones. */
const REPEATED = process.env.BENCH_WORKLOAD === 'repeated';
/** perf_hooks.constants.NODE_PERFORMANCE_GC_* */
const GC_KINDS: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental marking', 8: 'weak callbacks' };
const log = (msg: string) => process.stderr.write(`[distinct-decisions-profile] ${msg}\n`);

function quantile(values: number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function gcLine(byKind: Map<string, { ms: number; count: number }>, answers: number): string {
  return [...byKind].map(([kind, g]) => `${kind} ${((g.ms * 1000) / Math.max(1, answers)).toFixed(1)} µs (${g.count} pauses)`).join(', ') || 'none observed';
}

async function main(): Promise<void> {
  const dataDir = join(tmpdir(), 'elevate-bench-operations-sandbox');
  if (!(await underSandboxTrust(dataDir, log))) return;
  const service = await startBenchService({ dataDir, dbPrefix: 'elevate-bench-distinct-', portOffset: 200 });
  const peerServer = await startBareExpressPeer();

  // The audit writer's groups: every multi-row INSERT into audit_log through the store's `run`.
  const groups: { rows: number; ms: number }[] = [];
  let recording = false;
  const store = service.context.store;
  const run = store.run.bind(store);
  store.run = async (sql, params) => {
    if (!recording || !sql.includes('INSERT INTO audit_log ')) return run(sql, params);
    const started = performance.now();
    const result = await run(sql, params);
    // One parameter: the group's rows as a JSON array (SqlDialect.insertJsonRows), one "prev_hash"
    // key per row (a quote inside a value is escaped); counted, not parsed, to stay off the profile.
    groups.push({ rows: (params as string[])[0]!.split('"prev_hash":"').length - 1, ms: performance.now() - started });
    return result;
  };

  // Garbage collection pauses on the main thread during the measured phases, by kind (perf_hooks 'gc' entries).
  // Kept for the peer's phases too: the same process and heap, so its figure is the floor.
  let gcPhase: 'bare' | 'decisions' | undefined;
  const gcMs = { bare: new Map<string, { ms: number; count: number }>(), decisions: new Map<string, { ms: number; count: number }>() };
  const gcObserver = new PerformanceObserver((list) => {
    if (!gcPhase) return;
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
      const byKind = gcMs[gcPhase];
      const k = byKind.get(kind) ?? { ms: 0, count: 0 };
      k.ms += e.duration;
      k.count += 1;
      byKind.set(kind, k);
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });

  const session = new Session();
  session.connect();
  try {
    const tenant = service.context.sandbox!.tenant;
    await registerAgent(service);
    const token = (await new ManagedIdentityCredential({ clientId: tenant.agent.uamiClientId }).getToken(`${tenant.elevateApp.apiAudience}/.default`))!.token;
    const app = tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.type === 'Microsoft.App/containerApps')!;
    const distinct = JSON.stringify({ method: 'GET', path: `${app.id.replace(/\/[^/]+$/, '')}/ca-bench-__KEY__`, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: 'bench-distinct' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const warm = await fetch(`${service.listenUrl}/api/v1/decisions`, { method: 'POST', headers, body: distinct.replace('__KEY__', 'warm') });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
    const bareUrl = `http://127.0.0.1:${(peerServer.address() as AddressInfo).port}/echo`;

    if (PROFILE) {
      await session.post('Profiler.enable');
      await session.post('Profiler.setSamplingInterval', { interval: 200 });
    }
    const rows: string[] = [];
    const ratios: number[] = [];
    let cpuUs = 0;
    let answered = 0;
    let bareAnswered = 0;
    let busy = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      log(`round ${round}/${ROUNDS}: bare express`);
      gcPhase = 'bare';
      // The peer's profile beside the decisions' (…-bare-N.cpuprofile): what Elevate adds is the difference.
      if (PROFILE) await session.post('Profiler.start');
      const bare: Result = await hammer({ url: bareUrl, headers, body: distinct }, DURATION_S, CONNECTIONS);
      if (PROFILE) writeFileSync(PROFILE.replace(/(\.cpuprofile)?$/, `-bare-${round}.cpuprofile`), JSON.stringify((await session.post('Profiler.stop')).profile));
      gcPhase = undefined;
      bareAnswered += bare['2xx'] + bare.non2xx;
      log(`round ${round}/${ROUNDS}: ${REPEATED ? 'repeated' : 'distinct'} decisions`);
      if (PROFILE) await session.post('Profiler.start');
      if (HEAP_PROFILE) await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      recording = true;
      gcPhase = 'decisions';
      const cpu = process.cpuUsage();
      const elu = performance.eventLoopUtilization();
      const r = await hammer({ url: `${service.listenUrl}/api/v1/decisions`, headers, body: REPEATED ? distinct.replace('__KEY__', 'warm') : distinct, uniqueKey: !REPEATED }, DURATION_S, CONNECTIONS);
      const used = process.cpuUsage(cpu);
      busy += performance.eventLoopUtilization(elu).utilization;
      recording = false;
      gcPhase = undefined;
      if (HEAP_PROFILE) writeFileSync(ROUNDS > 1 ? HEAP_PROFILE.replace(/(\.heapprofile)?$/, `-${round}.heapprofile`) : HEAP_PROFILE, JSON.stringify((await session.post('HeapProfiler.stopSampling')).profile));
      if (PROFILE) writeFileSync(ROUNDS > 1 ? PROFILE.replace(/(\.cpuprofile)?$/, `-${round}.cpuprofile`) : PROFILE, JSON.stringify((await session.post('Profiler.stop')).profile));
      cpuUs += used.user + used.system;
      answered += r['2xx'] + r.non2xx;
      ratios.push(r.requests.average / bare.requests.average);
      rows.push(`| ${round} | ${bare.requests.average.toFixed(0)} | ${r.requests.average.toFixed(0)} | ${(r.requests.average / bare.requests.average).toFixed(2)}× | ${r.latency.p50} | ${r.non2xx + r.errors} |`);
    }
    const sizes = groups.map((g) => g.rows);
    const ms = groups.map((g) => g.ms);
    const out = [
      `### ${REPEATED ? "Repeated" : "Distinct"} decisions: where the time goes (${CONNECTIONS} connections, ${DURATION_S} s × ${ROUNDS} rounds)`,
      '',
      '| round | bare req/s | decisions req/s | ratio | p50 ms | non-2xx + errors |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
      '',
      `- Audit groups during the distinct phases: ${groups.length}, rows per group p10/p50/p90/max ${[0.1, 0.5, 0.9].map((q) => quantile(sizes, q)).join(' / ')} / ${Math.max(...sizes)}, mean ${(sizes.reduce((a, b) => a + b, 0) / Math.max(1, groups.length)).toFixed(1)}.`,
      `- INSERT call to return (mutex wait + insert + fsync), ms p10/p50/p90: ${[0.1, 0.5, 0.9].map((q) => quantile(ms, q).toFixed(2)).join(' / ')}; time inside statements ${(ms.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s of ${DURATION_S * ROUNDS} s.`,
      `- Server CPU per answer (all threads) ${(cpuUs / Math.max(1, answered)).toFixed(0)} µs; event loop busy ${((busy / ROUNDS) * 100).toFixed(0)}%.`,
      `- Garbage collection on the main thread per answer: decisions ${gcLine(gcMs.decisions, answered)}; bare express ${gcLine(gcMs.bare, bareAnswered)}.`,
      `- Load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' / ')} (${cpus().length} cores).`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    gcObserver.disconnect();
    session.disconnect();
    await new Promise((r) => peerServer.close(r));
    await service.close();
  }
}

main().catch((err: unknown) => {
  log(`failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exitCode = 1;
});
