/**
 * Opens the cross-instance coordination of a PostgreSQL deployment: the singleton-job leases, the
 * change bus and this instance's liveness lock, each on its own dedicated connection (advisory locks and LISTEN live in a
 * session, which a pool would hand around). Both connect like the store (poolConfig: TLS, password
 * or Entra token, read-only sessions), and the bus sends its notifications through the store.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import type { Queryable } from './database.ts';
import { createPostgresChangeBus, type PostgresChangeBus } from './postgres-change-bus.ts';
import { poolConfig, type OpenPostgresOptions } from './postgres-pool-config.ts';
import { createPostgresLiveness, type PostgresLiveness } from './postgres-instance-liveness.ts';
import { createPostgresLeases } from './postgres-singleton-leases.ts';
import { parsePostgresUrl, type PostgresConnectionSettings } from './postgres-url.ts';
import type { SingletonLeases } from './singleton-leases.ts';

export interface Coordination {
  leases: SingletonLeases;
  changes: PostgresChangeBus;
  /** This instance's id and whether others are alive (await `liveness.hold()` before serving). */
  liveness: PostgresLiveness;
  close(): Promise<void>;
}

export interface PostgresCoordinationOptions extends Pick<OpenPostgresOptions, 'credential' | 'entra'> {
  /** The opened store: notifications are sent through it. */
  db: Pick<Queryable, 'get'>;
  logger?: Logger | undefined;
  /** A dedicated connection's statements fail after this long (default 10 s): a hung session is dropped and reopened. */
  queryTimeoutMs?: number;
  leaseRetryMs?: number;
  /** This instance's id (default: a new random UUID). */
  instanceId?: string;
}

/** Settings of one dedicated session, labelled so an operator can tell it apart in pg_stat_activity. */
export function dedicatedClientConfig(settings: PostgresConnectionSettings, opts: Pick<PostgresCoordinationOptions, 'credential' | 'entra' | 'queryTimeoutMs'>, label: string): pg.ClientConfig {
  const { max: _max, ...config } = poolConfig(settings, opts);
  return { ...config, application_name: `${settings.applicationName ?? 'elevate'} ${label}`.slice(0, 63), query_timeout: opts.queryTimeoutMs ?? 10_000 };
}

export function openPostgresCoordination(url: string | PostgresConnectionSettings, opts: PostgresCoordinationOptions): Coordination {
  const settings = typeof url === 'string' ? parsePostgresUrl(url) : url;
  const leaseConfig = dedicatedClientConfig(settings, opts, 'leases');
  const busConfig = dedicatedClientConfig(settings, opts, 'change-bus');
  const leases = createPostgresLeases({ newClient: () => new pg.Client(leaseConfig), logger: opts.logger, ...(opts.leaseRetryMs !== undefined ? { retryMs: opts.leaseRetryMs } : {}) });
  const livenessConfig = dedicatedClientConfig(settings, opts, 'liveness');
  const liveness = createPostgresLiveness({
    id: opts.instanceId ?? randomUUID(),
    newClient: () => new pg.Client(livenessConfig),
    logger: opts.logger,
    ...(opts.leaseRetryMs !== undefined ? { retryMs: opts.leaseRetryMs } : {}),
  });
  const changes = createPostgresChangeBus({
    newClient: () => new pg.Client(busConfig),
    notify: async (channel, payload) => {
      await opts.db.get('SELECT pg_notify(?, ?) AS sent', [channel, payload]);
    },
    logger: opts.logger,
  });
  return {
    leases,
    changes,
    liveness,
    async close() {
      await changes.close();
      await leases.close();
      // Last: until the modules have stopped, this instance still runs what its rows name.
      await liveness.close();
    },
  };
}
