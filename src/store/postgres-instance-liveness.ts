/**
 * Instance liveness on PostgreSQL: each instance holds, on one dedicated session, a session-level
 * advisory lock whose single-bigint key is derived from its id (instanceLivenessKey,
 * advisory-lock-keys.ts). PostgreSQL frees it when the session ends (process killed, connection
 * cut, backend terminated), so "is instance X alive" is "is X's key held": pg_try_advisory_lock on
 * the key fails while X lives; if it succeeds X is gone, and the key is unlocked at once.
 * https://www.postgresql.org/docs/15/explicit-locking.html#ADVISORY-LOCKS
 *
 * Fails safe: an error while checking (cannot connect, a query fails or times out) answers
 * "alive", so a reconciler skips the row and retries on its next pass; nothing is ended under an
 * instance that may be running it.
 * Limit: while this instance's own session is down (until the next check reopens it and takes the
 * lock again) others see it dead. That is why a free lock alone never lets another instance take
 * an execution over: its lease, renewed through the pool, must have run out too
 * (src/operations/execution-lease.ts).
 */
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { instanceLivenessKey } from './advisory-lock-keys.ts';
import { AsyncMutex } from './async-mutex.ts';
import type { InstanceLiveness } from './instance-liveness.ts';

export interface PostgresLivenessOptions {
  id: string;
  /** A new, unconnected client for the liveness session (one at a time; give it a query_timeout). */
  newClient: () => pg.Client;
  /** How often the own lock is checked and, if the session was lost, taken again (default 10 s). */
  retryMs?: number;
  logger?: Logger | undefined;
}

export interface PostgresLiveness extends InstanceLiveness {
  /** Connects and takes this instance's lock (again, if the session was lost): whether it is held. */
  hold(): Promise<boolean>;
  /** Ends the session, which frees the lock: others see this instance gone. */
  close(): Promise<void>;
}

/** The first line of an error, never its parameters (pg messages carry no password). */
const reason = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));
/** The result types may map booleans to 1/0 (postgres-result-types.ts). */
const truthy = (v: unknown): boolean => v === true || v === 1;

export function createPostgresLiveness(opts: PostgresLivenessOptions): PostgresLiveness {
  const ownKey = instanceLivenessKey(opts.id);
  // One statement at a time on the session: pg queues them anyway, this also serialises reopening.
  const mutex = new AsyncMutex();
  let session: pg.Client | undefined;
  let held = false;
  let closed = false;

  function drop(client: pg.Client, why?: unknown): void {
    if (session !== client) return;
    session = undefined;
    if (held) opts.logger?.warn({ reason: why === undefined ? 'connection ended' : reason(why) }, 'instance liveness lock lost with its database session; taking it again');
    held = false;
    client.end().catch(() => undefined);
  }

  /** The session, holding the own lock; undefined when it cannot be had now. Inside the mutex. */
  async function ensure(): Promise<pg.Client | undefined> {
    if (closed) return undefined;
    if (session && held) return session;
    const client = session ?? opts.newClient();
    if (!session) {
      client.on('error', (err) => drop(client, err));
      client.on('end', () => drop(client));
      session = client;
      try {
        await client.connect();
      } catch (err) {
        opts.logger?.warn({ reason: reason(err) }, 'instance liveness: cannot connect to the database; retrying');
        drop(client, err);
        return undefined;
      }
    }
    try {
      const { rows } = await client.query<{ got: unknown }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [ownKey]);
      // Refused only if a session of a process with the same id holds it: ids are random UUIDs.
      if (!truthy(rows[0]?.got)) throw new Error('this instance id is already held by another session');
      held = session === client;
      return held ? client : undefined;
    } catch (err) {
      opts.logger?.warn({ reason: reason(err) }, 'instance liveness: cannot take this instance lock; retrying');
      drop(client, err);
      return undefined;
    }
  }

  const hold = () => mutex.runExclusive(async () => (await ensure()) !== undefined);

  const timer = setInterval(() => {
    void mutex.runExclusive(async () => {
      if (!session || !held) return void (await ensure());
      const client = session;
      // The lock lives exactly as long as the session: a live session still holds it.
      await client.query('SELECT 1').catch((err: unknown) => drop(client, err));
    });
  }, opts.retryMs ?? 10_000);
  timer.unref();

  return {
    id: opts.id,
    hold,
    isAlive(otherId: string): Promise<boolean> {
      if (otherId === opts.id) return Promise.resolve(true);
      const key = instanceLivenessKey(otherId);
      return mutex.runExclusive(async () => {
        const client = await ensure();
        // Fail safe: unknown is "alive" (the reconciler skips the row and retries next pass).
        if (!client) return true;
        try {
          const { rows } = await client.query<{ got: unknown }>('SELECT pg_try_advisory_lock($1::bigint) AS got', [key]);
          if (!truthy(rows[0]?.got)) return true;
          // Free: that instance's session is gone. Given back at once so the key stays free.
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
          return false;
        } catch (err) {
          drop(client, err);
          return true;
        }
      });
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await mutex.runExclusive(async () => {
        const client = session;
        session = undefined;
        held = false;
        await client?.end().catch(() => undefined);
      });
    },
  };
}
