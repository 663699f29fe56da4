/**
 * Issue 16, adapter-specific: the whole service as `elevate serve` composes it, started with
 * ELEVATE_DATABASE_URL on a fresh PostgreSQL database, runs the core loop through the agent API
 * against its own sandbox: the agent asks for an operation it needs an elevation for, an
 * administrator approves it on the pages (fresh sign-in), it runs exactly once, and the audit
 * chain verifies. Then /readyz: a lost database makes the instance not ready, and it is ready
 * again by itself once the database is back.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, restartCheckout } from '../approvals/support/approval-steps.ts';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from '../support/postgres-context.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { verifyChain } from '../../src/audit/audit-verify.ts';

// A chat trigger (an incident trigger must name an open incident).
const CHAT = { trigger: { kind: 'chat', ref: 'thread-pg-16', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' } };

let database: TestDatabase;
let s: FullService;

beforeAll(async () => {
  database = await createTestDatabase('elevate_service');
  s = await startFullService({
    ELEVATE_DATABASE_URL: database.url,
    // Signed checkpoints on, one every few entries, so they are written to PostgreSQL too.
    ELEVATE_AUDIT_CHECKPOINT_KEY: join(mkdtempSync(join(tmpdir(), 'elevate-pg-key-')), 'checkpoint.pem'),
    ELEVATE_AUDIT_CHECKPOINT_EVERY: '5',
  });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await database?.drop();
});

const agentApi = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> => {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await s.agentToken()}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json().catch(() => undefined) };
};

/** The service's error log lines, for a failure message. */
const errorLines = () =>
  s
    .logLines()
    .filter((l) => Number(l.level) >= 50 || l.level === "error" || l.err !== undefined || l.reason !== undefined)
    .map((l) => JSON.stringify(l))
    .join('\n');

async function readiness(): Promise<{ status: number; checks: Array<{ name: string; ok: boolean; error?: string }> }> {
  const res = await fetch(`${s.url}/readyz`);
  return { ...((await res.json()) as { checks: Array<{ name: string; ok: boolean; error?: string }> }), status: res.status };
}

