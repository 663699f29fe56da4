/**
 * Checkpoint claims whose copy outside the database did not finish (issue 16): the claimer died
 * between its insert and its copies, or one of several external stores refused the copy. Two
 * checkpointers share one database and one set of external stores, as two instances do (each with
 * its own archive directory). Shared harness: SQLite by default, PostgreSQL with
 * ELEVATE_TEST_STORE=postgres.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDirectoryCheckpointStore } from '../../src/audit/audit-checkpoint-dir-store.ts';
import { loadCheckpointKey } from '../../src/audit/audit-checkpoint-key.ts';
import { signCheckpoint, type SignedCheckpoint } from '../../src/audit/audit-checkpoint-sign.ts';
import { CHECKPOINT_CLAIM_SECONDS, createCheckpointStore, type ExternalCheckpointStore } from '../../src/audit/audit-checkpoint-store.ts';
import { verifyWithCheckpoints } from '../../src/audit/audit-checkpoint-verify.ts';
import { createCheckpointer } from '../../src/audit/audit-checkpointer.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';
import { appendMany, manualClock, rows, useTempDir } from './audit-tamper-fixtures.ts';

const tempDir = useTempDir();
const open: Database[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((db) => db.close()));
});

type Mode = 'ok' | 'refuse' | 'hang';

/** An external store in front of a real directory: it can refuse, or hang as a process that died mid-write. */
function switchable(inner: ExternalCheckpointStore) {
  let mode: Mode = 'ok';
  const store: ExternalCheckpointStore = {
    name: inner.name,
    save: (cp) => (mode === 'hang' ? new Promise<void>(() => undefined) : mode === 'refuse' ? Promise.reject(new Error(`${inner.name}: HTTP 503 ServerBusy`)) : inner.save(cp)),
    readAll: () => inner.readAll(),
    probe: () => inner.probe(),
  };
  return { store, set: (m: Mode) => void (mode = m) };
}

async function setup() {
  const dir = tempDir();
  const time = manualClock();
  const db = await openTestStore(join(dir, 'elevate.db'), 'elevate_cp_claims');
  open.push(db);
  const key = loadCheckpointKey(join(dir, 'checkpoint.pem'), { create: true });
  const audit = createAuditLog(db, { clock: time.clock });
  const dirs = { first: join(dir, 'external-1'), second: join(dir, 'external-2') };
  const reader = () => [createDirectoryCheckpointStore(dirs.first), createDirectoryCheckpointStore(dirs.second)];
  /** One instance: its own archive directory, both external stores, each behind a switch. */
  const instance = (name: string) => {
    const first = switchable(createDirectoryCheckpointStore(dirs.first, { create: true }));
    const second = switchable(createDirectoryCheckpointStore(dirs.second, { create: true }));
    const store = createCheckpointStore(db, join(dir, `archive-${name}`), [first.store, second.store], { clock: time.clock });
    const checkpointer = createCheckpointer({ db, key, store, every: 1000, clock: time.clock });
    return { store, checkpointer, first, second, archiveDir: join(dir, `archive-${name}`) };
  };
  const verify = (archiveDir: string) =>
    verifyWithCheckpoints({ db, key, store: createCheckpointStore(db, archiveDir, reader()), every: 1000, intervalSeconds: 60, clock: () => new Date(time.now()) });
  const held = async () => {
    const [one, two] = await Promise.all(reader().map((s) => s.readAll()));
    return { first: one!.checkpoints, second: two!.checkpoints };
  };
  const row = (seq: number) => db.get<{ signature: string; copied_at: string | null }>('SELECT signature, copied_at FROM audit_checkpoints WHERE seq = ?', [seq]);
  return { dir, db, time, key, audit, dirs, instance, verify, held, row };
}

/** Lets a claim that hangs reach its external store (the insert and the first awaits). */
async function untilClaimed(db: Database, seq: number): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await db.get('SELECT seq FROM audit_checkpoints WHERE seq = ?', [seq])) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`seq ${seq} was never claimed`);
}

/** `instance` claims the checkpoint of `seq` and hangs writing to its `store`, as a claimer that died there. */
async function claimAndHang(db: Database, instance: { checkpointer: { checkpointNow(): Promise<unknown> }; first: { set(m: 'hang'): void }; second: { set(m: 'hang'): void } }, store: 'first' | 'second', seq: number): Promise<void> {
  instance[store].set('hang');
  void instance.checkpointer.checkpointNow();
  await untilClaimed(db, seq);
}

