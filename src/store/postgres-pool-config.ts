import type { TokenCredential } from '@azure/core-auth';
import type pg from 'pg';
import { entraDatabasePassword, type EntraPasswordOptions } from './entra-database-password.ts';
import { elevateResultTypes } from './postgres-result-types.ts';
import type { PostgresConnectionSettings } from './postgres-url.ts';
import { StoreError } from './store-errors.ts';

export interface OpenPostgresOptions {
  /** Where Entra tokens come from; required when the URL selects `authentication=entra`. */
  credential?: TokenCredential;
  /** Clock and skew of the Entra token cache. */
  entra?: EntraPasswordOptions;
  /** Connections in the pool (default 10). Writes use one at a time; reads and `iterate` the rest. */
  poolSize?: number;
  /**
   * How long a write waits for another instance's write transaction before failing (lock_timeout,
   * as SQLite's busy_timeout; default 5000 ms). Writers of this process queue in memory first.
   */
  busyTimeoutMs?: number;
  /**
   * Told about a pooled connection that failed while idle (server restart, network cut). The pool
   * has already dropped it and the next statement opens a new one, so the default ignores it: a
   * lasting problem shows up as that statement's error.
   */
  onIdleConnectionError?: (err: Error) => void;
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/**
 * The pg pool settings for validated connection settings: TLS, the password or Entra token, result
 * types. Pure: checks the options and builds the object, connects nowhere.
 */
export function poolConfig(settings: PostgresConnectionSettings, opts: OpenPostgresOptions = {}): pg.PoolConfig {
  let password: pg.PoolConfig['password'];
  if (settings.authentication === 'entra') {
    if (!opts.credential) throw new StoreError(`database ${settings.display}: authentication=entra needs an Azure credential`);
    password = entraDatabasePassword(opts.credential, opts.entra);
  } else {
    password = settings.password;
  }
  const poolSize = opts.poolSize ?? 10;
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new StoreError(`poolSize must be a whole number from 1, got ${poolSize}`);
  const busyTimeoutMs = opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreError(`busyTimeoutMs must be a whole number, got ${busyTimeoutMs}`);
  return {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    user: settings.user,
    password,
    // verify-full: the chain against Node's CAs (plus NODE_EXTRA_CA_CERTS) and the host name, which
    // pg hands to tls.connect. Azure Database for PostgreSQL enforces TLS 1.2+ and names the root CAs
    // a client must trust (one missing from Node's store goes in NODE_EXTRA_CA_CERTS):
    // https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-connect-tls-ssl
    ssl: settings.tls === 'verify-full' ? { rejectUnauthorized: true } : false,
    ...(settings.applicationName === undefined ? {} : { application_name: settings.applicationName }),
    connectionTimeoutMillis: settings.connectTimeoutMs,
    // Sessions are read-only unless a transaction says READ WRITE, as only the write path does:
    // a write sent through get/all would otherwise skip the write lock (SQLite's reader refuses it
    // the same way, with query_only).
    options: '-c default_transaction_read_only=on',
    // TCP keep-alives, so a connection silently dropped by a middlebox is noticed while idle.
    keepAlive: true,
    max: poolSize,
    types: elevateResultTypes(),
  };
}

/** Sessions `counterWrite` uses; two keep a burst of agent calls from queueing behind one. */
export const COUNTER_POOL_SIZE = 2;

/**
 * The pool of `counterWrite`, from the main pool's settings: the same server, credentials and TLS, but read-write autocommit
 * sessions with synchronous_commit off (a commit returns before its WAL is flushed; a crash may
 * lose it, never corrupt anything). synchronous_commit is settable per session by any role,
 * Azure Database for PostgreSQL included.
 * https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-SYNCHRONOUS-COMMIT
 */
export function counterPoolConfig(main: pg.PoolConfig): pg.PoolConfig {
  // The same password source too: one Entra token cache for both pools.
  return { ...main, options: '-c synchronous_commit=off', max: COUNTER_POOL_SIZE };
}
