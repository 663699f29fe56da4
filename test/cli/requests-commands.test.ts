/**
 * `elevate requests` as an administrator runs it: the CLI is a child process in sandbox mode,
 * pointed at a running Elevate (the approval harness) and its private sandbox; a scripted person
 * reads the device code message the CLI prints on stderr and enters the code on the sandbox's
 * device login page over HTTP. End to end: the agent raises an elevation, the CLI approves it
 * through two device code sign-ins (the second one fresh and bound to the request), the operation
 * runs exactly once, the audit shows the order, and no token reaches a file.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { terminalSafe } from '../../src/cli/requests/terminal-safe.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { restartCheckout } from '../approvals/support/approval-steps.ts';
import { elevateCliAs, type CliRun } from '../support/elevate-cli-as-person.ts';

const JWT = /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./;

let h: ApprovalHarness;
let home: string;
let work: string;
let tmp: string;

beforeAll(async () => {
  h = await startApprovalHarness({ deviceCodeIntervalSeconds: 1 });
  const root = mkdtempSync(join(tmpdir(), 'elevate-cli-requests-'));
  for (const d of ['home', 'work', 'tmp']) mkdirSync(join(root, d));
  [home, work, tmp] = ['home', 'work', 'tmp'].map((d) => join(root, d)) as [string, string, string];
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const elevate = (args: string[], person: string): Promise<CliRun> => elevateCliAs({ url: h.url, sandbox: h.sandbox, home, work, tmp }, args, person);

const historyOf = async (id: string): Promise<AuditEntry[]> => [...(await h.audit.list({ requestId: id }, { limit: 500 })).entries].reverse();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('elevate requests', { timeout: 180_000 }, () => {
  it('approves an elevation through a fresh device code sign-in: it runs exactly once, and no token is written anywhere', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    expect(raised.state).toBe('pending_elevation');
    const exchanges = h.exchangeCount();

    const run = await elevate(['requests', 'approve', raised.id, '--reason', 'INC-1042: restart approved', '--output', 'json'], 'admin');
    expect(run.code, run.stderr).toBe(0);
    // two sign-ins: the administrator's, then the fresh one bound to this request
    expect(run.codesEntered).toBe(2);
    expect(run.stderr).toContain('Sign in again to approve this elevation');
    expect(run.stderr).toContain(raised.operation.path);
    expect(JSON.parse(run.stdout)).toMatchObject({ outcome: 'executed', requestId: raised.id, state: 'succeeded', arm: { status: 200 } });

    expect(await h.executions(raised.id)).toBe(1);
    expect(h.exchangeCount()).toBe(exchanges + 1);
    const final = await h.agentGet(h.readerAgent, raised.id);
    expect(final).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin').oid });

    const types = (await historyOf(raised.id)).map((e) => e.eventType);
    const order = ['approval.sign-in.started', 'approval.obo.started', 'approval.decided', 'arm.request', 'token.discarded'].map((t) => types.indexOf(t));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    // tokens only in the CLI's memory: nothing in its output, HOME, working directory or TMPDIR
    expect(run.stdout + run.stderr).not.toMatch(JWT);
    for (const file of [...filesUnder(home), ...filesUnder(work), ...filesUnder(tmp)]) {
      expect(readFileSync(file).toString('latin1'), file).not.toMatch(JWT);
    }

    // a second approval of the same request is refused, one line, nothing runs again
    const again = await elevate(['requests', 'approve', raised.id, '--reason', 'again'], 'admin');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^elevate: not_pending: /m);
    expect(await h.executions(raised.id)).toBe(1);
  });

  it('denies with a reason the agent reads, and lists what is pending', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const list = await elevate(['requests', 'list', '--output', 'json'], 'admin2');
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).items.map((r: { id: string }) => r.id)).toContain(raised.id);

    const denied = await elevate(['requests', 'deny', raised.id, '--reason', 'not during the change freeze'], 'admin2');
    expect(denied.code, denied.stderr).toBe(0);
    expect(denied.stdout).toMatch(/denied/);
    expect(await h.agentGet(h.readerAgent, raised.id)).toMatchObject({ state: 'denied', stateReason: 'not during the change freeze' });
    expect(await h.executions(raised.id)).toBe(0);
  });

  it('refuses a Standard User with one clear line, and rejects a malformed id before signing in', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h));
    const run = await elevate(['requests', 'deny', raised.id, '--reason', 'no'], 'standard');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^elevate: not_administrator: /m);
    expect((await h.agentGet(h.readerAgent, raised.id)).state).toBe('pending_elevation');
    const bad = await elevate(['requests', 'show', '../operations'], 'admin');
    expect(bad.code).toBe(2);
    expect(bad.codesEntered).toBe(0);
  });
});

describe('terminal output of agent-supplied text', () => {
  it('shows control characters (ANSI escapes, carriage returns, bidi overrides) as ?', () => {
    expect(terminalSafe('ok\u001b[2J\rhidden\u202egnp.exe')).toBe('ok?[2J?hidden?gnp.exe');
    expect(terminalSafe(undefined)).toBe('');
  });
});
