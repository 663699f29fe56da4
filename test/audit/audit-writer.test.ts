import { describe, expect, it } from 'vitest';
import { AuditAppendError } from '../../src/audit/audit-errors.ts';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import type { Database, Queryable, SqlParams } from '../../src/store/database.ts';
import { useTempDirs } from '../store/store-fixtures.ts';
import { openAudit, sampleInput, steppingClock } from './audit-fixtures.ts';

const tempDir = useTempDirs();

/**
 * The store, with a hand on every INSERT into audit_log: it records the rows each statement
 * carries, can hold statements at a gate (as a slow fsync would), and fails any statement that
 * carries the given marker (as a full disk would, for that group).
 */
function instrumented(db: Database) {
  const statements: number[] = [];
  let gate: Promise<void> | undefined;
  let openGate = () => {};
  let poison: string | undefined;
  let arrived: (() => void) | undefined;

  const intercept = async (sql: string, params?: SqlParams) => {
    if (!sql.includes('INSERT INTO audit_log')) return;
    // One parameter: the group's rows as a JSON array (SqlDialect.insertJsonRows).
    const values = params as readonly unknown[];
    expect(values).toHaveLength(1);
    statements.push((JSON.parse(values[0] as string) as unknown[]).length);
    arrived?.();
    if (gate) await gate;
    if (poison !== undefined && values.some((v) => typeof v === 'string' && v.includes(poison!))) {
      throw new Error('SQLITE_FULL: database or disk is full (injected)');
    }
  };
  const wrap = (q: Queryable): Queryable => ({
    run: async (sql, params) => {
      await intercept(sql, params);
      return q.run(sql, params);
    },
    get: (sql, params) => q.get(sql, params),
    all: (sql, params) => q.all(sql, params),
    exec: (sql) => q.exec(sql),
  });
  const store: Database = {
    ...wrap(db),
    path: db.path,
    readonly: db.readonly,
    dialect: db.dialect,
    fresh: db.fresh,
    transaction: (fn) => db.transaction((tx) => fn(wrap(tx))),
    iterate: (sql, params) => db.iterate(sql, params),
    counterWrite: (sql, params) => db.counterWrite(sql, params),
    close: () => db.close(),
  };
  return {
    store,
    statements,
    hold() {
      gate = new Promise((resolve) => (openGate = resolve));
    },
    release() {
      gate = undefined;
      openGate();
    },
    poisonWith(marker: string | undefined) {
      poison = marker;
    },
    /** Resolves once `n` INSERT statements have been issued in all. */
    statementsIssued(n: number): Promise<void> {
      return new Promise((resolve) => {
        arrived = () => statements.length >= n && resolve();
        arrived();
      });
    },
  };
}

