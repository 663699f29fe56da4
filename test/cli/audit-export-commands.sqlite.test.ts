// SQLite-only: `elevate audit` on a SQLite file handed to it with --db, written and tampered with by the test (the PostgreSQL path: audit-commands.postgres.test.ts).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditQuery } from '../../src/audit/audit-query.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import { openDatabase } from '../../src/store/database.ts';
import { appendRequestFlows, OBO_REQUEST } from '../audit/audit-flow-fixtures.ts';
import { appendMany, dropGuards, rig, useTempDir } from '../audit/audit-tamper-fixtures.ts';
import { runElevate, type CliRun } from './support/run-elevate.ts';

const tempDir = useTempDir();


function elevate(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  return runElevate(args, { cwd: opts.cwd ?? tempDir(), env: opts.env ?? {}, timeoutMs: 90_000 });
}

/** A log with the request flows, checkpointed every 10 entries, closed so the CLI can open it. */
async function checkpointedLog(extra = 30) {
  const r = await rig(tempDir(), 10);
  await appendRequestFlows(r.audit);
  for (let i = 0; i < extra; i++) {
    await appendMany(r.audit, 1, i);
    await r.checkpointer.maybeCheckpoint();
  }
  await r.db.close();
  return { ...r, dbPath: join(r.dir, 'elevate.db'), env: { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir } };
}

async function pages(dbPath: string, search: Record<string, string>): Promise<AuditEntry[]> {
  const db = await openDatabase(dbPath, { readonly: true });
  const out: AuditEntry[] = [];
  for await (const e of createAuditQuery(db).stream(search)) out.push(e);
  await db.close();
  return out;
}

