/**
 * kill -9 of `elevate serve` in the middle of a time-bound raise's grant and of its revoke, with
 * PIM unavailable (fallback: nothing in Azure ends the window but Elevate). The sandbox runs in
 * this test's process; Elevate is a separate process configured for a "real" tenant whose
 * endpoints are that sandbox, so a kill takes nothing of Azure's with it. Once Elevate is back,
 * the interrupted grant is finished (no duplicate), the window still ends on time, the interrupted
 * revoke is finished, and Azure holds nothing of the raise afterwards. Real time: a 1-minute window.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { imdsCredential, startApprovalSandbox } from '../approvals/support/approval-sandbox.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { signInAs } from '../signin/support/sign-in-steps.ts';
import { agentCall, raiseForm, until } from '../raises/support/raise-steps.ts';
import { freePort, sandboxServeEnv, startServeProcess } from '../support/serve-process-env.ts';
import { openStoreToRead, openStoreToSeed, testStoreEnv, type TestStoreEnv } from '../support/test-store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sandbox: SandboxHandle;
let dir: string;
let store: TestStoreEnv;
let url: string;
let port: number;
let child: ChildProcess | undefined;
const AGENT = 'sre-agent';

async function startElevate(): Promise<void> {
  ({ child } = await startServeProcess({
    cwd: dir,
    env: {
      ...sandboxServeEnv(sandbox, port),
      ...store.env,
      ELEVATE_POLICIES_DIR: join(dir, 'policies'),
      ELEVATE_RAISE_SWEEP_SECONDS: '1',
    },
    url,
    readyPath: '/healthz',
    timeoutMs: 90_000,
  }));
}

async function killElevate(): Promise<void> {
  const c = child;
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
}

/** Kills Elevate as soon as the sandbox has counted one more request of `kind` (e.g. roleAssignments.create). */
async function killAfterNext(kind: string, trigger: () => Promise<unknown>): Promise<void> {
  const before = sandbox.stats().arm.byKind[kind] ?? 0;
  const triggered = trigger().catch(() => undefined);
  const deadline = Date.now() + 30_000;
  while ((sandbox.stats().arm.byKind[kind] ?? 0) <= before && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  await killElevate();
  await triggered;
}

const credential = () => imdsCredential(sandbox.origin, sandbox.tenant.agent.uamiClientId);
const agentToken = async () => (await credential().getToken(`${sandbox.tenant.elevateApp.apiAudience}/.default`))!.token;
const raiseAssignments = () => sandbox.roleAssignmentsOf(sandbox.tenant.agent.uamiPrincipalId).filter((a) => a.description?.startsWith('Elevate time-bound raise'));

async function admin(): Promise<BrowserLikeClient> {
  const client = new BrowserLikeClient();
  const hop = await signInAs(client, url, sandbox.tenant.users.find((u) => u.key === 'admin')!.oid);
  if (hop.status !== 303) throw new Error(`sign-in answered ${hop.status}`);
  return client;
}

async function eventsOf(raiseId: string): Promise<string[]> {
  const db = await openStoreToRead(store);
  try {
    return (await db.all<{ event_type: string }>('SELECT event_type FROM audit_log WHERE request_id = ? ORDER BY seq', [raiseId])).map((r) => r.event_type);
  } finally {
    await db.close();
  }
}

const raiseBody = (minutes: number) => ({
  resourceGroupIds: [sandbox.tenant.agent.resourceGroupIds.find((g) => g.endsWith('rg-sre-apps'))!],
  targetLevel: 'Privileged',
  durationMinutes: minutes,
  justification: 'INC-2001 restarts',
  trigger: { kind: 'incident', ref: 'INC-2001' },
});

beforeAll(async () => {
  sandbox = await startApprovalSandbox();
  sandbox.setPimLicensed(false);
  dir = mkdtempSync(join(tmpdir(), 'elevate-raise-kill-'));
  store = await testStoreEnv(join(dir, 'elevate.db'), 'elevate_raise_kill');
  cpSync(resolve('policies'), join(dir, 'policies'), { recursive: true });
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  const t = sandbox.tenant;
  const db = await openStoreToSeed(store);
  const now = new Date().toISOString();
  const id = randomUUID();
  await db.run(
    'INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [id, AGENT, t.agent.uamiClientId, t.agent.uamiPrincipalId, t.tenantId, 'Reader', 'Review', now, now],
  );
  for (const rg of t.agent.resourceGroupIds) await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', [id, rg]);
  await db.close();
  await startElevate();
}, 120_000);

afterAll(async () => {
  await killElevate();
  await store?.drop();
  await sandbox?.close();
});

describe('level raises across kill -9 (fallback mode)', { timeout: 300_000 }, () => {
  it('finishes a grant interrupted by kill -9 without duplicates, and still ends the window on time', async () => {
    const asked = await agentCall(url, await agentToken(), 'POST', '/level-raises', raiseBody(1));
    expect(asked.status, JSON.stringify(asked.json)).toBe(201);
    const id = asked.json.id as string;
    const client = await admin();
    await killAfterNext('roleAssignments.create', () => raiseForm(client, url, AGENT, `raises/${id}/approve`));
    const atKill = raiseAssignments().length;
    expect(atKill).toBeGreaterThanOrEqual(1);

    await startElevate();
    const token = await agentToken();
    const resumed = await until(() => agentCall(url, token, 'GET', `/level-raises/${id}`), (r) => r.json.state === 'active' || r.json.state === 'ended', 30_000);
    expect(['active', 'ended']).toContain(resumed.json.state);
    expect(resumed.json.mode).toBe('fallback');
    if (resumed.json.state === 'active') {
      // Every grant made once: one assignment per role, under the grant's own name.
      expect(raiseAssignments()).toHaveLength(resumed.json.grants.length);
    }
    const endsAt = Date.parse(resumed.json.window.endsAt);
    const ended = await until(() => agentCall(url, token, 'GET', `/level-raises/${id}`), (r) => r.json.state === 'ended', Math.max(endsAt - Date.now(), 0) + 30_000);
    expect(ended.json).toMatchObject({ state: 'ended', endReason: 'expired' });
    // Ended no earlier than its window, and nothing of it is left in Azure.
    expect(Date.parse(ended.json.endedAt)).toBeGreaterThanOrEqual(endsAt);
    expect(raiseAssignments()).toHaveLength(0);
    // A raise's change is written, then recorded (raise-transition.ts): the log follows the state by one append.
    const events = await until(() => eventsOf(id), (e) => e.includes('level-raise.verified-gone'), 10_000);
    expect(events).toEqual(expect.arrayContaining(['level-raise.requested', 'level-raise.approved', 'level-raise.granted', 'level-raise.ended', 'level-raise.verified-gone']));
  });

  it('finishes a revoke interrupted by kill -9 once Elevate is back', async () => {
    const token = await agentToken();
    const asked = await agentCall(url, token, 'POST', '/level-raises', raiseBody(30));
    const id = asked.json.id as string;
    const approved = await raiseForm(await admin(), url, AGENT, `raises/${id}/approve`);
    expect(approved.status).toBe(303);
    expect((await agentCall(url, token, 'GET', `/level-raises/${id}`)).json.state).toBe('active');
    expect(raiseAssignments().length).toBeGreaterThanOrEqual(1);

    await killAfterNext('roleAssignments.delete', () => agentCall(url, token, 'POST', `/level-raises/${id}/hand-back`));
    await startElevate();
    const ended = await until(() => agentCall(url, token, 'GET', `/level-raises/${id}`), (r) => r.json.state === 'ended', 30_000);
    expect(ended.json).toMatchObject({ state: 'ended', endReason: 'handed-back' });
    expect(ended.json.verifiedGoneAt).not.toBeNull();
    expect(raiseAssignments()).toHaveLength(0);
    expect(await until(() => eventsOf(id), (e) => e.includes('level-raise.verified-gone'), 10_000)).toEqual(expect.arrayContaining(['level-raise.ended', 'level-raise.verified-gone']));
  });
});
