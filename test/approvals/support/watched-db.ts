/**
 * One instance's view of the shared store, with the two hooks the counting races need: its reads of
 * the approvals counted so far (outside a transaction, as the review's first look makes them) can
 * be held at a barrier until every racer has made them, and the end of each of its transactions
 * can be waited for. Everything else goes to the store unchanged.
 */
import type { Database, SqlParams } from '../../../src/store/database.ts';

export interface WatchedDb {
  db: Database;
  /** From now on, reads of approval_reviews wait for `gate` first; undefined stops holding them. */
  holdApprovalReads(gate: (() => Promise<void>) | undefined): void;
  /** Resolves once this instance's next transaction has ended (committed or rolled back). */
  nextTransaction(): Promise<void>;
}

export function watchedDb(db: Database): WatchedDb {
  let gate: (() => Promise<void>) | undefined;
  let ended: Array<() => void> = [];
  const held = async (sql: string) => {
    if (gate && /\bFROM approval_reviews\b/.test(sql)) await gate();
  };
  const fresh: Database['fresh'] = {
    get: async <T>(sql: string, params?: SqlParams) => (await held(sql), db.fresh.get<T>(sql, params)),
    all: async <T>(sql: string, params?: SqlParams) => (await held(sql), db.fresh.all<T>(sql, params)),
  };
  const transaction: Database['transaction'] = async (fn) => {
    try {
      return await db.transaction(fn);
    } finally {
      const waiters = ended;
      ended = [];
      for (const w of waiters) w();
    }
  };
  const watched = new Proxy(db, {
    get(target, prop) {
      if (prop === 'fresh') return fresh;
      if (prop === 'transaction') return transaction;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return {
    db: watched,
    holdApprovalReads: (g) => (gate = g),
    nextTransaction: () => new Promise<void>((resolve) => ended.push(resolve)),
  };
}
