import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parsePostgresUrl, type PostgresConnectionSettings } from '../store/postgres-url.ts';
import { NOTIFY_SETTINGS, SECRET_VARIABLES, envSchema, type Env } from './config-schema.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type ClientCredentialKind = 'secret' | 'workload-identity' | 'managed-identity';

export interface Config {
  mode: 'sandbox' | 'azure';
  http: { host: string; port: number; publicUrl: string | undefined; trustProxy: boolean };
  /** The SQLite file, used when `database` is undefined. */
  dbPath: string;
  /** ELEVATE_DATABASE_URL: PostgreSQL instead of the SQLite file; undefined by default. */
  database: PostgresDatabaseConfig | undefined;
  policiesDir: string;
  rolesFile: string | undefined;
  logLevel: Env['ELEVATE_LOG_LEVEL'];
  session: { secret: string | undefined; idleSeconds: number; absoluteSeconds: number };
  requests: { ttlSeconds: number; freshAuthSeconds: number; reconcileIntervalSeconds: number; executionLeaseSeconds: number };
  permissionCacheSeconds: number;
  inventoryRefreshSeconds: number;
  /** ELEVATE_RAISE_SWEEP_SECONDS: period of the level-raise sweeper. */
  raiseSweepSeconds: number;
  /** Per-agent calls per minute on the agent API, when the deployment overrides rate-limits.yaml's default. */
  agentRateLimitPerMinute: number | undefined;
  audit: {
    checkpointKeyPath: string | undefined;
    checkpointEvery: number;
    checkpointIntervalSeconds: number;
    checkpointDir: string | undefined;
    checkpointBlobUrl: string | undefined;
    retentionDays: number | undefined;
    archiveDir: string;
  };
  /** Set in azure mode; in sandbox mode the sandbox fills these in when it starts. */
  azure: {
    tenantId: string | undefined;
    clientId: string | undefined;
    clientSecret: string | undefined;
    federatedTokenFile: string | undefined;
    credential: ClientCredentialKind | undefined;
    managedIdentityClientId: string | undefined;
    apiAudience: string | undefined;
    authorityHost: string;
    armEndpoint: string;
    graphEndpoint: string;
  };
  sandbox: { httpsPort: number; httpPort: number; dataDir: string; seedFile: string | undefined };
  /** `elevate requests`: where Elevate is and which public client the CLI signs in with. */
  cli: { elevateUrl: string | undefined; clientId: string | undefined };
  notifications: {
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    timeoutMs: number;
    /**
     * The ELEVATE_NOTIFY_* channel URLs and secrets policies/notifications.yaml names, by name.
     * A function, so logging or serialising the config never prints them.
     */
    secret(name: string): string | undefined;
  };
  /** Alert intake (src/incidents): who may deliver alerts. */
  alerts: {
    actionGroupAppId: string;
    appRole: string;
    /** other tools' sources; empty unless ELEVATE_ALERT_SHARED_SECRETS is set */
    sharedSecrets: Array<{ source: string; mode: 'hmac' | 'url'; secret: string }>;
  };
}

/**
 * The validated ELEVATE_DATABASE_URL. The settings (password included) sit behind a function, so
 * logging or serialising the config never prints them; `display` is the URL without password.
 */
export interface PostgresDatabaseConfig {
  display: string;
  authentication: PostgresConnectionSettings['authentication'];
  settings(): PostgresConnectionSettings;
}

/** Reads `.env` (if present) under the real environment, which wins. */
export function readEnvironment(processEnv: NodeJS.ProcessEnv, envFile = resolve('.env')): Record<string, string | undefined> {
  const fromFile = existsSync(envFile) ? parseEnv(readFileSync(envFile, 'utf8')) : {};
  return { ...fromFile, ...processEnv };
}

/**
 * Validates the environment and builds the typed config. Throws `ConfigError` with a one-line
 * message that names the offending variable and what it expects.
 */
