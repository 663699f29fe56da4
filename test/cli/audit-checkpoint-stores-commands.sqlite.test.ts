// SQLite-only: `elevate audit` on a SQLite file handed to it with --db, written and tampered with by the test (the PostgreSQL path: audit-commands.postgres.test.ts).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBlobCheckpointStore } from '../../src/audit/audit-checkpoint-blob-store.ts';
import { createDirectoryCheckpointStore } from '../../src/audit/audit-checkpoint-dir-store.ts';
import { createCheckpointStore, type ExternalCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { createCheckpointer } from '../../src/audit/audit-checkpointer.ts';
import { openDatabase } from '../../src/store/database.ts';
import { readMigrations } from '../../src/store/migrations.ts';
import { appendMany, dropGuards, rig, useTempDir } from '../audit/audit-tamper-fixtures.ts';
import { immutableContainer, sandboxServiceCredential } from '../support/sandbox-blob.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { runElevate, type CliRun } from './support/run-elevate.ts';

/**
 * `elevate audit verify --checkpoints` against every configured checkpoint store, with a key: a
 * tail deleted after the last checkpoint in the database fails (exit 1) and says why.
 */

const tempDir = useTempDir();
const MINUTE = 60_000;


function elevate(args: string[], env: Record<string, string>): Promise<CliRun> {
  return runElevate(args, { cwd: tempDir(), env });
}

/**
 * A log whose entries are checkpointed every 10 and on the schedule (as the service does), also
 * into `externals`; the clock is the fixture's, so entry times are now-ish and one minute apart
 * where the test says so.
 */
async function serviceLog(externals: (dir: string) => ExternalCheckpointStore[], plan: Array<{ entries: number; thenMinutes: number }>) {
  const r = await rig(tempDir(), 10);
  const start = Date.now() - 60 * MINUTE;
  r.time.advance(start - r.time.now());
  const stores = externals(r.dir);
  const store = createCheckpointStore(r.db, r.archiveDir, stores);
  const checkpointer = createCheckpointer({ db: r.db, key: r.key, store, every: 10, clock: r.time.clock });
  let i = 0;
  for (const step of plan) {
    for (let n = 0; n < step.entries; n++, i++) {
      await appendMany(r.audit, 1, i);
      await checkpointer.maybeCheckpoint();
    }
    r.time.advance(step.thenMinutes * MINUTE);
    await checkpointer.tick();
  }
  return { ...r, dbPath: join(r.dir, 'elevate.db') };
}

/** The attacker holds the database file and the archive directory. */
async function cutTail(r: Awaited<ReturnType<typeof serviceLog>>, afterSeq: number, checkpointsAfter: number): Promise<void> {
  await dropGuards(r.db);
  await r.db.run('DELETE FROM audit_log WHERE seq > ?', [afterSeq]);
  await r.db.run('DELETE FROM audit_checkpoints WHERE seq > ?', [checkpointsAfter]);
  const kept = readFileSync(r.store.logPath, 'utf8').split('\n').filter((l) => l !== '' && (JSON.parse(l) as { seq: number }).seq <= checkpointsAfter);
  writeFileSync(r.store.logPath, kept.map((l) => `${l}\n`).join(''));
  await r.db.close();
}

describe('elevate audit verify --checkpoints with external stores', { timeout: 180_000 }, () => {
  it('passes an intact log and prints the window and the newest checkpoint age', async () => {
    const r = await serviceLog((dir) => [createDirectoryCheckpointStore(join(dir, 'cps'), { create: true })], [{ entries: 35, thenMinutes: 1 }]);
    await r.db.close();
    const env = { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir, ELEVATE_AUDIT_CHECKPOINT_DIR: join(r.dir, 'cps') };
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints', '--output', 'json'], env);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ ok: true, checkpoints: { latestSeq: 35 }, window: { intervalSeconds: 60, windowSeconds: 90, newestCheckpoint: { seq: 35 }, lastEntry: { seq: 35 }, oldestUncovered: null } });
    expect(out.stores).toContain(`checkpoint directory ${join(r.dir, 'cps')}`);
    expect(run.stderr).toMatch(/checkpoint window 90 s \(ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS 60 \+ 30 s grace\); newest checkpoint: seq 35 at \S+ \(\d+ s ago\)/);
  });

  it('fails a tail deleted after the last checkpoint in the database: the checkpoint directory still covers it', async () => {
    const r = await serviceLog((dir) => [createDirectoryCheckpointStore(join(dir, 'cps'), { create: true })], [{ entries: 35, thenMinutes: 1 }]);
    await cutTail(r, 30, 30);
    const env = { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir, ELEVATE_AUDIT_CHECKPOINT_DIR: join(r.dir, 'cps') };
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints'], env);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/audit verification failed at seq 31 \(truncated\): a checkpoint signed at \S+ covers seq 35, but the log ends at seq 30: entries 31\.\.35 were removed/);
    // The same database without the external store looks intact: the store is what catches it.
    const without = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints'], { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir });
    expect(without.code).toBe(0);
  });

  it('fails a tail deleted together with its checkpoints when the newest surviving checkpoint is older than the window', async () => {
    const r = await serviceLog(() => [], [
      { entries: 30, thenMinutes: 10 },
      { entries: 5, thenMinutes: 10 },
      { entries: 5, thenMinutes: 1 },
    ]);
    await cutTail(r, 35, 30);
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints'], { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/checkpoint window 90 s/);
    expect(run.stderr).toMatch(/audit verification failed at seq 31 \(uncovered\): entries 31\.\.35 are not covered by a signed checkpoint: the newest checkpoint \(seq 30, \S+\) is 600 s older than the last entry \(seq 35, \S+\), but the window is 90 s/);
  });

  it('fails when a configured checkpoint directory is gone', async () => {
    const r = await serviceLog((dir) => [createDirectoryCheckpointStore(join(dir, 'cps'), { create: true })], [{ entries: 12, thenMinutes: 1 }]);
    await r.db.close();
    rmSync(join(r.dir, 'cps'), { recursive: true, force: true });
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints'], { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir, ELEVATE_AUDIT_CHECKPOINT_DIR: join(r.dir, 'cps') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\(store-unreadable\): checkpoint directory .* could not be read \(.* does not exist\)/);
  });

  it('reads the Blob container through the running sandbox and fails a truncated tail', async () => {
    const containerUrl = await immutableContainer();
    const r = await serviceLog(() => [createBlobCheckpointStore({ containerUrl, credential: sandboxServiceCredential() })], [{ entries: 35, thenMinutes: 1 }]);
    await cutTail(r, 30, 30);
    const s = sandboxInfo();
    const env = {
      ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path,
      ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir,
      ELEVATE_AUDIT_CHECKPOINT_BLOB_URL: containerUrl,
      ELEVATE_SANDBOX_PORT: new URL(s.origin).port,
      ELEVATE_SANDBOX_DATA_DIR: s.dataDir,
      NODE_EXTRA_CA_CERTS: s.caBundlePath,
    };
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints', '--output', 'json'], env);
    expect(run.stderr).toMatch(/\(truncated\): .*entries 31\.\.35 were removed/);
    expect(run.code).toBe(1);
    expect((JSON.parse(run.stdout) as { stores: string[] }).stores).toContain(`checkpoint blob container ${containerUrl}`);
  });
});

const NEWEST = readMigrations().at(-1)!.version;

describe('elevate audit verify on a database of another schema version', { timeout: 180_000 }, () => {
  it('refuses --checkpoints on a database older than its checkpoint records, naming how to migrate, and reads its chain as it is', async () => {
    const r = await serviceLog(() => [], [{ entries: 15, thenMinutes: 1 }]);
    // The database as version 18 left it: no copy confirmation on the checkpoint rows.
    await r.db.exec(
      'DROP INDEX audit_checkpoints_uncopied; ALTER TABLE audit_checkpoints DROP COLUMN copied_at; ALTER TABLE audit_checkpoints DROP COLUMN claim_expires_at; DELETE FROM schema_migrations WHERE version >= 19;',
    );
    await r.db.close();
    const env = { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir };
    const run = await elevate(['audit', 'verify', '--db', r.dbPath, '--checkpoints'], env);
    expect(run).toMatchObject({ code: 2, stdout: '' });
    expect(run.stderr).toBe(
      `elevate: database ${r.dbPath} is at schema version 18, older than this Elevate (${NEWEST}), whose checkpoint records it lacks: start Elevate on it once, or run \`elevate audit checkpoint\`, to migrate it; \`elevate audit verify\` without --checkpoints reads it as it is\n`,
    );
    const chain = await elevate(['audit', 'verify', '--db', r.dbPath, '--output', 'json'], env);
    expect(chain.code).toBe(0);
    expect(JSON.parse(chain.stdout)).toMatchObject({ ok: true, entriesChecked: 15 });
    // Reading migrated nothing.
    const db = await openDatabase(r.dbPath, { readonly: true });
    try {
      expect(await db.get('SELECT max(version) AS v FROM schema_migrations')).toEqual({ v: 18 });
    } finally {
      await db.close();
    }
  });

  it('refuses to read a database written by a newer Elevate, with or without --checkpoints', async () => {
    const r = await serviceLog(() => [], [{ entries: 5, thenMinutes: 1 }]);
    await r.db.run("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (99, '099_future', '2027-01-01T00:00:00.000Z', 'x')");
    await r.db.close();
    const env = { ELEVATE_AUDIT_CHECKPOINT_KEY: r.key.path, ELEVATE_AUDIT_ARCHIVE_DIR: r.archiveDir };
    for (const args of [['audit', 'verify', '--db', r.dbPath], ['audit', 'verify', '--db', r.dbPath, '--checkpoints'], ['audit', 'export', '--db', r.dbPath]]) {
      const run = await elevate(args, env);
      expect(run, args.join(' ')).toEqual({
        code: 2,
        stdout: '',
        stderr: `elevate: database ${r.dbPath} is at schema version 99, newer than this Elevate (${NEWEST}): read it with that Elevate or a newer one\n`,
      });
    }
  });
});
