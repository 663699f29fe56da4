/**
 * Issue 16, end to end: two `elevate serve` processes on one PostgreSQL database and one sandbox
 * (Entra, IMDS, ARM in this test's process; both instances are configured for a "real" tenant
 * whose endpoints are that sandbox, so killing an instance takes nothing of Azure's with it).
 *
 * The agent authenticates with its managed identity's token, as in production, and its calls go
 * round-robin to A and B, as behind a load balancer. An administrator consents on A while the
 * agent long-polls B: B answers through LISTEN/NOTIFY, long before its wait runs out. Then a
 * consented VM restart (a long-running operation, held InProgress by the sandbox) is running on A
 * when A is killed with SIGKILL: A's liveness lock ends with its database session and, a few
 * seconds later, the execution's lease runs out (nobody renews it); then B's reconciler claims
 * the execution, follows the operation with the agent's identity to its end, and ARM saw
 * the write once. At the end no request is left approved or executing and the audit chain both
 * instances wrote verifies.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from '../../src/audit/audit-verify.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import type { Database } from '../../src/store/database.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { migratePostgres } from '../../src/store/postgres-migrations.ts';
import { csrfOf, postDecision, requestPage } from '../approvals/support/approval-steps.ts';
import { imdsCredential } from '../approvals/support/approval-sandbox.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { signInAs } from '../signin/support/sign-in-steps.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { seedFile } from '../support/seed-variants.ts';
import { freePort, sandboxServeEnv, startServeProcess } from '../support/serve-process-env.ts';

const RECONCILE_SECONDS = 2;
const LEASE_SECONDS = 3;
/** The agent's long-poll: far longer than a wake through LISTEN/NOTIFY takes. */
const LONG_POLL_SECONDS = 60;
const TERMINAL = ['succeeded', 'failed', 'denied', 'expired', 'cancelled', 'outcome_unknown'];

interface Instance {
  name: 'A' | 'B';
  url: string;
  child: ChildProcess;
  /** The tail of what it wrote. */
  readonly log: string;
  /** Agent API calls this instance answered. */
  calls: number;
}

let sandbox: SandboxHandle;
let database: TestDatabase;
let store: Database;
let dir: string;
let A: Instance;
let B: Instance;
const agent = { id: randomUUID(), name: 'sre-agent' };

/** Polls `check` until it is true; past `timeoutMs` fails with `explain()` (read at that moment). */
async function until(check: () => Promise<boolean>, timeoutMs: number, explain: () => string, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(explain());
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function startInstance(name: 'A' | 'B'): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const serve = await startServeProcess({
    cwd: dir,
    env: {
      ...sandboxServeEnv(sandbox, port),
      ELEVATE_DATABASE_URL: database.url,
      ELEVATE_POLICIES_DIR: resolve('policies'),
      ELEVATE_RECONCILE_INTERVAL_SECONDS: String(RECONCILE_SECONDS),
      // A killed instance's executions are taken over once their lease has run out (on PostgreSQL).
      ELEVATE_EXECUTION_LEASE_SECONDS: String(LEASE_SECONDS),
    },
    url,
    readyPath: '/healthz',
    timeoutMs: 45_000,
    name: `instance ${name}`,
  });
  return {
    name,
    url,
    child: serve.child,
    get log() {
      return serve.log();
    },
    calls: 0,
  };
}

const alive = (i: Instance) => i.child.exitCode === null && i.child.signalCode === null;

async function kill(i: Instance): Promise<void> {
  if (!alive(i)) return;
  const exited = new Promise((r) => i.child.once('exit', r));
  i.child.kill('SIGKILL');
  await exited;
}

// ---- the agent: its managed identity's token, calls round-robin over the live instances ----------

const agentCredential = () => imdsCredential(sandbox.origin, sandbox.tenant.agent.uamiClientId);
let turn = 0;
function nextInstance(): Instance {
  const live = [A, B].filter(alive);
  return live[turn++ % live.length]!;
}