export function parseConfig(env: Record<string, string | undefined>, options: ParseOptions = {}): Config {
  // Empty strings count as unset, as shells and .env files often leave them behind.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'environment');
    throw new ConfigError(`${name}: ${issue.message} (${describeValue(name, cleaned[name])})`);
  }
  const e = parsed.data;
  const notifySecrets = new Map(
    Object.entries(cleaned).filter(([k]) => k.startsWith('ELEVATE_NOTIFY_') && !NOTIFY_SETTINGS.has(k)) as Array<[string, string]>,
  );
  if (e.ELEVATE_NOTIFY_RETRY_MAX_MS < e.ELEVATE_NOTIFY_RETRY_BASE_MS) {
    throw new ConfigError(`ELEVATE_NOTIFY_RETRY_MAX_MS: expected at least ELEVATE_NOTIFY_RETRY_BASE_MS (${e.ELEVATE_NOTIFY_RETRY_BASE_MS})`);
  }
  const mode = e.AZURE_TENANT_ID ? 'azure' : 'sandbox';
  const database = e.ELEVATE_DATABASE_URL === undefined ? undefined : databaseConfig(e.ELEVATE_DATABASE_URL);
  const credential = mode === 'azure' && options.serviceCredential !== false ? checkAzureCredential(e) : undefined;

  return {
    mode,
    http: { host: e.ELEVATE_HOST, port: e.ELEVATE_PORT, publicUrl: e.ELEVATE_PUBLIC_URL, trustProxy: e.ELEVATE_TRUST_PROXY },
    dbPath: e.ELEVATE_DB_PATH,
    database,
    policiesDir: e.ELEVATE_POLICIES_DIR,
    rolesFile: e.ELEVATE_ROLES_FILE,
    logLevel: e.ELEVATE_LOG_LEVEL,
    session: {
      secret: e.ELEVATE_SESSION_SECRET,
      idleSeconds: e.ELEVATE_SESSION_IDLE_SECONDS,
      absoluteSeconds: e.ELEVATE_SESSION_ABSOLUTE_SECONDS,
    },
    requests: { ttlSeconds: e.ELEVATE_REQUEST_TTL_SECONDS, freshAuthSeconds: e.ELEVATE_FRESH_AUTH_SECONDS, reconcileIntervalSeconds: e.ELEVATE_RECONCILE_INTERVAL_SECONDS, executionLeaseSeconds: e.ELEVATE_EXECUTION_LEASE_SECONDS },
    permissionCacheSeconds: e.ELEVATE_PERMISSION_CACHE_SECONDS,
    inventoryRefreshSeconds: e.ELEVATE_INVENTORY_REFRESH_SECONDS,
    raiseSweepSeconds: e.ELEVATE_RAISE_SWEEP_SECONDS,
    agentRateLimitPerMinute: e.ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE,
    audit: {
      checkpointKeyPath: e.ELEVATE_AUDIT_CHECKPOINT_KEY,
      checkpointEvery: e.ELEVATE_AUDIT_CHECKPOINT_EVERY,
      checkpointIntervalSeconds: e.ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS,
      checkpointDir: e.ELEVATE_AUDIT_CHECKPOINT_DIR,
      checkpointBlobUrl: e.ELEVATE_AUDIT_CHECKPOINT_BLOB_URL?.replace(/\/+$/, ''),
      retentionDays: e.ELEVATE_AUDIT_RETENTION_DAYS,
      archiveDir: e.ELEVATE_AUDIT_ARCHIVE_DIR,
    },
    azure: {
      tenantId: e.AZURE_TENANT_ID,
      clientId: e.AZURE_CLIENT_ID,
      clientSecret: e.AZURE_CLIENT_SECRET,
      federatedTokenFile: e.AZURE_FEDERATED_TOKEN_FILE,
      credential,
      managedIdentityClientId: e.ELEVATE_MANAGED_IDENTITY_CLIENT_ID,
      apiAudience: e.ELEVATE_API_AUDIENCE ?? (e.AZURE_CLIENT_ID ? `api://${e.AZURE_CLIENT_ID}` : undefined),
      authorityHost: e.AZURE_AUTHORITY_HOST.replace(/\/+$/, ''),
      armEndpoint: e.ELEVATE_ARM_ENDPOINT.replace(/\/+$/, ''),
      graphEndpoint: e.ELEVATE_GRAPH_ENDPOINT.replace(/\/+$/, ''),
    },
    sandbox: {
      httpsPort: e.ELEVATE_SANDBOX_PORT,
      httpPort: e.ELEVATE_SANDBOX_HTTP_PORT,
      dataDir: e.ELEVATE_SANDBOX_DATA_DIR,
      seedFile: e.ELEVATE_SANDBOX_SEED,
    },
    cli: { elevateUrl: e.ELEVATE_URL?.replace(/\/+$/, ''), clientId: e.ELEVATE_CLI_CLIENT_ID },
    notifications: {
      maxAttempts: e.ELEVATE_NOTIFY_MAX_ATTEMPTS,
      retryBaseMs: e.ELEVATE_NOTIFY_RETRY_BASE_MS,
      retryMaxMs: e.ELEVATE_NOTIFY_RETRY_MAX_MS,
      timeoutMs: e.ELEVATE_NOTIFY_TIMEOUT_MS,
      secret: (name) => notifySecrets.get(name),
    },
    alerts: {
      actionGroupAppId: e.ELEVATE_ALERT_ACTION_GROUP_APP_ID.toLowerCase(),
      appRole: e.ELEVATE_ALERT_APP_ROLE,
      sharedSecrets: (e.ELEVATE_ALERT_SHARED_SECRETS ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => {
          const eq = p.indexOf('=');
          const colon = p.indexOf(':', eq);
          return { source: p.slice(0, eq), mode: p.slice(eq + 1, colon) as 'hmac' | 'url', secret: p.slice(colon + 1) };
        }),
    },
  };
}

