/**
 * Expires waiting requests on a timer (reads also expire lazily, so the timer only bounds how
 * long a stale request can sit unobserved). One sweep at a time; a failing sweep is logged and
 * the next tick tries again.
 */
import type { Logger } from '../observability/logger.ts';

export interface ExpirySweeper {
  /** Runs one sweep now (also what the timer calls); resolves to the number expired. */
  sweep(): Promise<number>;
  stop(): Promise<void>;
}

export function startExpirySweeper(options: {
  expireDue: () => Promise<number>;
  intervalMs: number;
  logger?: Logger | undefined;
}): ExpirySweeper {
  let running: Promise<number> | undefined;
  let stopped = false;

  const sweep = (): Promise<number> => {
    if (running) return running;
    running = (async () => {
      let total = 0;
      try {
        // Drain in batches so a backlog clears in one tick.
        for (let n = await options.expireDue(); n > 0 && !stopped; n = await options.expireDue()) total += n;
      } catch (err) {
        options.logger?.warn({ err }, 'request expiry sweep failed; retrying on the next tick');
      }
      if (total > 0) options.logger?.info({ expired: total }, 'expired operation requests');
      return total;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();
  return {
    sweep,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
