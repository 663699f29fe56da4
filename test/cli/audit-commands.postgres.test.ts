/**
 * Adapter-specific (issue 16, PostgreSQL): `elevate audit …` on the database ELEVATE_DATABASE_URL
 * names, as the service would open it: verify, export, an on-demand checkpoint and verify with
 * checkpoints, run as a separate process. The URL's password is never printed, whatever happens.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { seed } from '../audit/audit-fixtures.ts';
import { runElevate, type CliRun } from './support/run-elevate.ts';

const dir = mkdtempSync(join(tmpdir(), 'elevate-cli-pg-'));
let database: TestDatabase;
let password: string;


function elevate(args: string[], url = database.url): Promise<CliRun> {
  return runElevate(args, { cwd: dir, env: { ELEVATE_DATABASE_URL: url, ELEVATE_AUDIT_ARCHIVE_DIR: join(dir, 'archive') }, timeoutMs: 60_000 });
}

function expectNoPassword(run: CliRun): void {
  expect(run.stdout).not.toContain(password);
  expect(run.stderr).not.toContain(password);
}

beforeAll(async () => {
  database = await createTestDatabase('elevate_cli_audit');
  password = decodeURIComponent(new URL(database.url).password);
  expect(password.length).toBeGreaterThan(8);
  const db = await openPostgresStore(parsePostgresUrl(database.url));
  try {
    await seed(createAuditLog(db), 12);
  } finally {
    await db.close();
  }
}, 60_000);

afterAll(async () => {
  await database?.drop();
});

// Each spawn loads the whole CLI through tsx (seconds on a busy machine), hence the long timeout.
describe('elevate audit on PostgreSQL (ELEVATE_DATABASE_URL)', { timeout: 180_000 }, () => {
  it('verifies the chain, exports it, takes a checkpoint and verifies it, never printing the password', async () => {
    const verified = await elevate(['audit', 'verify', '--output', 'json']);
    expectNoPassword(verified);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, entriesChecked: 12, lastSeq: 12, firstBreak: null });

    const exported = await elevate(['audit', 'export', '--order', 'asc']);
    expectNoPassword(exported);
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq?: number });
    expect(lines.filter((l) => l.seq !== undefined).map((l) => l.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));

    const key = join(dir, 'checkpoint.pem');
    const checkpoint = await elevate(['audit', 'checkpoint', '--key', key, '--output', 'json']);
    expectNoPassword(checkpoint);
    expect(checkpoint.code).toBe(0);
    expect(JSON.parse(checkpoint.stdout)).toMatchObject({ seq: 12 });
    // Asked again for the same head: the same checkpoint, not a second one.
    const again = await elevate(['audit', 'checkpoint', '--key', key, '--output', 'json']);
    expect(JSON.parse(again.stdout)).toEqual(JSON.parse(checkpoint.stdout));
    expect(readdirSync(join(dir, 'archive'))).toEqual(['checkpoints.jsonl']);

    const withCheckpoints = await elevate(['audit', 'verify', '--checkpoints', '--key', key, '--output', 'json']);
    expectNoPassword(withCheckpoints);
    expect(withCheckpoints.code).toBe(0);
    expect(JSON.parse(withCheckpoints.stdout)).toMatchObject({ ok: true });
  });

  it('refuses a malformed URL or a wrong password with a message that names the database without its password', async () => {
    const bad = new URL(database.url);
    bad.searchParams.set('sslrootcert', '/tmp/x');
    const malformed = await elevate(['audit', 'verify'], bad.toString());
    expectNoPassword(malformed);
    expect(malformed.code).not.toBe(0);
    expect(malformed.stderr).toMatch(/ELEVATE_DATABASE_URL/);

    const wrong = new URL(database.url);
    wrong.password = `${password}x`;
    const refused = await elevate(['audit', 'verify'], wrong.toString());
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).not.toContain(wrong.password);
    expectNoPassword(refused);
    expect(refused.stderr).toMatch(new RegExp(`cannot open database postgres://${new URL(database.url).username}@`));
  });
});
