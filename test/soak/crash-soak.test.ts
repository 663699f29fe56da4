/**
 * Crash soak (issue 11): many request lifecycles (direct executions, consents, elevations with a
 * long-running operation) against the sandbox while the service is killed with SIGKILL at random
 * moments and started again. The sandbox (Entra, IMDS, ARM with its state and activity log) runs
 * in this test's process; the service is a separate `elevate serve` process configured for a
 * "real" tenant whose endpoints are that sandbox, so a kill takes nothing of Azure's with it.
 *
 * After each restart and at the end it checks, from ARM's own activity log and the database:
 * 0 double executions, 0 unaudited executions (an ARM write with no `arm.request` entry), and at
 * the end also 0 requests left approved/executing longer than the reconcile interval, every
 * elevation's token with a `token.discarded` entry, and the audit chain verifying.
 * The figures are printed (and recorded in bench/RESULTS.md). In the PostgreSQL lane the service
 * runs on a database of the run's cluster (test-store.ts): a kill then also drops its pool's
 * sessions, advisory locks and in-flight transactions, which the server must roll back.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createAuthorizationClient } from '../../src/azure/arm-clients.ts';
import { resolveAzureEndpoints, resolveServiceCredentialSource } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import type { Database } from '../../src/store/database.ts';
import { approveElevation, csrfOf, postDecision, requestPage } from '../approvals/support/approval-steps.ts';
import type { ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { imdsCredential, startApprovalSandbox } from '../approvals/support/approval-sandbox.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { signInAs } from '../signin/support/sign-in-steps.ts';
import { freePort, sandboxServeEnv, startServeProcess } from '../support/serve-process-env.ts';
import { openStoreToRead, openStoreToSeed, testStoreEnv, type TestStoreEnv } from '../support/test-store.ts';

const CONTAINER_APPS_CONTRIBUTOR = '358470bc-b998-42bd-ab17-a7e34c199c0f';
/** How long lifecycles are driven while the service is being killed (the whole test stays well under 3 min). */
const DRIVE_MS = 60_000;
const RECONCILE_SECONDS = 2;
const LEASE_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sandbox: SandboxHandle;
let dir: string;
let store: TestStoreEnv;
let port: number;
let url: string;
let child: ChildProcess | undefined;
const agents = { reader: { id: randomUUID(), clientId: '', principalId: '' }, privileged: { id: randomUUID(), clientId: '', principalId: '' } };

async function startElevate(): Promise<void> {
  ({ child } = await startServeProcess({
    cwd: dir,
    env: {
      ...sandboxServeEnv(sandbox, port),
      ...store.env,
      ELEVATE_POLICIES_DIR: join(dir, 'policies'),
      ELEVATE_RECONCILE_INTERVAL_SECONDS: String(RECONCILE_SECONDS),
      // A killed instance's executions are taken over once their lease has run out (on PostgreSQL).
      ELEVATE_EXECUTION_LEASE_SECONDS: String(LEASE_SECONDS),
      // Six drivers on two agents ask far more than an agent's default budget a minute; the soak is
      // about kills, not limits, and on PostgreSQL the counts (rightly) outlive a kill.
      ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: '100000',
    },
    url,
    readyPath: '/healthz',
    timeoutMs: 60_000,
  }));
}

