/**
 * The port behind which background jobs learn whether this instance is the one that runs them.
 * Each singleton job (advisory-lock-keys.ts) has one lease; only its holder runs the job's ticks.
 * With one instance (SQLite, or `npm start`) this instance is always the leader: that is the
 * in-process implementation here, and SQLite behaviour is unchanged. On PostgreSQL the lease is a
 * session-level advisory lock (postgres-singleton-leases.ts), so it passes to another instance
 * when its holder dies.
 */
import type { SingletonJob } from './advisory-lock-keys.ts';

export type { SingletonJob } from './advisory-lock-keys.ts';

export type LeaderRun<T> = { ran: true; value: T } | { ran: false };

export interface SingletonLeases {
  /**
   * Runs `tick` when this instance holds the job's lease, taking it first if it is free; resolves
   * `{ ran: false }` without running it when another instance holds it or the lease cannot be
   * checked (fail closed: better a skipped tick than two instances running the job).
   */
  runIfLeader<T>(job: SingletonJob, tick: () => Promise<T>): Promise<LeaderRun<T>>;
  /** Whether this instance held the job's lease when last checked (logs, status). */
  holds(job: SingletonJob): boolean;
  /** Gives every lease up (at shutdown, after the jobs have stopped). */
  close(): Promise<void>;
}

/** One instance: always the leader. */
export function createInProcessLeases(): SingletonLeases {
  return {
    runIfLeader: async (_job, tick) => ({ ran: true, value: await tick() }),
    holds: () => true,
    close: async () => undefined,
  };
}

/** `tick` as a function that runs only on the job's leader, resolving to `otherwise` elsewhere. */
export function leaderOnly<T, U>(leases: SingletonLeases | undefined, job: SingletonJob, tick: () => Promise<T>, otherwise: U): () => Promise<T | U> {
  if (!leases) return tick;
  return async () => {
    const run = await leases.runIfLeader(job, tick);
    return run.ran ? run.value : otherwise;
  };
}