async function agentCall(method: string, path: string, options: { body?: unknown; on?: Instance; signal?: AbortSignal } = {}): Promise<{ status: number; json: any; on: Instance }> {
  const on = options.on ?? nextInstance();
  const token = (await agentCredential().getToken(`${sandbox.tenant.elevateApp.apiAudience}/.default`))!.token;
  const res = await fetch(`${on.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  on.calls += 1;
  return { status: res.status, json: await res.json().catch(() => undefined), on };
}

/** Long-polls round-robin until the request is final (each wait wakes on a change). */
async function untilFinal(id: string): Promise<any> {
  let last: any;
  await until(
    async () => {
      last = (await agentCall('GET', `/operations/${id}?wait=5`)).json;
      return TERMINAL.includes(last?.state);
    },
    40_000,
    () => `request ${id} not final: ${JSON.stringify(last)}\nA: ${A.log.slice(-2000)}\nB: ${B.log.slice(-2000)}`,
    0,
  );
  return last;
}

// ---- the world -----------------------------------------------------------------------------------

const vm = () => sandbox.tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === 'vm-sre-worker-01')!;
/** A VM restart (a long-running operation) in Review mode: the agent holds the permission, a person consents. */
const restartVm = () => ({
  method: 'POST',
  path: `${vm().id}/restart`,
  apiVersion: '2024-07-01',
  justification: 'worker wedged',
  trigger: { kind: 'chat', ref: 'thread-16', requestedBy: 'sam.standard@contoso-sre.onmicrosoft.com' },
  idempotencyKey: randomUUID(),
});

async function signedInAdmin(on: Instance): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient();
  const hop = await signInAs(client, on.url, sandbox.tenant.users.find((u) => u.key === 'admin')!.oid);
  if (hop.status !== 303) throw new Error(`sign-in on ${on.name} answered ${hop.status}: ${hop.body.slice(0, 300)}`);
  return client;
}

const agentWrites = () =>
  sandbox.activityLog().filter((e) => e.callerObjectId.toLowerCase() === sandbox.tenant.agent.uamiPrincipalId.toLowerCase() && e.httpMethod !== 'GET');

const execution = (id: string) =>
  store.get<{ instance_id: string | null; poll_url: string | null; correlation_id: string; result: string | null }>(
    'SELECT instance_id, poll_url, arm_correlation_id AS correlation_id, result FROM executions WHERE request_id = ?',
    [id],
  );

beforeAll(async () => {
  // The agent's identity may restart the VM itself (so a write is a consent, run with its identity).
  sandbox = await startPrivateSandbox({
    seedFile: seedFile((seed) => {
      const { subscriptions, resourceGroups } = seed as unknown as {
        subscriptions: Array<{ key: string; subscriptionId: string }>;
        resourceGroups: Array<{ subscription: string; name: string; resources: Array<{ type: string; name: string }> }>;
      };
      const group = resourceGroups.find((g) => g.resources.some((r) => r.name === 'vm-sre-worker-01'))!;
      const subscriptionId = subscriptions.find((x) => x.key === group.subscription)!.subscriptionId;
      const scope = `/subscriptions/${subscriptionId}/resourceGroups/${group.name}/providers/Microsoft.Compute/virtualMachines/vm-sre-worker-01`;
      seed.roleAssignments.push({ name: randomUUID(), principal: 'mi:agent', role: 'Virtual Machine Contributor', scope });
    }),
  });
  dir = mkdtempSync(join(tmpdir(), 'elevate-two-instances-'));
  database = await createTestDatabase('elevate_two_e2e');
  // Migrated and the agent registered before either instance starts (as `elevate agents add` would).
  const pool = new pg.Pool({ connectionString: database.url, max: 1 });
  try {
    await migratePostgres(pool);
    const t = sandbox.tenant;
    const now = new Date().toISOString();
    await pool.query(
      'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [agent.id, agent.name, t.agent.uamiClientId, t.agent.uamiPrincipalId, t.tenantId, 'Reader', 'Review', now, now],
    );
    for (const rg of t.agent.resourceGroupIds) await pool.query('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES ($1, $2)', [agent.id, rg]);
  } finally {
    await pool.end();
  }
  store = await openPostgresDatabase(database.url, { poolSize: 2 });
  [A, B] = await Promise.all([startInstance('A'), startInstance('B')]);
}, 90_000);

afterAll(async () => {
  sandbox?.holdLongRunningOperations(false);
  await Promise.all([A, B].filter(Boolean).map(kill));
  await store?.close();
  await database?.drop();
  await sandbox?.close();
}, 30_000);

describe('two Elevate instances on one PostgreSQL database, end to end', () => {
  it('approve on A while the agent long-polls B; A killed mid-operation, B takes it over; ARM saw each write once; nothing stuck; the chain verifies', { timeout: 90_000 }, async () => {
    // 1. Consent on A, agent waiting on B.
    const first = await agentCall('POST', '/operations', { body: restartVm(), on: A });
    expect(first.status, JSON.stringify(first.json)).toBe(201);
    expect(first.json.state).toBe('pending_consent');
    const r1 = first.json.id as string;
    const admin = await signedInAdmin(A);
    const csrf = csrfOf((await requestPage(admin, { url: A.url }, r1)).body);

    // B's wait is cut at half its length: only a wake through the change bus answers in time.
    const waiting = agentCall('GET', `/operations/${r1}?wait=${LONG_POLL_SECONDS}`, { on: B, signal: AbortSignal.timeout((LONG_POLL_SECONDS / 2) * 1000) });
    // Pacing, not an assertion: let B park the waiter, so that what answers it is the change bus
    // (a change before parking is caught by B's re-read instead, which would prove less).
    await new Promise((r) => setTimeout(r, 500));
    const decided = await postDecision(admin, { url: A.url }, r1, 'approve', 'restart it', csrf);
    expect(decided.status, decided.body.slice(0, 300)).toBe(303);
    const woken = await waiting;
    expect(woken.status).toBe(200);
    expect(woken.json.state).not.toBe('pending_consent');
    expect((await untilFinal(r1)).state).toBe('succeeded');
    const aId = (await execution(r1))!.instance_id;
    expect(aId).toBeTruthy();

    // 2. The next restart runs on A and ARM takes its time; A dies while following it.
    sandbox.holdLongRunningOperations(true);
    const second = await agentCall('POST', '/operations', { body: restartVm() });
    expect(second.status, JSON.stringify(second.json)).toBe(201);
    const r2 = second.json.id as string;
    const pollsBefore = sandbox.stats().arm.byKind['operations.status'] ?? 0;
    const csrf2 = csrfOf((await requestPage(admin, { url: A.url }, r2)).body);
    // The approval's answer may wait on the execution; A dies before it comes.
    const approving = postDecision(admin, { url: A.url }, r2, 'approve', 'restart it again', csrf2).catch(() => undefined);
    // A has the operation: ARM accepted it, the poll URL is on A's durable record, and A polls it.
    await until(
      async () => ((await execution(r2))?.poll_url ? (sandbox.stats().arm.byKind['operations.status'] ?? 0) > pollsBefore : false),
      20_000,
      () => `A did not start following r2: ${A.log.slice(-2000)}`,
    );
    expect((await execution(r2))!.instance_id).toBe(aId);
    expect((await store.get<{ state: string }>('SELECT state FROM operation_requests WHERE id = ?', [r2]))!.state).toBe('executing');
    await kill(A);
    await approving;
    sandbox.holdLongRunningOperations(false);

    // 3. B (the only one left) reconciles: A's liveness lock died with its session.
    expect((await untilFinal(r2)).state).toBe('succeeded');
    // The answer comes from the request row; the transition's audit entry follows its
    // compare-and-set in a separate step, so wait for it before reading the chain.
    await expect
      .poll(async () => (await store.get<{ event_type: string; details: string }>('SELECT event_type, details FROM audit_log WHERE request_id = ? ORDER BY seq DESC LIMIT 1', [r2]))?.details ?? '', { timeout: 15_000 })
      .toContain('"to":"succeeded"');
    const taken = (await execution(r2))!;
    expect(taken.instance_id).not.toBe(aId);
    expect(taken.result).toBe('succeeded');
    const events = await store.all<{ event_type: string; details: string }>('SELECT event_type, details FROM audit_log WHERE request_id = ? ORDER BY seq', [r2]);
    expect(events.filter((e) => e.event_type === 'arm.request'), events.map((e) => e.event_type).join(' ')).toHaveLength(1);
    // B's reconciler resumed it: the chain records the takeover (from A, to B) before B acted, and
    // the transition that ends it names both.
    expect(B.log, B.log.slice(-2000)).toMatch(/"resumed":1/);
    const takeovers = events.filter((e) => e.event_type === 'operation.execution.taken_over');
    expect(takeovers).toHaveLength(1);
    expect(JSON.parse(takeovers[0]!.details)).toMatchObject({ fromInstance: aId, toInstance: taken.instance_id });
    expect(events.indexOf(takeovers[0]!)).toBeGreaterThan(events.findIndex((e) => e.event_type === 'arm.request'));
    expect(events.at(-1)?.event_type).toBe('operation.transition');
    expect(JSON.parse(events.at(-1)!.details)).toMatchObject({ event: 'succeed', from: 'executing', to: 'succeeded', reconciled: true, instance: taken.instance_id, takenOverFrom: aId });

    // ARM saw each write exactly once, each one an execution's.
    const writes = agentWrites();
    const byCorrelation = new Map<string, number>();
    for (const w of writes) byCorrelation.set(w.correlationId.toLowerCase(), (byCorrelation.get(w.correlationId.toLowerCase()) ?? 0) + 1);
    const correlations = [(await execution(r1))!.correlation_id, taken.correlation_id].map((c) => c.toLowerCase());
    expect(writes).toHaveLength(2);
    expect(correlations.map((c) => byCorrelation.get(c))).toEqual([1, 1]);

    // Nothing stuck; both instances answered the agent; the chain verifies.
    const states = await store.all<{ id: string; state: string }>('SELECT id, state FROM operation_requests');
    expect(states.filter((s) => !TERMINAL.includes(s.state))).toEqual([]);
    expect(A.calls).toBeGreaterThan(0);
    expect(B.calls).toBeGreaterThan(0);
    const verified = await verifyChain(store);
    expect(verified.ok, JSON.stringify(verified)).toBe(true);
  });
});