/** Lets every pending timer, immediate and I/O callback run a few times over. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

function tracked<T>(p: Promise<T>) {
  const t = { settled: false, promise: p };
  p.then(
    () => (t.settled = true),
    () => (t.settled = true),
  );
  return t;
}

describe('audit writer: group commit with a bounded queue', () => {
  it('writes each group as one multi-row INSERT, chained in the order of the calls', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock() });
    try {
      await audit.append(sampleInput(0)); // the first group reads the tail in a transaction
      io.statements.length = 0;
      const entries = await Promise.all(Array.from({ length: 300 }, (_, i) => audit.append({ ...sampleInput(i), details: { caller: i } })));
      entries.forEach((e, i) => {
        expect(e.seq).toBe(i + 2);
        expect(e.details).toEqual({ caller: i });
      });
      // 300 appends in one tick: one group, one statement (one commit, one fsync).
      expect(io.statements).toEqual([300]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 301 });
    } finally {
      await db.close();
    }
  });

  it('makes appends beyond the bound wait for room, in order, and drops none', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock(), maxQueuedAppends: 4 });
    try {
      await audit.append(sampleInput(0));
      io.statements.length = 0;
      io.hold(); // the commit of the first group does not return yet
      const appends = Array.from({ length: 10 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: i } })));
      await io.statementsIssued(1);
      await settle();
      // Only the bound's worth was taken into the queue; everyone else waits, nobody is answered.
      expect(io.statements).toEqual([4]);
      expect(appends.some((a) => a.settled)).toBe(false);
      io.release();
      const entries = (await Promise.all(appends.map((a) => a.promise))) as AuditEntry[];
      expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 2));
      entries.forEach((e, i) => expect(e.details).toEqual({ caller: i }));
      expect(io.statements.every((rows) => rows <= 4)).toBe(true);
      expect(io.statements.reduce((a, b) => a + b, 0)).toBe(10);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 11, lastSeq: 11 });
    } finally {
      await db.close();
    }
  });

  it('answers no caller before the commit holding its entry has returned', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock() });
    try {
      await audit.append(sampleInput(0));
      io.hold();
      const appends = Array.from({ length: 5 }, (_, i) => tracked(audit.append(sampleInput(i))));
      await io.statementsIssued(2);
      await settle();
      expect(appends.some((a) => a.settled)).toBe(false);
      io.release();
      await Promise.all(appends.map((a) => a.promise));
    } finally {
      await db.close();
    }
  });

  it('fails a whole group closed, including appends that waited for room, and goes on with the next group', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock(), maxQueuedAppends: 4 });
    try {
      await audit.append({ ...sampleInput(0), details: { caller: 'first' } });
      io.hold();
      io.poisonWith('poison');
      // Calls 0-3 form the first group (call 2 is the poisoned one); calls 4-9 wait for room.
      const appends = Array.from({ length: 10 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: i, ...(i === 2 ? { mark: 'poison' } : {}) } })));
      await io.statementsIssued(1);
      io.release();
      const results = await Promise.allSettled(appends.map((a) => a.promise));
      for (const r of results.slice(0, 4)) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditAppendError);
        expect(((r as PromiseRejectedResult).reason as Error).message).toMatch(/^audit entry not recorded: SQLITE_FULL/);
      }
      const committed = results.slice(4).map((r) => (r as PromiseFulfilledResult<AuditEntry>).value);
      // The chain continues from the real tail: the failed group left no gap and no entry.
      expect(committed.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(committed.map((e) => e.details.caller)).toEqual([4, 5, 6, 7, 8, 9]);
      const stored = await db.all<{ seq: number; details: string }>('SELECT seq, details FROM audit_log ORDER BY seq');
      expect(stored.map((r) => JSON.parse(r.details).caller)).toEqual(['first', 4, 5, 6, 7, 8, 9]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 7, lastSeq: 7 });
    } finally {
      await db.close();
    }
  });

  it('prepares the next group during a commit, issues it only once that commit has returned, and before its callers are answered', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock() });
    try {
      await audit.append(sampleInput(0));
      io.statements.length = 0;
      io.hold();
      const first = Array.from({ length: 3 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: i } })));
      await io.statementsIssued(1);
      const second = Array.from({ length: 4 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: 3 + i } })));
      await settle();
      // The second group waits for the first commit: never two statements in flight.
      expect(io.statements).toEqual([3]);
      expect([...first, ...second].some((a) => a.settled)).toBe(false);
      let issuedWhenAnswered = 0;
      const answered = first[0]!.promise.then(() => (issuedWhenAnswered = io.statements.length));
      io.release();
      const entries = (await Promise.all([...first, ...second].map((a) => a.promise))) as AuditEntry[];
      await answered;
      expect(issuedWhenAnswered).toBe(2);
      expect(io.statements).toEqual([3, 4]);
      expect(entries.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7, 8]);
      expect(entries.map((e) => e.details.caller)).toEqual([0, 1, 2, 3, 4, 5, 6]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 8, lastSeq: 8 });
    } finally {
      await db.close();
    }
  });

  it('chains the group prepared behind a failed commit again on the real tail: no gap, and the failure does not spread', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock() });
    try {
      await audit.append({ ...sampleInput(0), details: { caller: 'first' } });
      io.statements.length = 0;
      io.hold();
      io.poisonWith('poison');
      const failing = Array.from({ length: 3 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: i, ...(i === 1 ? { mark: 'poison' } : {}) } })));
      await io.statementsIssued(1);
      const behind = Array.from({ length: 3 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: 3 + i } })));
      await settle(); // prepared and hashed on the failing group's last row by now
      io.release();
      const failed = await Promise.allSettled(failing.map((a) => a.promise));
      for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(AuditAppendError);
      const committed = (await Promise.all(behind.map((a) => a.promise))) as AuditEntry[];
      expect(committed.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect(committed.map((e) => e.details.caller)).toEqual([3, 4, 5]);
      expect(committed[0]!.prevHash).toBe((await audit.get(1))!.hash);
      const stored = await db.all<{ details: string }>('SELECT details FROM audit_log ORDER BY seq');
      expect(stored.map((r) => JSON.parse(r.details).caller)).toEqual(['first', 3, 4, 5]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 4, lastSeq: 4 });
    } finally {
      await db.close();
    }
  });

  it('chains the prepared group again when the commit before it landed on a tail someone else moved', async () => {
    const { db } = await openAudit(tempDir());
    const io = instrumented(db);
    const audit = createAuditLog(io.store, { clock: steppingClock() });
    const other = createAuditLog(db, { clock: steppingClock(Date.parse('2026-03-02T00:00:00.000Z')) });
    try {
      await audit.append({ ...sampleInput(0), details: { caller: 'first' } });
      io.hold();
      const ahead = Array.from({ length: 2 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: i } })));
      await io.statementsIssued(2);
      const behind = Array.from({ length: 2 }, (_, i) => tracked(audit.append({ ...sampleInput(i), details: { caller: 2 + i } })));
      await settle();
      // Another writer on the same file takes seq 2 while the first group is held.
      expect((await other.append({ ...sampleInput(9), details: { caller: 'other' } })).seq).toBe(2);
      io.release();
      const entries = (await Promise.all([...ahead, ...behind].map((a) => a.promise))) as AuditEntry[];
      expect(entries.map((e) => e.seq)).toEqual([3, 4, 5, 6]);
      expect(entries.map((e) => e.details.caller)).toEqual([0, 1, 2, 3]);
      // The first group's INSERT hit seq 2 and was redone in a transaction; the prepared group,
      // chained again on that group's real last row, went in with one statement.
      expect(io.statements).toEqual([1, 2, 2, 2]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 6, lastSeq: 6 });
    } finally {
      await db.close();
    }
  });

  it('does not write a group twice when its INSERT committed but the answer was lost', async () => {
    const { db } = await openAudit(tempDir());
    // The statement runs, then its caller hears an error (a server connection dropped during COMMIT).
    let loseNextAnswer = false;
    const store: Database = {
      ...db,
      path: db.path,
      readonly: db.readonly,
      dialect: db.dialect,
      fresh: db.fresh,
      run: async (sql, params) => {
        const result = await db.run(sql, params);
        if (loseNextAnswer && sql.includes('INSERT INTO audit_log')) {
          loseNextAnswer = false;
          throw new Error('Connection terminated unexpectedly (injected, after the commit)');
        }
        return result;
      },
      get: (sql, params) => db.get(sql, params),
      all: (sql, params) => db.all(sql, params),
      exec: (sql) => db.exec(sql),
      transaction: (fn) => db.transaction(fn),
      iterate: (sql, params) => db.iterate(sql, params),
      counterWrite: (sql, params) => db.counterWrite(sql, params),
      close: () => db.close(),
    };
    const audit = createAuditLog(store, { clock: steppingClock() });
    try {
      await audit.append({ ...sampleInput(0), details: { caller: 'first' } });
      loseNextAnswer = true;
      const entries = await Promise.all(Array.from({ length: 5 }, (_, i) => audit.append({ ...sampleInput(i), details: { caller: i } })));
      expect(loseNextAnswer).toBe(false);
      expect(entries.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6]);
      const stored = await db.all<{ details: string }>('SELECT details FROM audit_log ORDER BY seq');
      expect(stored.map((r) => JSON.parse(r.details).caller)).toEqual(['first', 0, 1, 2, 3, 4]);
      expect(await audit.verify()).toMatchObject({ ok: true, entriesChecked: 6, lastSeq: 6 });
      // The writer goes on from there.
      expect((await audit.append(sampleInput(9))).seq).toBe(7);
    } finally {
      await db.close();
    }
  });

  it('refuses a bound that is not a positive whole number', async () => {
    const { db } = await openAudit(tempDir());
    try {
      expect(() => createAuditLog(db, { maxQueuedAppends: 0 })).toThrow(RangeError);
      expect(() => createAuditLog(db, { maxQueuedAppends: 1.5 })).toThrow(RangeError);
    } finally {
      await db.close();
    }
  });
});
