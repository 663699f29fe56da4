import { describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { createAuditQuery } from '../../src/audit/audit-query.ts';
import { createTimeBounds } from '../../src/audit/audit-time-bounds.ts';
import { openTestStore } from '../support/test-store.ts';

async function logWithClock(times: string[]) {
  const db = await openTestStore();
  let i = 0;
  let next = times;
  const audit = createAuditLog(db, { clock: () => new Date(next[i++]!) });
  return {
    db,
    append: async (more: string[]) => {
      next = more;
      i = 0;
      for (let k = 0; k < more.length; k++) await audit.append({ actor: { kind: 'system', id: 'elevate' }, eventType: 'test.tick', details: { k } });
    },
  };
}

const T = (h: number) => new Date(Date.UTC(2026, 2, 1, h)).toISOString();

describe('time bounds', () => {
  it('turns a range into exact seq bounds while timestamps never step back (ties included)', async () => {
    const log = await logWithClock([]);
    await log.append([T(1), T(2), T(2), T(2), T(3), T(5)]);
    const bounds = createTimeBounds(log.db);
    expect(await bounds.seqBounds(T(2), T(3))).toEqual({ lo: 2, hi: 4, empty: false });
    expect(await bounds.seqBounds(T(4), undefined)).toEqual({ lo: 6, empty: false });
    expect(await bounds.seqBounds(undefined, T(1))).toEqual({ empty: true });
    expect(await bounds.seqBounds(new Date(Date.UTC(2026, 2, 1, 3, 30)).toISOString(), T(4))).toEqual({ empty: true });
    await log.db.close();
  });

  it('gives up the shortcut when a step back is already in the log, or appears later', async () => {
    const early = await logWithClock([]);
    await early.append([T(1), T(3), T(2), T(4)]);
    expect(await createTimeBounds(early.db).seqBounds(T(2), T(3))).toBeUndefined();
    await early.db.close();

    const late = await logWithClock([]);
    await late.append([T(1), T(2), T(3)]);
    const bounds = createTimeBounds(late.db);
    expect(await bounds.seqBounds(T(2), undefined)).toEqual({ lo: 2, empty: false });
    await late.append([T(4), T(1)]);
    expect(await bounds.seqBounds(T(2), undefined)).toBeUndefined();
    // Searches stay exact without it: entry 5 (stamped 01:00) is outside [02:00, ...).
    const page = await createAuditQuery(late.db).page({ from: T(2) }, { order: 'asc' });
    expect(page.entries.map((e) => e.seq)).toEqual([2, 3, 4]);
    await late.db.close();
  });
});
