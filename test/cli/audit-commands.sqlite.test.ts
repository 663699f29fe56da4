// SQLite-only: `elevate audit` on a SQLite file handed to it with --db, written and tampered with by the test (the PostgreSQL path: audit-commands.postgres.test.ts).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.ts';
import { dropGuards, openAudit, seed } from '../audit/audit-fixtures.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { runElevate, type CliRun } from './support/run-elevate.ts';

const tempDir = useTempDirs();


function elevate(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runElevate(args, { cwd: opts.cwd ?? tempDir(), env: opts.env ?? {}, timeoutMs: 60_000 });
}

async function makeLog(n: number, tamper?: string): Promise<string> {
  const { db, audit, path } = await openAudit(tempDir());
  try {
    await seed(audit, n);
    if (tamper) {
      await dropGuards(db);
      await db.exec(tamper);
    }
  } finally {
    await db.close();
  }
  return path;
}

// Each spawn loads the whole CLI through tsx (seconds on a busy machine), hence the long timeout.
describe('elevate audit verify', { timeout: 120_000 }, () => {
  it('exits 0 with a JSON summary when the chain is intact', async () => {
    const path = await makeLog(9);
    const run = await elevate(['audit', 'verify', '--db', path, '--output', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ ok: true, entriesChecked: 9, lastSeq: 9, firstBreak: null });
    expect(out.lastHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('exits 1 and names the first broken sequence number on a tampered database', async () => {
    const path = await makeLog(9, "UPDATE audit_log SET outcome = 'allowed', approver_id = 'mallory' WHERE seq = 6");
    const json = await elevate(['audit', 'verify', '--db', path, '--output', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, entriesChecked: 5, firstBreak: { seq: 6, kind: 'changed' } });
    expect(json.stderr).toBe('elevate: audit chain broken at seq 6 (changed): entry 6 does not match its hash: a column was changed\n');

    const table = await elevate(['audit', 'verify', '--db', path]);
    expect(table.code).toBe(1);
    expect(table.stdout.split('\n')[0]).toMatch(/^OK\s+ENTRIES\s+LASTSEQ\s+BREAKAT\s+KIND$/);
    expect(table.stdout.split('\n')[1]).toMatch(/^false\s+5\s+5\s+6\s+changed$/);
  });

  it('reports a deleted entry', async () => {
    const path = await makeLog(9, 'DELETE FROM audit_log WHERE seq = 3');
    const run = await elevate(['audit', 'verify', '--db', path, '--output', 'json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).firstBreak).toMatchObject({ seq: 3, kind: 'deleted' });
  });

  it('gives a one-line error (exit 2) for a missing file, and does not create it', async () => {
    const path = join(tempDir(), 'nowhere', 'elevate.db');
    const run = await elevate(['audit', 'verify', '--db', path, '--output', 'json']);
    expect(run).toEqual({ code: 2, stdout: '', stderr: `elevate: database ${path} does not exist\n` });
    expect(existsSync(path)).toBe(false);
  });

  it('gives a one-line error (exit 2) for a file that is not an Elevate database', async () => {
    const junk = join(tempDir(), 'junk.db');
    writeFileSync(junk, 'not a database at all '.repeat(50));
    const notDb = await elevate(['audit', 'verify', '--db', junk]);
    expect(notDb.code).toBe(2);
    expect(notDb.stderr).toMatch(/^elevate: cannot open database .*junk\.db: SQLITE_NOTADB: file is not a database\n$/);

    const other = join(tempDir(), 'other.db');
    const db = await openDatabase(other);
    await db.exec('CREATE TABLE t (v INTEGER)');
    await db.close();
    const noLog = await elevate(['audit', 'verify', '--db', other]);
    expect(noLog).toEqual({ code: 2, stdout: '', stderr: `elevate: database ${other} has no audit log (not an Elevate database?)\n` });
  });

  it('defaults --db to ELEVATE_DB_PATH from the configuration', async () => {
    const path = await makeLog(4);
    const run = await elevate(['audit', 'verify', '--output', 'json'], { env: { ELEVATE_DB_PATH: path } });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, entriesChecked: 4 });
    const fallback = await elevate(['audit', 'verify'], { cwd: tempDir() });
    expect(fallback).toEqual({ code: 2, stdout: '', stderr: 'elevate: database ./data/elevate.db does not exist\n' });
  });

  it('rejects bad arguments with a one-line error and documents itself in --help', async () => {
    const bad = await elevate(['audit', 'verify', '--output', 'xml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^elevate: .*xml/);
    const help = await elevate(['audit', 'verify', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--db <file>');
    expect(help.stdout).toContain('--output <format>');
  });
});
