/**
 * A FIFO async mutex. SQLite allows one writer at a time and one sqlite3 connection interleaves
 * the statements of concurrent async flows, so every write and transaction on the writer
 * connection runs while holding this lock.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Number of callers holding or waiting for the lock (a cheap load signal for group commit). */
  get queued(): number {
    return this.waiting;
  }

  async runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const next = new Promise<void>((resolve) => {
      release = resolve;
    });
    const previous = this.tail;
    this.tail = previous.then(() => next);
    this.waiting += 1;
    try {
      await previous;
      return await fn();
    } finally {
      this.waiting -= 1;
      release();
    }
  }
}