describe('elevate audit export', { timeout: 180_000 }, () => {
  it('streams a filtered view as JSON Lines to stdout, ending with the trailer', async () => {
    const log = await checkpointedLog(5);
    const run = await elevate(['audit', 'export', '--db', log.dbPath, '--request', OBO_REQUEST, '--format', 'jsonl']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = await pages(log.dbPath, { requestId: OBO_REQUEST });
    expect(lines.slice(0, -1)).toEqual(expected);
    expect(lines.at(-1)).toMatchObject({ trailer: { entries: 8, lastSeq: expected.at(-1)!.seq, lastHash: expected.at(-1)!.hash } });
  });

  it('writes CSV to a file created 0600 and prints the trailer', async () => {
    const log = await checkpointedLog(5);
    const out = join(tempDir(), 'export.csv');
    const run = await elevate(['audit', 'export', '--db', log.dbPath, '--format', 'csv', '--out', out, '--order', 'asc', '--agent', 'agent-sre-1', '--output', 'json']);
    expect(run.code).toBe(0);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const summary = JSON.parse(run.stdout) as { entries: number; lastHash: string; file: string };
    expect(summary.file).toBe(out);
    const records = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(records).toHaveLength(1 + summary.entries + 1);
    expect(records.at(-1)).toContain(summary.lastHash);
    expect(readdirSync(tempDir()).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  it('rejects bad filters and arguments with one line and no output file', async () => {
    const log = await checkpointedLog(1);
    const out = join(tempDir(), 'x.jsonl');
    for (const args of [['--from', 'yesterday'], ['--scope-prefix', 'rg1'], ['--format', 'xml'], ['--order', 'sideways']]) {
      const run = await elevate(['audit', 'export', '--db', log.dbPath, '--out', out, ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^elevate: /);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('elevate audit verify --checkpoints', { timeout: 180_000 }, () => {
  it('exits 0 on an intact log and 1 with the first break on a truncated tail the chain cannot see', async () => {
    const log = await checkpointedLog(30);
    const ok = await elevate(['audit', 'verify', '--db', log.dbPath, '--checkpoints', '--output', 'json'], { env: log.env });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, checkpoints: { verified: 3, latestSeq: 39 }, firstBreak: null });

    const db = await openDatabase(log.dbPath);
    await dropGuards(db);
    await db.run('DELETE FROM audit_log WHERE seq > 35');
    await db.run('DELETE FROM audit_checkpoints WHERE seq > 35');
    await db.close();
    // The plain chain check passes: the cut is invisible to it.
    expect((await elevate(['audit', 'verify', '--db', log.dbPath], { env: log.env })).code).toBe(0);
    const cut = await elevate(['audit', 'verify', '--db', log.dbPath, '--checkpoints', '--output', 'json'], { env: log.env });
    expect(cut.code).toBe(1);
    expect(JSON.parse(cut.stdout).firstBreak).toMatchObject({ seq: 36, kind: 'truncated' });
    // After the window line (the interval and the newest checkpoint's age), the first problem, last.
    expect(cut.stderr).toMatch(/^elevate: checkpoint window 90 s .*\nelevate: audit verification failed at seq 36 \(truncated\): .*entries 36\.\.39 were removed\n$/);
  });

  it('needs a key, and a key that exists', async () => {
    const log = await checkpointedLog(1);
    const none = await elevate(['audit', 'verify', '--db', log.dbPath, '--checkpoints']);
    expect(none).toMatchObject({ code: 2, stderr: 'elevate: no checkpoint key: pass --key <file> or set ELEVATE_AUDIT_CHECKPOINT_KEY\n' });
    const missing = await elevate(['audit', 'verify', '--db', log.dbPath, '--checkpoints', '--key', join(tempDir(), 'nope.pem')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/checkpoint key .*nope\.pem does not exist/);
  });

  it('verifies with only the public key', async () => {
    const log = await checkpointedLog(12);
    const pub = await elevate(['audit', 'public-key'], { env: log.env });
    expect(pub.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const pubPath = join(log.dir, 'public.pem');
    (await import('node:fs')).writeFileSync(pubPath, pub.stdout);
    const run = await elevate(['audit', 'verify', '--db', log.dbPath, '--checkpoints', '--key', pubPath, '--archive-dir', log.archiveDir, '--output', 'json']);
    expect(run.code).toBe(0);
  });
});

describe('elevate audit checkpoint and retention', { timeout: 180_000 }, () => {
  it('signs a checkpoint on demand and archives expired entries so that everything still verifies', async () => {
    const log = await checkpointedLog(3);
    const cp = await elevate(['audit', 'checkpoint', '--db', log.dbPath, '--output', 'json'], { env: log.env });
    expect(cp.code).toBe(0);
    expect(JSON.parse(cp.stdout)).toMatchObject({ seq: 21, reason: 'on-demand' });

    // The fixtures' clock is in March 2026; retention relative to now archives all of it.
    const archived = await elevate(['audit', 'retention', '--db', log.dbPath, '--days', '1', '--output', 'json'], { env: log.env });
    expect(archived.stderr).toBe('');
    expect(archived.code).toBe(0);
    const summary = JSON.parse(archived.stdout) as { archived: boolean; throughSeq: number; file: string };
    expect(summary).toMatchObject({ archived: true, fromSeq: 1, throughSeq: 21 });
    expect(existsSync(summary.file)).toBe(true);

    const verify = await elevate(['audit', 'verify', '--db', log.dbPath, '--archives', '--output', 'json'], { env: log.env });
    expect(verify.code).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, archives: { ok: true, files: 1, throughSeq: 21 } });

    const again = await elevate(['audit', 'archive', '--db', log.dbPath, '--days', '1', '--output', 'json'], { env: log.env });
    expect(JSON.parse(again.stdout)).toMatchObject({ archived: false });
    expect((await elevate(['audit', 'retention', '--db', log.dbPath, '--days', '0'], { env: log.env })).code).toBe(2);
    expect((await elevate(['audit', 'retention', '--db', log.dbPath], { env: log.env })).stderr).toMatch(/no retention period/);
  });
});