describe('a claim whose claimer died before its copy was confirmed', () => {
  it('counts for nothing, is adopted while its lease runs, and is copied by the next run on another instance after it', async () => {
    const s = await setup();
    const a = s.instance('a');
    const b = s.instance('b');
    await appendMany(s.audit, 3);
    // Instance a wins the claim of seq 3 and dies writing the first store.
    await claimAndHang(s.db, a, 'first', 3);
    const claimed = await s.row(3);
    expect(claimed).toMatchObject({ copied_at: null });

    // The table holds it; verification does not count it, and says so.
    const before = await s.verify(b.archiveDir);
    expect(before.checkpoints).toMatchObject({ verified: 0, found: 0, unconfirmed: 1, latestSeq: null });
    expect(before.warnings.join(' ')).toMatch(/1 checkpoint\(s\) \(seq 3\) are only in the audit_checkpoints table: their copy outside the database was not confirmed, so they are not counted/);
    await expect(b.store.unconfirmed()).resolves.toHaveLength(1);

    // While a's lease runs, b adopts a's checkpoint (a may be copying it still) and copies nothing.
    const adopted = await b.checkpointer.checkpointNow();
    expect(adopted.signature).toBe(claimed!.signature);
    expect(await b.checkpointer.tick()).toBeUndefined();
    expect((await s.row(3))!.copied_at).toBeNull();

    // After the lease, b's next scheduled run finishes the copy of that very checkpoint.
    s.time.advance((CHECKPOINT_CLAIM_SECONDS + 1) * 1000);
    expect(await b.checkpointer.tick()).toBeUndefined(); // no new entries: nothing new signed
    expect((await s.row(3))!.copied_at).not.toBeNull();
    const stores = await s.held();
    expect(stores.first.map((cp) => cp.signature)).toEqual([claimed!.signature]);
    expect(stores.second.map((cp) => cp.signature)).toEqual([claimed!.signature]);
    const after = await s.verify(b.archiveDir);
    expect(after.checkpoints).toMatchObject({ verified: 1, unconfirmed: 0, latestSeq: 3 });
    expect(after.ok).toBe(true);
    expect(after.warnings).toEqual([]);
  });

  it('is finished by the next on-demand checkpoint, which then signs the new head', async () => {
    const s = await setup();
    const a = s.instance('a');
    const b = s.instance('b');
    await appendMany(s.audit, 2);
    // This time a dies after the first store took it: that store's copy counts, and is not contradicted.
    await claimAndHang(s.db, a, 'second', 2);
    await appendMany(s.audit, 2, 2);
    s.time.advance((CHECKPOINT_CLAIM_SECONDS + 1) * 1000);

    expect((await s.verify(b.archiveDir)).checkpoints).toMatchObject({ found: 1, verified: 1, unconfirmed: 0, latestSeq: 2 });
    const claimed = await s.row(2);
    const cp = await b.checkpointer.checkpointNow();
    expect(cp.seq).toBe(4);
    const stores = await s.held();
    expect(stores.second[0]!.signature).toBe(claimed!.signature);
    expect(stores.first.map((c) => c.seq)).toEqual([2, 4]);
    expect(stores.second.map((c) => c.seq)).toEqual([2, 4]);
    expect((await s.verify(b.archiveDir)).checkpoints).toMatchObject({ verified: 2, unconfirmed: 0 });
  });

  it('completes a checkpoint file the dead claimer left cut short, without changing what it holds', async () => {
    const s = await setup();
    const a = s.instance('a');
    const b = s.instance('b');
    await appendMany(s.audit, 3);
    await claimAndHang(s.db, a, 'first', 3);
    // What a process that died between creating the file and writing all of it leaves behind.
    const [claim] = await b.store.unconfirmed();
    const line = `${JSON.stringify(claim!.checkpoint)}\n`;
    const file = join(s.dirs.first, `000000000003-${createHash('sha256').update(line).digest('hex').slice(0, 16)}.json`);
    writeFileSync(file, line.slice(0, 40), { mode: 0o400 });
    expect((await s.verify(b.archiveDir)).problems.map((p) => p.kind)).toEqual(['malformed-checkpoint']);

    s.time.advance((CHECKPOINT_CLAIM_SECONDS + 1) * 1000);
    await b.checkpointer.tick();
    expect(readFileSync(file, 'utf8')).toBe(line);
    expect(statSync(file).mode & 0o777).toBe(0o400);
    const after = await s.verify(b.archiveDir);
    expect(after.ok).toBe(true);
    expect(after.checkpoints).toMatchObject({ verified: 1, unconfirmed: 0 });
  });

  it('is not copied out when its signature does not verify (a planted row), and verification reports it', async () => {
    const s = await setup();
    const b = s.instance('b');
    await appendMany(s.audit, 3);
    const [, second] = await rows(s.db);
    await s.db.run(`INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (2, ?, '2026-03-01T00:00:00.000Z', ?, 'AAAA', 'periodic')`, [second!.hash, s.key.keyId]);
    s.time.advance((CHECKPOINT_CLAIM_SECONDS + 1) * 1000);
    const cp = await b.checkpointer.checkpointNow();
    expect(cp.seq).toBe(3);
    const stores = await s.held();
    expect(stores.first.map((c) => c.seq)).toEqual([3]);
    expect(stores.second.map((c) => c.seq)).toEqual([3]);
    const result = await s.verify(b.archiveDir);
    expect(result.firstProblem).toMatchObject({ seq: 2, kind: 'bad-signature' });
    expect(result.checkpoints).toMatchObject({ verified: 1, unconfirmed: 1 });
  });

  it('is still checked for what it signs: a valid one beyond the end of the log shows the tail was cut', async () => {
    const s = await setup();
    const b = s.instance('b');
    await appendMany(s.audit, 3);
    const cp: SignedCheckpoint = signCheckpoint(s.key.privateKey!, s.key.keyId, { seq: 5, hash: 'c'.repeat(64) }, new Date(s.time.now()), 'periodic');
    await s.db.run('INSERT INTO audit_checkpoints (seq, hash, ts, key_id, signature, reason) VALUES (?, ?, ?, ?, ?, ?)', [cp.seq, cp.hash, cp.ts, cp.keyId, cp.signature, cp.reason]);
    const result = await s.verify(b.archiveDir);
    expect(result.firstProblem).toMatchObject({ seq: 4, kind: 'truncated' });
    expect(result.checkpoints).toMatchObject({ verified: 0, unconfirmed: 1 });
  });
});

