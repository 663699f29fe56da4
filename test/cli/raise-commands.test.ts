/**
 * `elevate levels raise|approve|deny|list` as an operator runs them: a child process in sandbox
 * mode against the shared test sandbox with its own database. Nothing is granted here (the shared
 * sandbox's agent must keep its roles for every other test): a raise is asked for, refused for the
 * reasons the policy gives, refused to its own requester, denied and listed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { openStoreToRead, testStoreEnv, type TestStoreEnv } from '../support/test-store.ts';
import { runElevate, sandboxCliEnv, type CliRun } from './support/run-elevate.ts';
let dir: string;
/** The run's store (test-store.ts): a SQLite file in dir, or a PostgreSQL database in that lane. */
let store: TestStoreEnv;

function elevate(args: string[]): Promise<CliRun> {
  return runElevate(args, { cwd: dir, env: sandboxCliEnv(store) });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'elevate-cli-raises-'));
  store = await testStoreEnv(join(dir, 'elevate.db'), 'elevate_cli_raises');
});

afterAll(async () => {
  await store?.drop();
});

describe('elevate levels (sandbox mode)', { timeout: 400_000 }, () => {
  it('asks for a raise, refuses what the policy refuses and the requester’s own approval, denies and lists', async () => {
    const t = sandboxInfo().tenant;
    const rg = t.agent.resourceGroupIds[0]!;
    const created = await elevate(['agents', 'create', '--name', 'sre-agent', '--uami-client-id', t.agent.uamiClientId, '--uami-principal-id', t.agent.uamiPrincipalId, '--level', 'Reader', '--rg', rg]);
    expect(created.code, created.stderr).toBe(0);

    const asked = await elevate(['levels', 'raise', 'sre-agent', '--rg', rg, '--minutes', '120', '--justification', 'INC-1042 restarts', '--incident', 'INC-1042', '--output', 'json']);
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    const raise = JSON.parse(asked.stdout) as { id: string; state: string; targetLevel: string; resourceGroupIds: string[]; requestedBy: { kind: string } };
    expect(raise).toMatchObject({ state: 'pending', targetLevel: 'Privileged', resourceGroupIds: [rg], requestedBy: { kind: 'user' } });

    const cap = await elevate(['levels', 'raise', 'sre-agent', '--rg', rg, '--minutes', '481', '--justification', 'too long']);
    expect(cap.code).toBe(2);
    expect(cap.stderr.trim()).toMatch(/^elevate: durationMinutes: 481 is beyond the policy's cap of 480 minutes .*\(beyond_policy_cap\)$/);
    const unmanaged = await elevate(['levels', 'raise', 'sre-agent', '--rg', t.resourceGroups.find((g) => g.name === 'rg-data')!.id, '--minutes', '60', '--justification', 'x']);
    expect(unmanaged.code).toBe(2);
    expect(unmanaged.stderr).toContain('unmanaged_resource_group');
    const overlapping = await elevate(['levels', 'raise', 'sre-agent', '--rg', rg, '--minutes', '60', '--justification', 'again']);
    expect(overlapping.stderr).toContain('raise_open');

    const self = await elevate(['levels', 'approve', raise.id]);
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('requester_may_not_approve');
    const denied = await elevate(['levels', 'deny', raise.id, '--reason', 'not during the freeze', '--output', 'json']);
    expect(denied.code, denied.stderr).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({ id: raise.id, state: 'denied' });
    const unknown = await elevate(['levels', 'end', '00000000-0000-4000-8000-000000000000']);
    expect(unknown.code).toBe(3);

    const list = await elevate(['levels', 'list', '--agent', 'sre-agent']);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(raise.id);
    expect(list.stdout).toContain('denied');

    // In the store the service reads (PostgreSQL when ELEVATE_DATABASE_URL is set), not a file beside it.
    const db = await openStoreToRead(store);
    try {
      expect(await db.get<{ state: string }>('SELECT state FROM level_raises WHERE id = ?', [raise.id])).toEqual({ state: 'denied' });
    } finally {
      await db.close();
    }
  });
});
