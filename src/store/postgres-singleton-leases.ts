/**
 * Singleton-job leases on PostgreSQL: each job's lease is a session-level advisory lock
 * (pg_try_advisory_lock(namespace, job id), advisory-lock-keys.ts) held on one dedicated
 * connection of this instance. PostgreSQL frees a session's advisory locks when the session ends,
 * so when the holder dies (process killed, connection cut, backend terminated) the lease is free
 * and another instance takes it at its next try: no expiry time to tune and no clock to trust.
 * https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
 *
 * - Before each tick the leader checks that its session is still alive (the lock lives exactly as
 *   long as the session), so a leader whose connection died runs no further tick.
 * - Instances that are not the leader try again on their own ticks and every `retryMs`.
 * - Anything unexpected (cannot connect, a query fails or times out) drops the session, which gives
 *   up every lease this instance held, and answers "not the leader": a skipped tick, never two
 *   leaders. The next try opens a new session.
 * Limit: a tick already running when its leader's connection is lost runs to its end while another
 * instance may take the lease; the jobs' writes are compare-and-set (and the outbox's rows are
 * claimed one by one), so such an overlap repeats no effect.
 */
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { ADVISORY_LOCK_NAMESPACE, SINGLETON_JOB_LOCK_IDS, type SingletonJob } from './advisory-lock-keys.ts';
import { AsyncMutex } from './async-mutex.ts';
import type { LeaderRun, SingletonLeases } from './singleton-leases.ts';

export interface PostgresLeasesOptions {
  /** A new, unconnected client for the leases' session (one at a time; give it a query_timeout). */
  newClient: () => pg.Client;
  /** How often free leases are tried and held ones checked, besides each tick (default 10 s). */
  retryMs?: number;
  logger?: Logger | undefined;
}

/** The first line of an error, never its parameters (pg messages carry no password). */
const reason = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));

export function createPostgresLeases(opts: PostgresLeasesOptions): SingletonLeases {
  const retryMs = opts.retryMs ?? 10_000;
  const held = new Set<SingletonJob>();
  const wanted = new Set<SingletonJob>();
  // Checks run one at a time, so two ticks never race to open the session or lock the same key.
  const checks = new AsyncMutex();
  let session: pg.Client | undefined;
  let closed = false;

  /** Forgets the session (and so every lease it held); ending it frees its locks on the server too. */
  function drop(client: pg.Client, why?: unknown): void {
    if (session !== client) return;
    session = undefined;
    if (held.size > 0) opts.logger?.warn({ jobs: [...held], reason: why === undefined ? 'connection ended' : reason(why) }, 'singleton-job leases lost with their database session');
    held.clear();
    client.end().catch(() => undefined);
  }

  async function open(): Promise<pg.Client | undefined> {
    const client = opts.newClient();
    client.on('error', (err) => drop(client, err));
    client.on('end', () => drop(client));
    session = client;
    try {
      await client.connect();
      return client;
    } catch (err) {
      opts.logger?.warn({ reason: reason(err) }, 'singleton-job leases: cannot connect to the database; retrying');
      drop(client, err);
      return undefined;
    }
  }

  function check(job: SingletonJob): Promise<boolean> {
    return checks.runExclusive(async () => {
      if (closed) return false;
      const client = session ?? (await open());
      if (!client || closed) return false;
      try {
        if (held.has(job)) {
          // The lock lives as long as the session: a live session still holds it.
          await client.query('SELECT 1');
        } else {
          const { rows } = await client.query<{ got: unknown }>('SELECT pg_try_advisory_lock($1, $2) AS got', [ADVISORY_LOCK_NAMESPACE, SINGLETON_JOB_LOCK_IDS[job]]);
          // The result types may map booleans to 1/0 (postgres-result-types.ts).
          const got = rows[0]?.got === true || rows[0]?.got === 1;
          if (!got) return false;
          held.add(job);
          opts.logger?.info({ job }, 'this instance now runs the singleton job');
        }
        return session === client && held.has(job);
      } catch (err) {
        drop(client, err);
        return false;
      }
    });
  }

  const timer = setInterval(() => {
    for (const job of wanted) void check(job);
  }, retryMs);
  timer.unref();

  return {
    async runIfLeader<T>(job: SingletonJob, tick: () => Promise<T>): Promise<LeaderRun<T>> {
      wanted.add(job);
      if (!(await check(job))) return { ran: false };
      return { ran: true, value: await tick() };
    },
    holds: (job) => held.has(job),
    async close() {
      closed = true;
      clearInterval(timer);
      await checks.runExclusive(async () => {
        const client = session;
        if (!client) return;
        session = undefined;
        held.clear();
        await client.end().catch(() => undefined);
      });
    },
  };
}
