/**
 * In-process wake-ups for long-polling readers (`GET /operations/{id}?wait=`). A waiter is a
 * promise that resolves when the request's state changes here or when its timer runs out,
 * whichever is first. The number of waiters is bounded: past the bound, `wait` refuses at once
 * rather than letting idle connections pile up.
 */

export interface RequestNotifier {
  /**
   * Resolves `true` when `notify(requestId)` is called, `false` when `timeoutMs` passes or
   * `signal` aborts. Returns undefined (no waiting) when the bound is reached.
   */
  wait(requestId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> | undefined;
  notify(requestId: string): void;
  /**
   * Calls `listener` on every notify, for any request (the /approvals live stream, the
   * notification dispatcher). Returns the unsubscribe function. A throwing listener is ignored.
   */
  subscribe(listener: (requestId: string) => void): () => void;
  /** waiters currently parked */
  size(): number;
  /** resolves every waiter with false (shutdown) */
  close(): void;
}

interface Waiter {
  settle(changed: boolean): void;
}

export function createRequestNotifier(options: { maxWaiters: number }): RequestNotifier {
  const byRequest = new Map<string, Set<Waiter>>();
  const listeners = new Set<(requestId: string) => void>();
  let count = 0;

  const remove = (requestId: string, waiter: Waiter) => {
    const set = byRequest.get(requestId);
    if (!set?.delete(waiter)) return;
    count -= 1;
    if (set.size === 0) byRequest.delete(requestId);
  };

  return {
    wait(requestId, timeoutMs, signal) {
      if (count >= options.maxWaiters) return undefined;
      if (signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        let done = false;
        const waiter: Waiter = {
          settle(changed) {
            if (done) return;
            done = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            remove(requestId, waiter);
            resolve(changed);
          },
        };
        const onAbort = () => waiter.settle(false);
        const timer = setTimeout(() => waiter.settle(false), Math.max(0, timeoutMs));
        signal?.addEventListener('abort', onAbort, { once: true });
        let set = byRequest.get(requestId);
        if (!set) byRequest.set(requestId, (set = new Set()));
        set.add(waiter);
        count += 1;
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    notify(requestId) {
      for (const listener of [...listeners]) {
        try {
          listener(requestId);
        } catch {
          // one listener's fault must not keep the others (or the long-poll waiters) from hearing
        }
      }
      const set = byRequest.get(requestId);
      if (!set) return;
      for (const waiter of [...set]) waiter.settle(true);
    },
    size: () => count,
    close() {
      listeners.clear();
      for (const set of [...byRequest.values()]) for (const waiter of [...set]) waiter.settle(false);
    },
  };
}
