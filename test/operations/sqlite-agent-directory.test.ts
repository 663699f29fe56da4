import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteAgentDirectory } from '../../src/operations/sqlite-agent-directory.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';
import { RG_APPS, RG_VMS } from './support/operation-fixtures.ts';

let db: Database;
const PRINCIPAL = '7D1E0000-0000-4000-8000-0000000000A1';
const CLIENT = '5c1e0000-0000-4000-8000-0000000000a1';

beforeAll(async () => {
  db = await openTestStore(join(mkdtempSync(join(tmpdir(), 'elevate-agents-')), 'e.db'));
  await db.run(
    `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at)
     VALUES ('a1', 'sre-agent', ?, ?, '9f000000-0000-4000-8000-000000000001', 'Reader', 'Review', 't', 't')`,
    [CLIENT, PRINCIPAL],
  );
  for (const rg of [RG_VMS, RG_APPS]) await db.run('INSERT INTO agent_resource_groups (agent_id, resource_group_id) VALUES (?, ?)', ['a1', rg]);
});
afterAll(async () => {
  await db.close();
});

describe('SQLite agent directory', () => {
  it('finds an agent by its UAMI object id or client id, in any case', async () => {
    const dir = createSqliteAgentDirectory(db);
    const byOid = await dir.findByIdentity(PRINCIPAL.toLowerCase());
    expect(byOid).toMatchObject({ id: 'a1', name: 'sre-agent', level: 'Reader', runModeCeiling: 'Review', uamiClientId: CLIENT });
    expect(byOid?.resourceGroupIds).toEqual([RG_APPS, RG_VMS]);
    expect((await dir.findByIdentity(CLIENT.toUpperCase()))?.id).toBe('a1');
    expect((await dir.get('a1'))?.name).toBe('sre-agent');
  });

  it('finds nothing for unknown or malformed identities', async () => {
    const dir = createSqliteAgentDirectory(db);
    expect(await dir.findByIdentity('00000000-0000-4000-8000-000000000000')).toBeUndefined();
    expect(await dir.findByIdentity("' OR 1=1 --")).toBeUndefined();
    expect(await dir.findByIdentity('')).toBeUndefined();
    expect(await dir.get('missing')).toBeUndefined();
  });

  it('refuses a second agent with the same identity', async () => {
    await expect(
      db.run(
        `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at)
         VALUES ('a2', 'other', '5c1e0000-0000-4000-8000-0000000000ff', ?, 't', 'Reader', 'Review', 't', 't')`,
        [PRINCIPAL.toLowerCase()],
      ),
    ).rejects.toThrow(/unique/i);
  });
});