describe('the service on PostgreSQL', { timeout: 120_000 }, () => {
  it('runs on the PostgreSQL database it was given, migrated, and not on a SQLite file', async () => {
    const store = s.service.context.store;
    expect(store.path).toBe(new URL(database.url).href.replace(/:[^:@/]*@/, '@'));
    const row = await store.get<{ db: string }>('SELECT current_database() AS db');
    expect(row?.db).toBe(database.name);
    const ready = await readiness();
    expect(ready.status, JSON.stringify(ready.checks)).toBe(200);
  });

  it('an elevation raised by the agent, approved by an administrator, runs once and the audit chain verifies', async () => {
    const view = {
      url: s.url,
      sandbox: s.service.context.sandbox!,
      user: (key: string) => s.service.context.sandbox!.tenant.users.find((u) => u.key === key)!,
    } as unknown as ApprovalHarness;

    const submitted = await agentApi('POST', '/api/v1/operations', restartCheckout(view, CHAT));
    expect(submitted.status, `${JSON.stringify(submitted.json)}\n${errorLines()}`).toBe(201);
    expect(submitted.json.state).toBe('pending_elevation');
    const id = submitted.json.id as string;

    const admin = await s.signedIn('admin');
    const { callback } = await approveElevation(admin, view, id, 'admin', 'restart approved on PostgreSQL');
    expect(callback.status, callback.body.slice(0, 300)).toBe(303);
    expect(callback.location).toContain('done=executed');

    const settled = await agentApi('GET', `/api/v1/operations/${id}`);
    expect(settled.json.state).toBe('succeeded');

    const store = s.service.context.store;
    const events = (await store.all<{ event_type: string }>('SELECT event_type FROM audit_log WHERE request_id = ? ORDER BY seq', [id])).map((r) => r.event_type);
    expect(events.filter((t) => t === 'arm.request'), events.join(' ')).toHaveLength(1);
    expect(events).toEqual(expect.arrayContaining(['operation.requested', 'approval.decided', 'arm.request']));
    // The execution and the approver's one-time token name this instance, which holds its liveness lock.
    const instanceId = s.service.context.liveness?.id;
    expect(instanceId).toBeDefined();
    expect((await store.get<{ instance_id: string }>('SELECT instance_id FROM executions WHERE request_id = ?', [id]))?.instance_id).toBe(instanceId);
    expect((await store.all<{ instance_id: string }>('SELECT instance_id FROM one_time_tokens WHERE request_id = ?', [id])).map((r) => r.instance_id)).toEqual([instanceId]);

    const verified = await verifyChain(store);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
    const count = await store.get<{ n: number }>('SELECT count(*) AS n FROM audit_log');
    expect(verified.entriesChecked).toBe(count!.n);
    expect(verified.entriesChecked).toBeGreaterThan(3);
    // A checkpoint of the chain was signed and stored in the database, naming an entry that verifies.
    let checkpoint: { seq: number; hash: string } | undefined;
    for (let i = 0; i < 100 && !checkpoint; i++) {
      // Taken in the background once 5 entries are appended: wait for it rather than race it.
      checkpoint = await store.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
      if (!checkpoint) await new Promise((r) => setTimeout(r, 50));
    }
    expect(checkpoint, errorLines()).toBeDefined();
    expect((await store.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', [checkpoint!.seq]))?.hash).toBe(checkpoint!.hash);
  });

  it('the pages and the audit search answer on PostgreSQL (every filter, the overview, the timeline, export)', async () => {
    const id = (await s.service.context.store.get<{ id: string }>('SELECT id FROM operation_requests ORDER BY created_at LIMIT 1'))!.id;
    const sandbox = s.service.context.sandbox!;
    const mi = `mi:${sandbox.tenant.agent.uamiPrincipalId}`;
    const auditor = await s.signedIn('auditor');
    const admin = await s.signedIn('admin');
    const paths = [
      '/audit',
      `/audit?requestId=${id}`,
      `/audit?actingIdentity=${encodeURIComponent(mi)}`,
      `/audit?scopePrefix=${encodeURIComponent(sandbox.tenant.agent.resourceGroupIds[0]!)}`,
      `/audit?from=2020-01-01&to=2099-01-01`,
      '/audit/overview',
      `/audit/requests/${id}`,
      '/audit/entries/1',
      `/audit/export?requestId=${id}&format=jsonl`,
      '/audit/export?format=csv',
      '/audit/verify',
    ];
    for (const path of paths) {
      const page = await auditor.get(`${s.url}${path}`);
      expect(page.status, `${path}: ${page.body.slice(0, 200)}\n${errorLines()}`).toBe(200);
    }
    for (const path of ['/', '/approvals', `/approvals/${id}`, '/agents', '/incidents']) {
      const page = await admin.get(`${s.url}${path}`);
      expect(page.status, `${path}: ${page.body.slice(0, 200)}\n${errorLines()}`).toBeLessThan(400);
    }
    // Nothing failed on the way, background jobs (reconciler, checkpointer, dispatcher) included.
    expect(s.logLines().filter((l) => ['warn', 'error', 'fatal'].includes(String(l.level)) || Number(l.level) >= 40)).toEqual([]);
  });

  it('/readyz fails while the database is unreachable and recovers by itself', async () => {
    // Take the database away: refuse new connections to it and end every session on it.
    const admin = new pg.Client({ connectionString: postgresServerUrl() });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database.name]);
      const lost = await readiness();
      expect(lost.status).toBe(503);
      const check = lost.checks.find((c) => c.name === 'database')!;
      expect(check.ok).toBe(false);
      expect(check.error).not.toContain(new URL(database.url).password);

      // The agent API fails closed meanwhile: nothing is accepted without the store.
      const refused = await agentApi('POST', '/api/v1/operations', restartCheckout({ sandbox: s.service.context.sandbox! } as unknown as ApprovalHarness, CHAT));
      expect(refused.status).toBeGreaterThanOrEqual(500);

      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`);
    } finally {
      await admin.query(`ALTER DATABASE ${database.name} WITH ALLOW_CONNECTIONS true`).catch(() => undefined);
      await admin.end();
    }
    const back = await readiness();
    expect(back.status, JSON.stringify(back.checks)).toBe(200);
  });
});

describe('the service refuses a PostgreSQL database it cannot use', { timeout: 120_000 }, () => {
  it('a wrong password stops the start with one line naming the setting, never either password', async () => {
    const wrong = new URL(database.url);
    const real = wrong.password;
    wrong.password = 'not-the-Pa55word';
    const failure = await startFullService({ ELEVATE_DATABASE_URL: wrong.href }).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (err: Error) => err,
    );
    expect(failure?.name).toBe('ServiceStartError');
    expect(failure?.message).toMatch(/^ELEVATE_DATABASE_URL: cannot open postgres:\/\/[^:@]+@127\.0\.0\.1:\d+\/elevate_service_\w+: /);
    expect(failure?.message).not.toContain('not-the-Pa55word');
    expect(failure?.message).not.toContain(real);
  });
});
