/**
 * Serialises async work per key within this process: concurrent submissions that share an
 * (agent, idempotency key) run one after another, so the second finds the first's request
 * instead of racing it to a decision. The store's unique index still guards across processes.
 */
export function createKeyedLock() {
  const tails = new Map<string, Promise<unknown>>();
  return {
    async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
      const previous = tails.get(key) ?? Promise.resolve();
      const current = previous.catch(() => undefined).then(fn);
      const tail = current.catch(() => undefined);
      tails.set(key, tail);
      try {
        return await current;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    /** keys with work queued or running */
    size: () => tails.size,
  };
}
