import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDirectoryCheckpointStore } from '../../src/audit/audit-checkpoint-dir-store.ts';
import { signCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { createCheckpointStore, type ExternalCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { createCheckpointer, type Scheduler } from '../../src/audit/audit-checkpointer.ts';
import { createAuditModule } from '../../src/audit/audit-module.ts';
import type { SingletonLeases } from '../../src/store/singleton-leases.ts';
import { appendMany, dropGuards, rewriteChain, rig, rows, useTempDir, type Rig } from './audit-tamper-fixtures.ts';

const tempDir = useTempDir();
const MINUTE = 60_000;

/** The schedule, driven by hand: `fire()` runs the tick the checkpointer registered, and waits for it. */
function manualScheduler() {
  let tick: (() => Promise<unknown>) | undefined;
  let ms: number | undefined;
  const scheduler: Scheduler = (every, fn) => {
    ms = every;
    tick = fn;
    return () => {
      tick = undefined;
    };
  };
  return {
    scheduler,
    everyMs: () => ms,
    running: () => tick !== undefined,
    fire: async () => {
      if (!tick) throw new Error('nothing scheduled');
      await tick();
    },
  };
}

/** A rig whose checkpoints also go to a checkpoint directory, and whose schedule is driven by hand. */
async function scheduledRig(every = 10, externals?: (dir: string) => ExternalCheckpointStore[]) {
  const r = await rig(tempDir(), every);
  const checkpointDir = join(r.dir, 'external-checkpoints');
  const stores = externals ? externals(checkpointDir) : [createDirectoryCheckpointStore(checkpointDir, { create: true })];
  const store = createCheckpointStore(r.db, r.archiveDir, stores);
  const schedule = manualScheduler();
  const checkpointer = createCheckpointer({ db: r.db, key: r.key, store, every, clock: r.time.clock, scheduler: schedule.scheduler });
  checkpointer.start(60);
  const verify = () => verifyWithCheckpoints({ db: r.db, key: r.key, store, every, intervalSeconds: 60, clock: () => new Date(r.time.now()) });
  return { ...r, store, checkpointer, schedule, checkpointDir, verify };
}

/** Appends `n` entries, checkpointing every N as the service does after each append. */
async function appendCheckpointed(r: Rig | Awaited<ReturnType<typeof scheduledRig>>, n: number, from: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await appendMany(r.audit, 1, i);
    await r.checkpointer.maybeCheckpoint();
  }
}

/** What an attacker with the database and the archive directory (but not the external store) removes. */
async function removeLocalCheckpointsAfter(r: Rig, seq: number): Promise<void> {
  await r.db.run('DELETE FROM audit_checkpoints WHERE seq > ?', [seq]);
  const kept = readFileSync(r.store.logPath, 'utf8').split('\n').filter((l) => l !== '' && (JSON.parse(l) as { seq: number }).seq <= seq);
  writeFileSync(r.store.logPath, kept.map((l) => `${l}\n`).join(''));
}

describe('scheduled checkpoints', () => {
  it('writes one within the interval after entries were added, and none when nothing was added', async () => {
    const r = await scheduledRig(1000);
    expect(r.schedule.everyMs()).toBe(60_000);
    await r.schedule.fire();
    expect((await r.store.readAll()).checkpoints).toEqual([]);

    await appendMany(r.audit, 3);
    r.time.advance(MINUTE);
    await r.schedule.fire();
    const first = (await r.store.readAll()).checkpoints;
    expect(first.map((c) => [c.seq, c.reason])).toEqual([[3, 'periodic']]);

    r.time.advance(MINUTE);
    await r.schedule.fire();
    r.time.advance(MINUTE);
    await r.schedule.fire();
    expect((await r.store.readAll()).checkpoints).toHaveLength(1);

    await appendMany(r.audit, 2, 3);
    r.time.advance(MINUTE);
    await r.schedule.fire();
    expect((await r.store.readAll()).checkpoints.map((c) => c.seq)).toEqual([3, 5]);
    // Both went to the external directory too.
    expect(readdirSync(r.checkpointDir).sort()).toHaveLength(2);
    expect((await r.verify()).ok).toBe(true);

    r.checkpointer.stop();
    expect(r.schedule.running()).toBe(false);
    await r.db.close();
  });

  it('refuses a non-positive interval', async () => {
    const r = await rig(tempDir());
    expect(() => r.checkpointer.start(0)).toThrow(/positive whole number of seconds/);
    await r.db.close();
  });

  it('the audit module schedules at ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS, writes the checkpoint directory, and covers the tail on close', async () => {
    const dir = tempDir();
    const r = await rig(dir);
    const schedule = manualScheduler();
    const checkpointDir = join(dir, 'cp-dir');
    const module = createAuditModule({
      db: r.db,
      config: { checkpointKeyPath: r.key.path, checkpointEvery: 1000, checkpointIntervalSeconds: 45, checkpointDir, checkpointBlobUrl: undefined, retentionDays: undefined, archiveDir: r.archiveDir },
      clock: r.time.clock,
      checkpointScheduler: schedule.scheduler,
    });
    module.start();
    expect(schedule.everyMs()).toBe(45_000);
    await appendMany(module.audit, 4);
    await schedule.fire();
    expect(readdirSync(checkpointDir)).toHaveLength(1);
    await appendMany(module.audit, 2, 4);
    await module.close();
    const seqs = (await r.store.readAll()).checkpoints.map((c) => c.seq);
    expect(seqs).toEqual([4, 6]);
    expect(readdirSync(checkpointDir)).toHaveLength(2);

    // Readiness reports the store: reachable, then gone.
    expect(module.readiness.map((c) => c.name)).toEqual(['audit-checkpoint-store-1']);
    await module.readiness[0]!.check();
    rmSync(checkpointDir, { recursive: true, force: true });
    await expect(module.readiness[0]!.check()).rejects.toThrow(/ENOENT/);
    await r.db.close();
  });

  it('a checkpoint store needs the key', async () => {
    const r = await rig(tempDir());
    expect(() =>
      createAuditModule({
        db: r.db,
        config: { checkpointKeyPath: undefined, checkpointEvery: 10, checkpointIntervalSeconds: 60, checkpointDir: join(r.dir, 'x'), checkpointBlobUrl: undefined, retentionDays: undefined, archiveDir: r.archiveDir },
      }),
    ).toThrow(/ELEVATE_AUDIT_CHECKPOINT_DIR: checkpoint stores need ELEVATE_AUDIT_CHECKPOINT_KEY/);
    await r.db.close();
  });
});

describe('a tail cut off after the last checkpoint', () => {
  it('is caught by the checkpoint the external directory still holds, though the table and checkpoints.jsonl were cleaned', async () => {
    const r = await scheduledRig(10);
    await appendCheckpointed(r, 35, 0);
    r.time.advance(MINUTE);
    await r.schedule.fire(); // the scheduled checkpoint covers 31..35
    await dropGuards(r.db);
    await r.db.run('DELETE FROM audit_log WHERE seq > 30');
    await removeLocalCheckpointsAfter(r, 30);
    const result = await r.verify();
    expect(result.chain.ok).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ seq: 31, kind: 'truncated' });
    expect(result.firstProblem!.message).toMatch(/covers seq 35, but the log ends at seq 30: entries 31\.\.35 were removed/);
    await r.db.close();
  });

  it('is caught by the window when the checkpoints after the cut were removed from every store: the newest surviving one is too old', async () => {
    const r = await scheduledRig(10, () => []);
    await appendCheckpointed(r, 30, 0); // checkpoint at 30
    r.time.advance(10 * MINUTE);
    await appendCheckpointed(r, 5, 30);
    r.time.advance(MINUTE);
    await r.schedule.fire(); // 35
    r.time.advance(10 * MINUTE);
    await appendCheckpointed(r, 5, 35);
    r.time.advance(MINUTE);
    await r.schedule.fire(); // 40
    expect((await r.store.readAll()).checkpoints.map((c) => c.seq)).toEqual([10, 20, 30, 35, 40]);

    // Cut the tail after 35 and every checkpoint after 30 (here no store is out of reach).
    await dropGuards(r.db);
    await r.db.run('DELETE FROM audit_log WHERE seq > 35');
    await removeLocalCheckpointsAfter(r, 30);
    const result = await r.verify();
    expect(result.chain.ok).toBe(true);
    expect(result.ok).toBe(false);
    expect(result.firstProblem).toMatchObject({ seq: 31, kind: 'uncovered' });
    expect(result.firstProblem!.message).toMatch(/entries 31\.\.35 are not covered by a signed checkpoint: the newest checkpoint \(seq 30, 2026-03-01T00:00:00\.\d{3}Z\) is 600 s older than the last entry \(seq 35, 2026-03-01T00:10:00\.\d{3}Z\), but the window is 90 s/);
    expect(result.window).toMatchObject({ intervalSeconds: 60, graceSeconds: 30, windowSeconds: 90, newestCheckpoint: { seq: 30 }, lastEntry: { seq: 35 }, oldestUncovered: { seq: 31 } });
    await r.db.close();
  });

  it('passes entries appended after a quiet spell while inside their window', async () => {
    const r = await scheduledRig(10, () => []);
    await appendCheckpointed(r, 10, 0);
    r.time.advance(60 * MINUTE);
    await appendMany(r.audit, 2, 10);
    r.time.advance(MINUTE / 2);
    const result = await r.verify();
    expect(result.ok).toBe(true);
    expect(result.window).toMatchObject({ newestCheckpoint: { seq: 10, ageSeconds: 3630 }, oldestUncovered: { seq: 11 } });
    expect(result.warnings).toEqual([]);
    await r.db.close();
  });

  it('passes entries still inside the window, warns when they wait too long by the clock, and fails a log with no checkpoint for longer than the window', async () => {
    const r = await scheduledRig(100, () => []);
    await appendMany(r.audit, 3);
    const fresh = await r.verify();
    expect(fresh.ok).toBe(true);
    expect(fresh.window).toMatchObject({ newestCheckpoint: null, oldestUncovered: { seq: 1 }, lastEntry: { seq: 3 } });

    r.time.advance(5 * MINUTE); // the service stopped before its tick
    const stale = await r.verify();
    expect(stale.ok).toBe(true);
    expect(stale.warnings.join(' ')).toMatch(/entries 1\.\.3 have waited 300 s for a checkpoint \(window 90 s\)/);

    await appendMany(r.audit, 1, 3); // appended again later, still no checkpoint
    const failed = await r.verify();
    expect(failed.firstProblem).toMatchObject({ seq: 1, kind: 'uncovered' });
    expect(failed.firstProblem!.message).toMatch(/entries 1\.\.4 are not covered by a signed checkpoint: the first uncovered entry is 300 s older than the last entry/);
    await r.db.close();
  });

  it('a chain rewritten with fresh hashes contradicts the external directory', async () => {
    const r = await scheduledRig(10);
    await appendCheckpointed(r, 25, 0);
    const all = await rows(r.db);
    all[3] = { ...all[3]!, details: '{"i":"rewritten"}' };
    await rewriteChain(r.db, all);
    await removeLocalCheckpointsAfter(r, 0);
    const result = await r.verify();
    expect(result.chain.ok).toBe(true);
    expect(result.problems.map((p) => [p.seq, p.kind])).toEqual([
      [10, 'rewritten'],
      [20, 'rewritten'],
    ]);
    await r.db.close();
  });
});