async function killElevate(): Promise<void> {
  const c = child;
  // A killed process has a signalCode and no exitCode.
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

// ---- the lifecycles --------------------------------------------------------------------------

const tokens = new Map<string, ReturnType<typeof imdsCredential>>();
async function agentToken(clientId: string): Promise<string> {
  let c = tokens.get(clientId);
  if (!c) tokens.set(clientId, (c = imdsCredential(sandbox.origin, clientId)));
  return (await c.getToken(`${sandbox.tenant.elevateApp.apiAudience}/.default`))!.token;
}

/** Submits (retrying the same idempotency key through kills, as an agent should) until answered. */
async function submit(agent: { clientId: string }, body: Record<string, unknown>, stop: () => boolean): Promise<OperationRequest | undefined> {
  while (!stop()) {
    try {
      const res = await fetch(`${url}/api/v1/operations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await agentToken(agent.clientId)}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status === 200 || res.status === 201) return (await res.json()) as OperationRequest;
      await res.body?.cancel();
      if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new Error(`submit answered ${res.status}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('submit answered')) throw err;
      // killed mid-request: try again with the same key once it is back
    }
    await sleep(200);
  }
  return undefined;
}

const resource = (name: string) => sandbox.tenant.resourceGroups.flatMap((g) => g.resources).find((r) => r.name === name)!;
const revisionOf = (name: string) => resource(name).children.find((c) => c.type.toLowerCase().endsWith('revisions'))!;
const harnessView = () => ({ url, user: (key: string) => sandbox.tenant.users.find((u) => u.key === key)! }) as unknown as ApprovalHarness;

async function signedInAdmin(): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient();
  const hop = await signInAs(client, url, harnessView().user('admin').oid);
  if (hop.status !== 303) throw new Error(`sign-in answered ${hop.status}`);
  return client;
}

interface Counts {
  lifecycles: number;
  direct: number;
  consents: number;
  elevations: number;
  interruptedSteps: number;
}
const counts: Counts = { lifecycles: 0, direct: 0, consents: 0, elevations: 0, interruptedSteps: 0 };

/**
 * The administrator approves at most one request per APPROVAL_EVERY_MS, with the session they keep
 * across the service's restarts (sessions are stored): the service allows 30 sign-ins a minute per
 * address and 30 decisions a minute per administrator (src/signin/rate-limits.ts), and where the
 * counts are shared (PostgreSQL) they survive a kill, as they must. The rest stay pending.
 */
const APPROVAL_EVERY_MS = 2_500;
/** Consents and elevations take turns, so both paths are driven through the kills. */
let nextApproval = { at: 0, kind: 'elevation' as 'consent' | 'elevation' };
let admin: BrowserLikeClient | undefined;

async function lifecycle(kind: 'direct' | 'consent' | 'elevation', stop: () => boolean): Promise<void> {
  const key = randomUUID();
  const base = { method: 'POST', apiVersion: '2024-03-01', justification: 'soak', idempotencyKey: key };
  if (kind === 'direct') {
    // the privileged identity may restart ca-payments; incident -> Autonomous -> runs directly
    const done = await submit(agents.privileged, { ...base, path: `${revisionOf('ca-payments').id}/restart`, trigger: { kind: 'incident' } }, stop);
    if (done) counts.direct += 1;
  } else {
    const raised =
      kind === 'consent'
        ? await submit(agents.privileged, { ...base, path: `${revisionOf('ca-payments').id}/restart`, trigger: { kind: 'chat' } }, stop)
        : await submit(agents.reader, { ...base, path: `${resource('vm-sre-worker-01').id}/restart`, apiVersion: '2024-07-01', trigger: { kind: 'incident' } }, stop);
    if (!raised) return;
    if (kind === nextApproval.kind && Date.now() >= nextApproval.at) {
      nextApproval = { at: Date.now() + APPROVAL_EVERY_MS, kind: kind === 'consent' ? 'elevation' : 'consent' };
      try {
        admin ??= await signedInAdmin();
        if (kind === 'consent') {
          const token = csrfOf((await requestPage(admin, harnessView(), raised.id)).body);
          await postDecision(admin, harnessView(), raised.id, 'approve', 'soak consent', token);
          counts.consents += 1;
        } else {
          await approveElevation(admin, harnessView(), raised.id, 'admin', 'soak elevation');
          counts.elevations += 1;
        }
      } catch {
        admin = undefined; // signed in again next time, in case the kill cost the session its sign-in
        counts.interruptedSteps += 1; // the service was killed during the approval: left to the reconciler
      }
    }
  }
  counts.lifecycles += 1;
}

