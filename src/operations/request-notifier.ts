/**
 * Wake-ups for long-polling readers (`GET /operations/{id}?wait=`) and for listeners of every
 * change (the /approvals live stream, the notification dispatcher). A waiter is a promise that
 * resolves when the request's state changes, on this instance or (through the change bus) on
 * another, or when its timer runs out, whichever is first. The number of waiters is bounded: past
 * the bound, `wait` refuses at once rather than letting idle connections pile up.
 *
 * When the bus says it may have missed changes (it lost its connection to the other instances and
 * is back), every waiter is woken and every listener is told with no id: each re-reads what it
 * waits on, so a change made elsewhere meanwhile is not slept through.
 */
import type { Logger } from '../observability/logger.ts';
import { checkId, createInProcessChangeBus, type ChangeBus } from '../store/change-bus.ts';

/** Told about a change to `requestId`, or with no id: anything may have changed, re-check everything. */
export type ChangeListener = (requestId?: string) => void;

export interface RequestNotifier {
  /**
   * Resolves `true` when `notify(requestId)` is called (here or on another instance) or changes
   * may have been missed, `false` when `timeoutMs` passes or `signal` aborts. Returns undefined (no
   * waiting) when the bound is reached.
   */
  wait(requestId: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> | undefined;
  /** Call after the change is committed (and audited): waiters on every instance wake. */
  notify(requestId: string): void;
  /** Calls `listener` on every notify, for any request. Returns the unsubscribe function. A throwing listener is ignored. */
  subscribe(listener: ChangeListener): () => void;
  /** waiters currently parked */
  size(): number;
  /** resolves every waiter with false (shutdown) */
  close(): void;
}

export interface RequestNotifierOptions {
  maxWaiters: number;
  /** Carries notifies to the other instances (default: this process only). */
  changes?: ChangeBus | undefined;
  /** The bus channel (default `elevate_requests`); each kind of id has its own. */
  channel?: string;
  logger?: Logger | undefined;
}

interface Waiter {
  settle(changed: boolean): void;
}

export function createRequestNotifier(options: RequestNotifierOptions): RequestNotifier {
  const bus = options.changes ?? createInProcessChangeBus();
  const channel = options.channel ?? 'elevate_requests';
  const byRequest = new Map<string, Set<Waiter>>();
  const listeners = new Set<ChangeListener>();
  let count = 0;

  const remove = (requestId: string, waiter: Waiter) => {
    const set = byRequest.get(requestId);
    if (!set?.delete(waiter)) return;
    count -= 1;
    if (set.size === 0) byRequest.delete(requestId);
  };

  const tell = (requestId?: string) => {
    for (const listener of [...listeners]) {
      try {
        listener(requestId);
      } catch {
        // one listener's fault must not keep the others (or the long-poll waiters) from hearing
      }
    }
  };

  const changed = (requestId: string) => {
    tell(requestId);
    const set = byRequest.get(requestId);
    if (!set) return;
    for (const waiter of [...set]) waiter.settle(true);
  };

  const unsubscribe = bus.subscribe(channel, {
    changed,
    resync() {
      tell();
      for (const set of [...byRequest.values()]) for (const waiter of [...set]) waiter.settle(true);
    },
  });

  return {
    wait(requestId, timeoutMs, signal) {
      if (count >= options.maxWaiters) return undefined;
      if (signal?.aborted) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        let done = false;
        const waiter: Waiter = {
          settle(didChange) {
            if (done) return;
            done = true;
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            remove(requestId, waiter);
            resolve(didChange);
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
      try {
        checkId(requestId);
      } catch {
        // Not an id the bus carries: this instance still hears it, the others do not.
        options.logger?.warn('a change notification was not shared with other instances: its id is not a plain id');
        changed(requestId);
        return;
      }
      // The bus tells this process's subscribers (us) before it returns, then the other instances.
      bus.publish(channel, requestId).catch((err: unknown) =>
        options.logger?.warn({ reason: err instanceof Error ? err.message.split('\n')[0] : String(err), requestId }, 'other instances were not told of a change; their waiters wake on their timers'),
      );
    },
    size: () => count,
    close() {
      unsubscribe();
      listeners.clear();
      for (const set of [...byRequest.values()]) for (const waiter of [...set]) waiter.settle(false);
    },
  };
}