/** The offending value, for the error line: hidden for secrets, quoted and cut short otherwise. */
function describeValue(name: string, value: string | undefined): string {
  if (value === undefined) return 'not set';
  if (SECRET_VARIABLES.has(name)) return `value hidden, ${value.length} characters`;
  const quoted = JSON.stringify(value);
  return `got ${quoted.length > 80 ? `${quoted.slice(0, 77)}..."` : quoted}`;
}

/** Checked at start, in full, so a bad URL fails before anything opens; messages never hold the password. */
function databaseConfig(url: string): PostgresDatabaseConfig {
  let settings: PostgresConnectionSettings;
  try {
    settings = parsePostgresUrl(url);
  } catch (err) {
    // parsePostgresUrl's messages already start with ELEVATE_DATABASE_URL and never quote the URL.
    throw new ConfigError((err as Error).message);
  }
  return { display: settings.display, authentication: settings.authentication, settings: () => settings };
}

function checkAzureCredential(e: Env): ClientCredentialKind {
  if (!e.AZURE_CLIENT_ID) {
    throw new ConfigError('AZURE_CLIENT_ID: required when AZURE_TENANT_ID is set (the application (client) ID of Elevate\'s app registration)');
  }
  if (!e.ELEVATE_SESSION_SECRET) {
    throw new ConfigError('ELEVATE_SESSION_SECRET: required when AZURE_TENANT_ID is set (at least 32 random characters)');
  }
  const kind: ClientCredentialKind =
    e.ELEVATE_CLIENT_CREDENTIAL ??
    (e.AZURE_FEDERATED_TOKEN_FILE ? 'workload-identity' : e.ELEVATE_MANAGED_IDENTITY_CLIENT_ID ? 'managed-identity' : 'secret');
  if (kind === 'secret' && !e.AZURE_CLIENT_SECRET) {
    throw new ConfigError(
      'AZURE_CLIENT_SECRET: required when AZURE_TENANT_ID is set and no federated credential is configured (or set AZURE_FEDERATED_TOKEN_FILE / ELEVATE_MANAGED_IDENTITY_CLIENT_ID)',
    );
  }
  if (kind === 'workload-identity' && !e.AZURE_FEDERATED_TOKEN_FILE) {
    throw new ConfigError('AZURE_FEDERATED_TOKEN_FILE: required when ELEVATE_CLIENT_CREDENTIAL=workload-identity (path to the projected service account token)');
  }
  if (kind === 'managed-identity' && !e.ELEVATE_MANAGED_IDENTITY_CLIENT_ID) {
    throw new ConfigError('ELEVATE_MANAGED_IDENTITY_CLIENT_ID: required when ELEVATE_CLIENT_CREDENTIAL=managed-identity (client id of the federated user-assigned identity)');
  }
  return kind;
}

export interface ParseOptions {
  /**
   * false: do not require Elevate's own credential (client id, secret or federation, session
   * secret) with a real tenant: `elevate requests` runs on an administrator's machine, signs in as
   * the person, and never acts as Elevate.
   */
  serviceCredential?: boolean;
}

/** The single reader of `process.env` in the codebase. */
export function loadConfig(options: ParseOptions = {}): Config {
  return parseConfig(readEnvironment(process.env), options);
}