describe('checkpoint directory', () => {
  it('writes one 0400 file per checkpoint, refuses to overwrite a planted file, and saves the same checkpoint once', async () => {
    const r = await rig(tempDir());
    await appendMany(r.audit, 2);
    const dir = join(r.dir, 'cps');
    const store = createDirectoryCheckpointStore(dir, { create: true });
    const cp = signCheckpoint(r.key.privateKey!, r.key.keyId, (await rows(r.db))[1]!, new Date('2026-03-01T00:00:00Z'), 'periodic');
    await store.save(cp);
    await store.save(cp);
    const [file] = readdirSync(dir);
    expect(readdirSync(dir)).toHaveLength(1);
    expect(file).toMatch(/^000000000002-[0-9a-f]{16}\.json$/);
    expect(statSync(join(dir, file!)).mode & 0o777).toBe(0o400);
    expect((await store.readAll()).checkpoints).toEqual([cp]);

    // Someone plants the file the next checkpoint would get: it is not overwritten.
    const other = signCheckpoint(r.key.privateKey!, r.key.keyId, (await rows(r.db))[0]!, new Date('2026-03-01T00:00:01Z'), 'periodic');
    const fresh = join(r.dir, 'cps2');
    const probe = createDirectoryCheckpointStore(fresh, { create: true });
    await probe.save(other);
    const name = readdirSync(fresh)[0]!;
    writeFileSync(join(dir, name), 'planted');
    await expect(store.save(other)).rejects.toThrow(/exists with other content; refusing to overwrite it/);
    expect(readFileSync(join(dir, name), 'utf8')).toBe('planted');
    await r.db.close();
  });

  it('reports an edited file as malformed and a missing directory as unreadable, failing verification', async () => {
    const r = await scheduledRig(5);
    await appendCheckpointed(r, 10, 0);
    const [first] = readdirSync(r.checkpointDir).sort();
    const path = join(r.checkpointDir, first!);
    chmodSync(path, 0o600);
    writeFileSync(path, readFileSync(path, 'utf8').replace('"periodic"', '"on-demand"'));
    const edited = await r.verify();
    expect(edited.problems.map((p) => p.kind)).toEqual(['malformed-checkpoint']);

    rmSync(r.checkpointDir, { recursive: true, force: true });
    expect(existsSync(r.checkpointDir)).toBe(false);
    const gone = await r.verify();
    expect(gone.ok).toBe(false);
    expect(gone.problems[0]).toMatchObject({ kind: 'store-unreadable' });
    expect(gone.problems[0]!.message).toMatch(/does not exist/);
    await r.db.close();
  });
});

describe('scheduled checkpoints with several instances', () => {
  it('are taken only by the leader of the audit-checkpointer lease', async () => {
    const r = await rig(tempDir(), 1000);
    let leader = false;
    const asked: string[] = [];
    const leases: SingletonLeases = {
      runIfLeader: async (job, tick) => (asked.push(job), leader ? { ran: true, value: await tick() } : { ran: false }),
      holds: () => leader,
      close: async () => undefined,
    };
    const schedule = manualScheduler();
    const checkpointer = createCheckpointer({ db: r.db, key: r.key, store: r.store, every: 1000, clock: r.time.clock, scheduler: schedule.scheduler, leases });
    checkpointer.start(60);
    await appendMany(r.audit, 3);
    await schedule.fire();
    expect((await r.store.readAll()).checkpoints).toEqual([]);
    leader = true;
    await schedule.fire();
    expect((await r.store.readAll()).checkpoints.map((c) => c.seq)).toEqual([3]);
    expect(new Set(asked)).toEqual(new Set(['audit-checkpointer']));
    checkpointer.stop();
  });
});
