/**
 * What `elevate levels deny` answers while another instance records an approval of the raise:
 * exit 2 with the reason and its code (`changed_concurrently`), and the refusal on record, never a
 * decision. The other instance is stood in for as in raise-refused-decisions.service.test.ts.
 *
 * SQLite only: `elevate levels` opens the SQLite file whatever ELEVATE_DATABASE_URL says
 * (src/cli/commands/levels-cli-context.ts), so on the PostgreSQL lane the raise the test writes
 * and the one the CLI reads would be in different databases.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRaiseStore } from '../../src/raises/raise-store.ts';
import { runElevate, sandboxCliEnv } from '../cli/support/run-elevate.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { openStoreToSeed, testStoreEnv, type TestStoreEnv } from '../support/test-store.ts';
import { approvalInFlightElsewhere, IN_FLIGHT, refusalsOf } from './support/raise-in-flight.ts';

describe('elevate levels deny', { timeout: 400_000 }, () => {
  let dir: string;
  let store: TestStoreEnv;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'elevate-raise-refusals-'));
    store = await testStoreEnv(join(dir, 'elevate.db'), 'elevate_raise_refusals');
  });
  afterAll(async () => {
    await store?.drop();
  });
  const elevate = (args: string[]) => runElevate(args, { cwd: dir, env: sandboxCliEnv(store) });

  it('exits 2 with the reason and its code while another instance records an approval; the refusal is on record', async () => {
    const t = sandboxInfo().tenant;
    const rg = t.agent.resourceGroupIds[0]!;
    const created = await elevate(['agents', 'create', '--name', 'sre-agent', '--uami-client-id', t.agent.uamiClientId, '--uami-principal-id', t.agent.uamiPrincipalId, '--level', 'Reader', '--rg', rg]);
    expect(created.code, created.stderr).toBe(0);
    const asked = await elevate(['levels', 'raise', 'sre-agent', '--rg', rg, '--minutes', '60', '--justification', 'INC-88 restarts', '--output', 'json']);
    expect(asked.code, asked.stderr).toBe(0);
    const id = (JSON.parse(asked.stdout) as { id: string }).id;
    const db = await openStoreToSeed(store);
    try {
      await approvalInFlightElsewhere(db, id, new Date());
    } finally {
      await db.close();
    }

    const denied = await elevate(['levels', 'deny', id, '--reason', 'not during the freeze']);
    expect(denied.code).toBe(2);
    expect(denied.stderr.trim()).toBe(`elevate: ${IN_FLIGHT} (changed_concurrently)`);

    const read = await openStoreToSeed(store);
    try {
      const record = await refusalsOf(read, id);
      expect(record.decisions).toEqual([]);
      expect(record.refused).toMatchObject([{ decision: 'deny', code: 'changed_concurrently', message: IN_FLIGHT }]);
      expect((await createRaiseStore(read).get(id)).state).toBe('granting');
    } finally {
      await read.close();
    }
  });
});