describe('a copy that one of two external stores refuses', () => {
  it('keeps the claim unconfirmed and retries that very checkpoint, so the store that took it never holds another of that seq', async () => {
    const s = await setup();
    const a = s.instance('a');
    const b = s.instance('b');
    await appendMany(s.audit, 3);
    a.second.set('refuse');
    await expect(a.checkpointer.checkpointNow()).rejects.toThrow(/HTTP 503 ServerBusy/);
    const claimed = await s.row(3);
    expect(claimed).toMatchObject({ copied_at: null });
    let stores = await s.held();
    expect(stores.first.map((cp) => cp.signature)).toEqual([claimed!.signature]);
    expect(stores.second).toEqual([]);

    // The first store does hold it: verification counts it there (it is outside the database), and
    // the table's row is not counted on its own.
    const partial = await s.verify(a.archiveDir);
    expect(partial.checkpoints).toMatchObject({ found: 1, verified: 1, unconfirmed: 0, latestSeq: 3 });

    // The claim was given up with the failure: the next run on any instance retries at once, and
    // while the second store still refuses, nothing new of seq 3 is signed.
    b.second.set('refuse');
    await expect(b.checkpointer.checkpointNow()).rejects.toThrow(/HTTP 503 ServerBusy/);
    // New entries meanwhile: b's tick cannot finish seq 3 (logged), and its new claim of seq 5 fails the same way.
    await appendMany(s.audit, 2, 3);
    s.time.advance(60_000);
    await expect(b.checkpointer.tick()).rejects.toThrow(/HTTP 503 ServerBusy/);
    expect((await b.store.unconfirmed()).map((c) => c.checkpoint.seq)).toEqual([3, 5]);

    // The store is back: the next tick copies both, each the checkpoint first claimed.
    b.second.set('ok');
    s.time.advance(60_000);
    expect(await b.checkpointer.tick()).toBeUndefined();
    stores = await s.held();
    expect(stores.first.map((cp) => cp.seq)).toEqual([3, 5]);
    expect(stores.second).toEqual(stores.first);
    expect(stores.first[0]!.signature).toBe(claimed!.signature);
    expect(await b.store.unconfirmed()).toEqual([]);
    const after = await s.verify(b.archiveDir);
    expect(after.ok).toBe(true);
    expect(after.checkpoints).toMatchObject({ found: 2, verified: 2, unconfirmed: 0, latestSeq: 5 });
    expect(readdirSync(s.dirs.second)).toHaveLength(2);
  });

  it('returns the head checkpoint of a retried claim only once every store has it', async () => {
    const s = await setup();
    const a = s.instance('a');
    await appendMany(s.audit, 1);
    a.first.set('refuse');
    await expect(a.checkpointer.checkpointNow()).rejects.toThrow(/ServerBusy/);
    const claimed = await s.row(1);
    a.first.set('ok');
    const cp = await a.checkpointer.checkpointNow();
    expect(cp.signature).toBe(claimed!.signature);
    expect((await s.row(1))!.copied_at).not.toBeNull();
    const stores = await s.held();
    expect(stores.first).toEqual([cp]);
    expect(stores.second).toEqual([cp]);
  });
});
