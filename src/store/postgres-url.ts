import { isIP } from 'node:net';
import { StoreError } from './store-errors.ts';

/**
 * How Elevate authenticates to PostgreSQL:
 * - `password`: the URL's password (SCRAM or whatever the server asks for);
 * - `entra`: a Microsoft Entra access token as the password, for Azure Database for PostgreSQL
 *   Flexible Server. Selected with `?authentication=entra` on a URL that has no password; the
 *   URL's user is the Entra principal's PostgreSQL role name (a managed identity's name, or a
 *   user's UPN). See
 *   https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-sign-in-azure-ad-authentication
 */
export type PostgresAuthentication = 'password' | 'entra';

/**
 * TLS for the connection. `verify-full` checks the certificate chain against Node's trusted CAs
 * (plus NODE_EXTRA_CA_CERTS) and the host name; `disable` is plain TCP, accepted on loopback only.
 */
export type PostgresTls = 'disable' | 'verify-full';

export interface PostgresConnectionSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Absent for Entra authentication. Never put this object in a log line or an error. */
  password?: string;
  authentication: PostgresAuthentication;
  tls: PostgresTls;
  applicationName?: string;
  connectTimeoutMs: number;
  /** `postgres://user@host:port/database`: the URL without password or query, for messages. */
  display: string;
}

const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
const KNOWN_QUERY = new Set(['sslmode', 'authentication', 'application_name', 'connect_timeout']);
const DEFAULT_CONNECT_TIMEOUT_S = 10;
const NAME = 'ELEVATE_DATABASE_URL';

/**
 * Reads `ELEVATE_DATABASE_URL` (`postgres://user[:password]@host[:port]/database[?…]`) into
 * connection settings, refusing anything doubtful rather than guessing: unknown query parameters
 * (a misspelt `sslmode` must not silently mean "no TLS"), and any TLS mode short of full
 * verification when the host is not loopback. Query parameters:
 * - `sslmode`: `verify-full` (the default off loopback) or, on loopback only, `disable` (the
 *   default there); libpq's weaker modes (`allow`, `prefer`, `require`, `verify-ca`) are refused.
 * - `authentication`: `password` (default) or `entra` (see `PostgresAuthentication`).
 * - `application_name`, `connect_timeout` (seconds, default 10) as in libpq.
 * Error messages name the problem and never contain the password (nor the URL, which may hold one).
 */
export function parsePostgresUrl(raw: string): PostgresConnectionSettings {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // Node's error carries the input, password and all: report without it.
    throw new StoreError(`${NAME}: not a valid URL (expected postgres://user@host:port/database)`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new StoreError(`${NAME}: the scheme must be postgres:// or postgresql://, got ${url.protocol}//`);
  }
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new StoreError(`${NAME}: no host`);
  const port = url.port === '' ? 5432 : Number(url.port);
  if (port === 0) throw new StoreError(`${NAME}: port 0 is not a port to connect to`);
  const database = decode(url.pathname.replace(/^\//, ''), 'database name');
  if (database === '' || database.includes('/')) throw new StoreError(`${NAME}: the path must be one database name, as in postgres://user@host/elevate`);
  const user = decode(url.username, 'user name');
  if (user === '') throw new StoreError(`${NAME}: no user name (postgres://user@host/database)`);
  const password = url.password === '' ? undefined : decode(url.password, 'password');
  if (url.hash !== '') throw new StoreError(`${NAME}: a #fragment has no meaning here`);

  const query = url.searchParams;
  for (const key of new Set(query.keys())) {
    if (!KNOWN_QUERY.has(key)) throw new StoreError(`${NAME}: unknown parameter ${key} (known: ${[...KNOWN_QUERY].join(', ')})`);
    if (query.getAll(key).length > 1) throw new StoreError(`${NAME}: parameter ${key} is given more than once`);
  }

  const loopback = isLoopback(host);
  const tls = tlsMode(query.get('sslmode'), loopback, host);
  const authentication = authenticationMode(query.get('authentication'), password !== undefined);
  const connectTimeoutMs = connectTimeout(query.get('connect_timeout'));
  const applicationName = query.get('application_name') ?? undefined;

  const display = `postgres://${encodeURIComponent(user)}@${url.host}/${encodeURIComponent(database)}`;
  return {
    host,
    port,
    database,
    user,
    ...(password === undefined ? {} : { password }),
    authentication,
    tls,
    ...(applicationName === undefined ? {} : { applicationName }),
    connectTimeoutMs,
    display,
  };
}

/** localhost, 127.0.0.0/8 and ::1: traffic that never leaves the machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1';
  return false;
}

function tlsMode(given: string | null, loopback: boolean, host: string): PostgresTls {
  if (given === null) return loopback ? 'disable' : 'verify-full';
  if (!(SSL_MODES as readonly string[]).includes(given)) throw new StoreError(`${NAME}: sslmode must be verify-full or disable, got ${given}`);
  if (given === 'verify-full') return 'verify-full';
  if (given === 'disable' && loopback) return 'disable';
  if (given === 'disable') throw new StoreError(`${NAME}: sslmode=disable is refused for ${host}: TLS is required off loopback`);
  throw new StoreError(`${NAME}: sslmode=${given} does not verify the server's certificate and host name: use verify-full`);
}

function authenticationMode(given: string | null, hasPassword: boolean): PostgresAuthentication {
  const mode = given ?? 'password';
  if (mode === 'entra') {
    if (hasPassword) throw new StoreError(`${NAME}: authentication=entra takes its password from Microsoft Entra: remove the password from the URL`);
    return 'entra';
  }
  if (mode === 'password') {
    if (!hasPassword) throw new StoreError(`${NAME}: no password (add one, or select authentication=entra)`);
    return 'password';
  }
  throw new StoreError(`${NAME}: authentication must be password or entra, got ${mode}`);
}

function connectTimeout(given: string | null): number {
  if (given === null) return DEFAULT_CONNECT_TIMEOUT_S * 1000;
  if (!/^[1-9][0-9]{0,4}$/.test(given)) throw new StoreError(`${NAME}: connect_timeout must be a whole number of seconds from 1, got ${given}`);
  return Number(given) * 1000;
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new StoreError(`${NAME}: the ${what} is not valid percent-encoding`);
  }
}
