/**
 * An express-rate-limit store over the storage port, so every instance on one database counts the
 * same hits (issue 16: "rate-limit state shared in PostgreSQL"). A fixed window per key, as the
 * library's memory store keeps: the first hit opens a window of `windowMs`; hits in it add up; the
 * first hit after it starts a new one. The increment is one atomic upsert (its row lock orders two
 * instances hitting one key at once, so neither loses a count). Counts go through `counterWrite`:
 * not behind the write lock every audit append and transition takes, and on PostgreSQL without
 * waiting for the WAL flush; a crash may forget the last hits of a window, which only lets a
 * client a few more calls in that window (measured in bench/postgres.bench.ts).
 * https://express-rate-limit.mintlify.app/reference/stores
 *
 * On one SQLite instance the library's memory store is as good and cheaper; the composition
 * chooses this one when several instances share a database.
 */
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Database } from './database.ts';

/** Stale rows are swept at most this often (by whichever call comes first). */
const SWEEP_EVERY_MS = 60_000;

export interface SharedRateLimitStoreOptions {
  /** Namespaces the keys of one limiter (each limiter has its own store). */
  prefix: string;
  clock?: () => number;
}

export class SharedRateLimitStore implements Store {
  /** Keys are counted in the database, not in this process. */
  readonly localKeys = false;
  readonly prefix: string;
  private windowMs = 60_000;
  private lastSweep = 0;
  private readonly clock: () => number;

  constructor(
    private readonly db: Pick<Database, 'get' | 'counterWrite'>,
    options: SharedRateLimitStoreOptions,
  ) {
    this.prefix = options.prefix;
    this.clock = options.clock ?? Date.now;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  private key(key: string): string {
    return `${this.prefix}:${key}`;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const row = await this.db.get<{ hits: number; reset_at: number }>('SELECT hits, reset_at FROM rate_limit_hits WHERE key = ?', [this.key(key)]);
    if (!row || row.reset_at <= this.clock()) return undefined;
    return { totalHits: row.hits, resetTime: new Date(row.reset_at) };
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = this.clock();
    const resetAt = now + this.windowMs;
    const [row] = await this.db.counterWrite<{ hits: number; reset_at: number }>(
      `INSERT INTO rate_limit_hits (key, hits, reset_at) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN rate_limit_hits.reset_at <= ? THEN 1 ELSE rate_limit_hits.hits + 1 END,
         reset_at = CASE WHEN rate_limit_hits.reset_at <= ? THEN ? ELSE rate_limit_hits.reset_at END
       RETURNING hits, reset_at`,
      [this.key(key), resetAt, now, now, resetAt],
    );
    if (!row) throw new Error('the rate-limit counter returned no row');
    this.sweepSometimes(now);
    return { totalHits: row.hits, resetTime: new Date(row.reset_at) };
  }

  async decrement(key: string): Promise<void> {
    await this.db.counterWrite('UPDATE rate_limit_hits SET hits = hits - 1 WHERE key = ? AND hits > 0', [this.key(key)]);
  }

  async resetKey(key: string): Promise<void> {
    await this.db.counterWrite('DELETE FROM rate_limit_hits WHERE key = ?', [this.key(key)]);
  }

  /** Windows that ended are deleted now and then, by any instance (idempotent). */
  private sweepSometimes(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    // Best effort: a failed sweep leaves stale rows that are never read as current.
    this.db.counterWrite('DELETE FROM rate_limit_hits WHERE reset_at <= ?', [now]).catch(() => undefined);
  }
}
