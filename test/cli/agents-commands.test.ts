/**
 * `elevate agents|plan|apply|doctor` as a user runs them: a child process in sandbox mode pointed
 * at the shared test sandbox (its ports and data directory), its own database. Read-only towards
 * ARM: the seeded agent already holds its Reader-level roles, so apply has nothing to change.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { testStoreEnv, type TestStoreEnv } from '../support/test-store.ts';
import { runElevate, sandboxCliEnv, type CliRun } from './support/run-elevate.ts';

let dir: string;
/** The run's store (test-store.ts): a SQLite file in dir, or a PostgreSQL database in that lane. */
let store: TestStoreEnv;

function elevate(args: string[]): Promise<CliRun> {
  return runElevate(args, { cwd: dir, env: sandboxCliEnv(store) });
}

/** One line, our prefix, no stack trace. */
function expectOneLineError(run: CliRun, code: number, message: RegExp): void {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^elevate: /);
  expect(lines[0]).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-agents-'));
  store = await testStoreEnv(join(dir, 'elevate.db'), 'elevate_cli_agents');
});

afterAll(async () => {
  await store?.drop();
});

// Each spawn loads the whole CLI through tsx (several seconds on a busy machine): long timeouts.
describe('elevate agents, plan, apply, doctor (sandbox mode)', { timeout: 400_000 }, () => {
  it('creates the seeded agent with its groups checked against ARM, lists and shows it', async () => {
    const t = sandboxInfo().tenant;
    const created = await elevate([
      'agents', 'create', '--name', 'sre-agent', '--uami-client-id', t.agent.uamiClientId, '--uami-principal-id', t.agent.uamiPrincipalId,
      '--level', 'Reader', '--rg', t.agent.resourceGroupIds[0]!, '--rg', t.agent.resourceGroupIds[1]!, '--output', 'json',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'sre-agent', level: 'Reader', runModeCeiling: 'Review', tenantId: t.tenantId });

    const list = await elevate(['agents', 'list', '--output', 'json']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as Array<{ name: string; resourceGroupIds: string[] }>).map((a) => [a.name, a.resourceGroupIds.length])).toEqual([['sre-agent', 2]]);

    const table = await elevate(['agents', 'show', 'sre-agent']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('managed resource groups (2)');
  });

  it('refuses bad arguments with one line and a non-zero exit', async () => {
    const t = sandboxInfo().tenant;
    expectOneLineError(await elevate(['agents', 'set-level', 'sre-agent', 'Admin']), 2, /level "Admin": not a level in the policy/);
    expectOneLineError(await elevate(['agents', 'show', 'nobody']), 3, /unknown agent "nobody"/);
    expectOneLineError(await elevate(['agents', 'add-rg', 'sre-agent', '/subscriptions/0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f/resourceGroups/rg-x']), 2, /not visible to Elevate in tenant/);
    expectOneLineError(await elevate(['agents', 'add-rg', 'sre-agent', '../../etc/passwd']), 2, /is malformed/);
    expectOneLineError(await elevate(['agents', 'set-level', 'sre-agent']), 2, /missing required argument 'level'/);
    expectOneLineError(
      await elevate(['agents', 'create', '--name', 'x', '--uami-client-id', 'nope', '--uami-principal-id', t.agent.uamiPrincipalId, '--level', 'Reader']),
      2,
      /UAMI client id "nope": expected a GUID/,
    );
    expectOneLineError(await elevate(['plan', '--agent', 'nobody']), 3, /unknown agent "nobody"/);
    expectOneLineError(await elevate(['plan', '--output', 'xml']), 2, /argument 'xml' is invalid/);
  });

  it('plans nothing to change for the seeded agent, and says so in JSON and as a table', async () => {
    const json = await elevate(['plan', '--agent', 'sre-agent', '--output', 'json']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    const p = JSON.parse(json.stdout) as { plan: { toCreate: unknown[]; toDelete: unknown[]; inPlace: unknown[]; effectiveLevel: { exceeds: boolean } }; inventory: Array<{ resourceTypes: string[] }> };
    expect(p.plan.toCreate).toEqual([]);
    expect(p.plan.toDelete).toEqual([]);
    expect(p.plan.inPlace).toHaveLength(7);
    expect(p.plan.effectiveLevel.exceeds).toBe(false);
    expect(p.inventory.flatMap((i) => i.resourceTypes)).toEqual(expect.arrayContaining(['Microsoft.App/containerApps', 'Microsoft.Compute/virtualMachines']));

    const table = await elevate(['plan', '--agent', 'sre-agent']);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('to create (0)');
    expect(table.stdout).toContain('nothing to change.');
  });

  it('apply refuses without --yes when not on a terminal, and with --yes changes nothing that is already right', async () => {
    expectOneLineError(await elevate(['apply', '--agent', 'sre-agent']), 2, /refusing to apply without --yes when not on a terminal/);
    const run = await elevate(['apply', '--agent', 'sre-agent', '--yes', '--output', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ confirmed: true, report: null });
  });

  it('doctor finds nothing wrong and exits 0', async () => {
    const run = await elevate(['doctor', '--agent', 'sre-agent']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('agent sre-agent: no problem found');
    expect(run.stdout).toMatch(/\[OK {5}\] monitoring: .*rg-sre-apps: metrics \(Monitoring Reader\) and logs \(Log Analytics Reader\) will work/);
    expect(run.stdout).toMatch(/\[UNKNOWN\] secret-expiry: client secret expiry not knowable/);
  });

  it('tells the user to start the service when no sandbox answers at the configured port', async () => {
    const other = mkdtempSync(join(tmpdir(), 'elevate-cli-nosandbox-'));
    const run = await runElevate(['plan'], { cwd: other, env: { ...sandboxCliEnv(store), ELEVATE_DB_PATH: join(other, 'e.db'), ELEVATE_SANDBOX_PORT: '1' } });
    expectOneLineError(run, 1, /no sandbox answers at https:\/\/localhost:1 .*start the service first with `elevate serve`/);
  });
});
