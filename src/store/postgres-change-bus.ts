/**
 * The change bus across instances through PostgreSQL's LISTEN/NOTIFY
 * (https://www.postgresql.org/docs/15/sql-notify.html): a publish reaches this process's
 * subscribers at once and is sent with pg_notify to every instance; each instance listens on one
 * dedicated connection and hands what other instances sent to its subscribers.
 *
 * - A message is `<instance id>/<id>`: an instance skips its own (its subscribers already heard
 *   them), and anything not of that shape, or with an id checkId refuses, is ignored.
 * - NOTIFY is delivered when the sending transaction commits. Sent outside a transaction, as here,
 *   that is at once. Callers publish after the change they announce is committed (and audited).
 * - A notification sent while the listening connection is down is lost for this instance. So
 *   after every (re)connect, once its LISTENs are in place, every subscriber is told to resync
 *   (re-check everything it waits on). The connection is pinged every `pingMs` so that a silently
 *   dead one is noticed, and reopened with a backoff from `reconnectMs` to `maxReconnectMs`.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { checkChannel, checkId, createSubscriberSet, type ChangeBus } from './change-bus.ts';

export interface PostgresChangeBusOptions {
  /** A new, unconnected client for the listening session (one at a time; give it a query_timeout). */
  newClient: () => pg.Client;
  /**
   * Sends one notification (e.g. `SELECT pg_notify(?, ?)` through the store: NOTIFY is allowed in
   * the store's read-only sessions and needs no write lock).
   */
  notify(channel: string, payload: string): Promise<void>;
  /** First delay before reopening a lost listening connection (default 1 s), doubled up to `maxReconnectMs` (30 s). */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** How often the listening connection is checked (default 30 s). */
  pingMs?: number;
  logger?: Logger | undefined;
}

const reason = (err: unknown): string => (err instanceof Error ? err.message.split('\n')[0]! : String(err));
/** A channel name is checked by checkChannel; quoting keeps it exactly as written. */
const quoted = (channel: string) => `"${channel}"`;

export interface PostgresChangeBus extends ChangeBus {
  /** This instance's id in its messages (random per start; names nothing). */
  readonly instanceId: string;
}

export function createPostgresChangeBus(opts: PostgresChangeBusOptions): PostgresChangeBus {
  const instanceId = randomUUID();
  const reconnectMs = opts.reconnectMs ?? 1000;
  const maxReconnectMs = opts.maxReconnectMs ?? 30_000;
  const subscribers = createSubscriberSet();
  let listener: pg.Client | undefined;
  let connected = false;
  let closed = false;
  let delay = reconnectMs;
  let retry: NodeJS.Timeout | undefined;

  function onNotification(msg: pg.Notification): void {
    const payload = msg.payload ?? '';
    const slash = payload.indexOf('/');
    if (slash < 0 || payload.slice(0, slash) === instanceId) return;
    const id = payload.slice(slash + 1);
    try {
      checkChannel(msg.channel);
      checkId(id);
    } catch {
      return;
    }
    subscribers.changed(msg.channel, id);
  }

  /** Forgets a dead listening connection and schedules the next one. */
  function lost(client: pg.Client, why?: unknown): void {
    if (listener !== client) return;
    listener = undefined;
    if (connected) opts.logger?.warn({ reason: why === undefined ? 'connection ended' : reason(why) }, 'change bus: lost the listening connection; reconnecting (waiters will re-check)');
    connected = false;
    client.end().catch(() => undefined);
    schedule();
  }

  function schedule(): void {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
    retry.unref();
    delay = Math.min(delay * 2, maxReconnectMs);
  }

  async function connect(): Promise<void> {
    if (closed || listener) return;
    const client = opts.newClient();
    listener = client;
    client.on('error', (err) => lost(client, err));
    client.on('end', () => lost(client));
    client.on('notification', onNotification);
    try {
      await client.connect();
      // Channels subscribed while this runs are listened to as well.
      const listening = new Set<string>();
      for (let todo = subscribers.channels(); todo.length > 0; todo = subscribers.channels().filter((c) => !listening.has(c))) {
        for (const channel of todo) {
          await client.query(`LISTEN ${quoted(channel)}`);
          listening.add(channel);
        }
      }
    } catch (err) {
      if (listener === client) opts.logger?.warn({ reason: reason(err) }, 'change bus: cannot listen on the database; retrying');
      lost(client, err);
      return;
    }
    if (listener !== client || closed) return;
    connected = true;
    delay = reconnectMs;
    // Whatever was sent while nobody listened is lost: everyone re-checks.
    subscribers.resyncAll();
  }

  const ping = setInterval(() => {
    const client = listener;
    if (client && connected) client.query('SELECT 1').catch((err: unknown) => lost(client, err));
  }, opts.pingMs ?? 30_000);
  ping.unref();
  void connect();

  return {
    instanceId,
    async publish(channel, id) {
      checkChannel(channel);
      checkId(id);
      subscribers.changed(channel, id);
      await opts.notify(channel, `${instanceId}/${id}`);
    },
    subscribe(channel, subscriber) {
      checkChannel(channel);
      const { first, remove } = subscribers.add(channel, subscriber);
      const client = listener;
      // A failed LISTEN drops the connection: the next one listens on every channel and resyncs.
      // Once listening, the channel's subscribers re-check what may have changed before it was.
      if (first && client && connected) {
        client.query(`LISTEN ${quoted(channel)}`).then(
          () => subscribers.resync(channel),
          (err: unknown) => lost(client, err),
        );
      }
      return () => {
        const c = listener;
        if (remove() && c && connected) c.query(`UNLISTEN ${quoted(channel)}`).catch((err: unknown) => lost(c, err));
      };
    },
    async close() {
      closed = true;
      clearInterval(ping);
      clearTimeout(retry);
      subscribers.clear();
      const client = listener;
      listener = undefined;
      connected = false;
      await client?.end().catch(() => undefined);
    },
  };
}
