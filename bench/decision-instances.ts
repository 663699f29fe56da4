/**
 * decisions/s of Elevate instances on SQLite and PostgreSQL (issue 16), each instance a process
 * of its own (bench/elevate-instance.ts), driven over loopback by autocannon as
 * operations-api.bench.ts drives one in-process instance (bench/api-load.ts). Several instances
 * share one database; the load is split evenly, each instance taking its share of the connections.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Result } from 'autocannon';
import { hammer } from './api-load.ts';
import { MAX_REQUESTS_PER_MINUTE } from '../src/policies/rate-limits-schema.ts';

const entry = fileURLToPath(new URL('./elevate-instance.ts', import.meta.url));
const policiesDir = fileURLToPath(new URL('../policies/', import.meta.url));

export interface Instance {
  url: string;
  token: string;
  appId: string;
  stop(): Promise<void>;
}

/** Starts one instance on `database` (a PostgreSQL URL, or undefined for a SQLite file of its own). */
export async function startInstance(sandboxDir: string, portOffset: number, database: string | undefined): Promise<Instance> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', entry, sandboxDir, String(portOffset)], { stdio: ['pipe', 'pipe', 'inherit'] });
  // A SQLite file of its own, removed when the instance stops.
  const dbDir = database ? undefined : mkdtempSync(join(tmpdir(), 'elevate-bench-dec-'));
  const env: Record<string, string> = {
    ELEVATE_POLICIES_DIR: policiesDir,
    // The benchmark measures the pipeline, not the per-agent rate limit: lifted to its maximum.
    ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: String(MAX_REQUESTS_PER_MINUTE),
    ELEVATE_LOG_LEVEL: 'warn',
    ...(dbDir ? { ELEVATE_DB_PATH: join(dbDir, 'elevate.db') } : { ELEVATE_DATABASE_URL: database! }),
  };
  child.stdin!.write(`${JSON.stringify(env)}\n`);
  const exited = once(child, 'exit');
  const line = await Promise.race([
    new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve)),
    exited.then(([code]) => Promise.reject(new Error(`bench instance exited with ${String(code)} before it was ready`))),
  ]);
  const { url, token, appId } = JSON.parse(line) as { url: string; token: string; appId: string };
  return {
    url,
    token,
    appId,
    async stop() {
      child.stdin!.end();
      await exited;
      if (dbDir) rmSync(dbDir, { recursive: true, force: true });
    },
  };
}

export interface DecisionRate {
  /** 2xx answers per second, all instances together */
  perSecond: number;
  non2xx: number;
  p99: number;
}

/**
 * POST /api/v1/decisions on `instances` at once for `duration` s, `connections` split evenly.
 * `distinct`: every query names another (unknown) container app, so each answer is durably
 * audited on its own before it is sent; otherwise the same query is repeated.
 */
export async function decisionRate(instances: Instance[], distinct: boolean, duration: number, connections: number): Promise<DecisionRate> {
  const results: Result[] = await Promise.all(
    instances.map((inst, i) => {
      const path = distinct ? `${inst.appId.replace(/\/[^/]+$/, '')}/ca-bench-i${i}-__KEY__` : inst.appId;
      const body = JSON.stringify({ method: 'GET', path, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: 'bench-decision' });
      return hammer({ url: `${inst.url}/api/v1/decisions`, headers: { 'content-type': 'application/json', authorization: `Bearer ${inst.token}` }, body, uniqueKey: distinct }, duration, Math.max(1, Math.round(connections / instances.length)));
    }),
  );
  return {
    perSecond: results.reduce((n, r) => n + r['2xx'], 0) / duration,
    non2xx: results.reduce((n, r) => n + r.non2xx + r.errors, 0),
    p99: Math.max(...results.map((r) => r.latency.p99)),
  };
}

/** One decision of each kind per instance, so token keys, caches and JIT are warm. */
export async function warmUp(instances: Instance[]): Promise<void> {
  for (const inst of instances) {
    for (const path of [inst.appId, `${inst.appId.replace(/\/[^/]+$/, '')}/ca-bench-warm`]) {
      const res = await fetch(`${inst.url}/api/v1/decisions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${inst.token}` },
        body: JSON.stringify({ method: 'GET', path, apiVersion: '2024-03-01', trigger: { kind: 'chat', ref: 'bench' }, idempotencyKey: 'bench-warm' }),
      });
      if (res.status !== 200) throw new Error(`warm-up decision answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    }
  }
}