// ---- the checks ------------------------------------------------------------------------------

interface Figures {
  doubles: number;
  unaudited: number;
  stuck: number;
  tokensWithoutDiscard: number;
  executions: number;
}

async function figures(db: Database, final: boolean): Promise<Figures> {
  const callers = new Set([agents.privileged.principalId, agents.reader.principalId, harnessView().user('admin').oid].map((x) => x.toLowerCase()));
  const writes = sandbox.activityLog().filter((e) => callers.has(e.callerObjectId.toLowerCase()) && e.httpMethod !== 'GET');
  const execs = await db.all<{ request_id: string; arm_correlation_id: string | null }>('SELECT request_id, arm_correlation_id FROM executions');
  const byCorrelation = new Map(execs.filter((e) => e.arm_correlation_id).map((e) => [e.arm_correlation_id!.toLowerCase(), e.request_id]));
  const audited = new Set(
    (await db.all<{ details: string }>("SELECT details FROM audit_log WHERE event_type = 'arm.request'")).map((r) => String((JSON.parse(r.details) as { correlationId: string }).correlationId).toLowerCase()),
  );
  // A double: a request ARM saw more than once, or an ARM write no execution record accounts for.
  const perRequest = new Map<string, number>();
  let doubles = 0;
  let unaudited = 0;
  for (const w of writes) {
    const id = byCorrelation.get(w.correlationId.toLowerCase());
    if (!id) doubles += 1;
    else perRequest.set(id, (perRequest.get(id) ?? 0) + 1);
    if (!audited.has(w.correlationId.toLowerCase())) unaudited += 1;
  }
  for (const n of perRequest.values()) if (n > 1) doubles += n - 1;
  let stuck = 0;
  let tokensWithoutDiscard = 0;
  if (final) {
    const cutoff = new Date(Date.now() - RECONCILE_SECONDS * 1000 * 3).toISOString();
    stuck = (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM operation_requests WHERE state IN ('approved', 'executing') AND updated_at < ?", [cutoff]))!.n;
    tokensWithoutDiscard = (await db.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM one_time_tokens t WHERE t.discarded_at IS NULL
          OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.request_id = t.request_id AND a.event_type = 'token.discarded')`,
    ))!.n;
  }
  return { doubles, unaudited, stuck, tokensWithoutDiscard, executions: execs.length };
}

async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openStoreToRead(store);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  sandbox = await startApprovalSandbox();
  dir = mkdtempSync(join(tmpdir(), 'elevate-soak-'));
  store = await testStoreEnv(join(dir, 'elevate.db'), 'elevate_soak');
  // The repository's policies with incident-triggered writes Autonomous, so some run directly.
  cpSync(resolve('policies'), join(dir, 'policies'), { recursive: true });
  const runModes = join(dir, 'policies', 'run-modes.yaml');
  writeFileSync(runModes, readFileSync(runModes, 'utf8').replace(/^(\s*)incident: Review$/m, '$1incident: Autonomous'));
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const t = sandbox.tenant;
  const mi = t.elevateApp.managedIdentity!;
  agents.reader = { id: agents.reader.id, clientId: t.agent.uamiClientId, principalId: t.agent.uamiPrincipalId };
  agents.privileged = { id: agents.privileged.id, clientId: mi.clientId, principalId: mi.principalId };
  // The agents, registered before the first start (as `elevate agents add` would).
  const db = await openStoreToSeed(store);
  const now = new Date().toISOString();
  for (const [a, level, name] of [[agents.reader, 'Reader', 'sre-agent'], [agents.privileged, 'Privileged', 'sre-agent-privileged']] as const) {
    await db.run(
      'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [a.id, name, a.clientId, a.principalId, t.tenantId, level, 'Autonomous', now, now],
    );
    for (const rg of t.agent.resourceGroupIds) await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [a.id, rg]);
  }
  await db.close();
  // The privileged identity may restart ca-payments' revisions (a consent in Review mode, direct in Autonomous).
  const config = parseConfig(store.env);
  const endpoints = resolveAzureEndpoints(config, sandbox);
  await createAuthorizationClient(createServiceCredential(endpoints, resolveServiceCredentialSource(config, sandbox)), t.agent.subscriptionId, endpoints).roleAssignments.create(
    resource('ca-payments').id,
    randomUUID(),
    {
      roleDefinitionId: `/subscriptions/${t.agent.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${CONTAINER_APPS_CONTRIBUTOR}`,
      principalId: mi.principalId,
      principalType: 'ServicePrincipal',
    },
  );
  await startElevate();
}, 120_000);

afterAll(async () => {
  await killElevate();
  await store?.drop();
  await Promise.race([sandbox?.close(), sleep(10_000)]);
}, 30_000);

describe('crash soak', () => {
  it('kills the service at random moments: nothing run twice, nothing unaudited, nothing stuck, every token discarded, chain verifies', async () => {
    const started = Date.now();
    let stopDriving = false;
    const stop = () => stopDriving;
    const kinds = ['direct', 'consent', 'elevation'] as const;
    const drivers = Array.from({ length: 6 }, async (_, n) => {
      let i = n;
      while (!stopDriving) await lifecycle(kinds[i++ % kinds.length]!, stop).catch(() => (counts.interruptedSteps += 1));
    });

    let kills = 0;
    const afterRestart: Figures[] = [];
    while (Date.now() - started < DRIVE_MS) {
      await sleep(2_500 + Math.floor(Math.random() * 2_500));
      await killElevate();
      kills += 1;
      await startElevate(); // listens only once the start-up reconcile is done
      const f = await withDb((db) => figures(db, false));
      afterRestart.push(f);
      expect(f.doubles, `doubles after restart ${kills}`).toBe(0);
      expect(f.unaudited, `unaudited after restart ${kills}`).toBe(0);
    }
    stopDriving = true;
    await Promise.all(drivers);
    // One last crash and restart, then let the periodic reconciler run past its interval.
    await killElevate();
    kills += 1;
    await startElevate();
    await sleep(RECONCILE_SECONDS * 1000 * 4);
    await killElevate();

    const final = await withDb((db) => figures(db, true));
    const chain = await withDb((db) => createAuditLog(db).verify());
    const states = await withDb(async (db) =>
      Object.fromEntries((await db.all<{ state: string; n: number }>('SELECT state, COUNT(*) AS n FROM operation_requests GROUP BY state ORDER BY state')).map((r) => [r.state, r.n])),
    );
    const processEndDiscards = await withDb(
      async (db) => (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM one_time_tokens WHERE discard_reason = 'process_end'"))!.n,
    );
    const report = {
      lifecycles: counts.lifecycles,
      direct: counts.direct,
      consents: counts.consents,
      elevations: counts.elevations,
      interruptedSteps: counts.interruptedSteps,
      kills,
      executions: final.executions,
      doubles: final.doubles,
      stuck: final.stuck,
      unaudited: final.unaudited,
      tokensWithoutDiscard: final.tokensWithoutDiscard,
      chainOk: chain.ok,
      states,
      processEndDiscards,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`crash soak: ${JSON.stringify(report)}`);
    expect(kills).toBeGreaterThanOrEqual(4);
    expect(counts.lifecycles).toBeGreaterThanOrEqual(10);
    expect(final.executions).toBeGreaterThan(0);
    // The approval path (consent, OBO elevation) was driven through the kills too, within the limits:
    // approvals finished, and others were cut by a kill and left to the reconciler.
    expect(counts.consents + counts.elevations + counts.interruptedSteps).toBeGreaterThanOrEqual(5);
    expect(counts.consents + counts.elevations).toBeGreaterThanOrEqual(1);
    expect(final).toMatchObject({ doubles: 0, unaudited: 0, stuck: 0, tokensWithoutDiscard: 0 });
    expect(chain.ok).toBe(true);
  }, 170_000);
});
