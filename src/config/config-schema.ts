import { z } from 'zod';
import { MAX_REQUESTS_PER_MINUTE } from '../policies/rate-limits-schema.ts';

/**
 * Every setting Elevate reads, as environment variables. This is the only place that names them;
 * `loadConfig` turns them into the typed `Config` the rest of the code receives.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const port = (fallback: number) =>
  z.coerce.number({ error: 'expected a TCP port number' }).int('expected a whole number').min(0).max(65535).default(fallback);
const positiveSeconds = (fallback: number) =>
  z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number of seconds').positive('expected a positive number of seconds').default(fallback);
const positiveCount = (expected: string) =>
  z.coerce.number({ error: expected }).int(expected).positive(expected);
const httpsUrl = z.url({ protocol: /^https$/, error: 'expected an https:// URL' });
const anyUrl = z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' });
const guid = z.string().regex(GUID, 'expected a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47');
const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const envSchema = z.object({
  ELEVATE_HOST: z.string().min(1).default('127.0.0.1'),
  ELEVATE_PORT: port(3000),
  /** The URL a browser uses to reach Elevate; redirect URIs are built from it. */
  ELEVATE_PUBLIC_URL: anyUrl.optional(),
  ELEVATE_DB_PATH: z.string().min(1).default('./data/elevate.db'),
  /**
   * postgres://user[:password]@host[:port]/database[?sslmode=…&authentication=entra]: run on
   * PostgreSQL instead of the SQLite file (several instances may share it). Checked in full by
   * parsePostgresUrl (src/store/postgres-url.ts); secret, as it may carry a password.
   */
  ELEVATE_DATABASE_URL: z.string().min(1).optional(),
  ELEVATE_POLICIES_DIR: z.string().min(1).default('./policies'),
  /** Optional `az role definition list` export of the tenant's roles (built-in and custom). */
  ELEVATE_ROLES_FILE: z.string().min(1).optional(),
  ELEVATE_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Signs session cookies and CSRF tokens; at least 32 characters. Generated per start in sandbox mode. */
  ELEVATE_SESSION_SECRET: z.string().min(32, 'expected at least 32 characters').optional(),
  ELEVATE_SESSION_IDLE_SECONDS: positiveSeconds(30 * 60),
  ELEVATE_SESSION_ABSOLUTE_SECONDS: positiveSeconds(8 * 60 * 60),
  ELEVATE_REQUEST_TTL_SECONDS: positiveSeconds(60 * 60),
  ELEVATE_PERMISSION_CACHE_SECONDS: positiveSeconds(5 * 60),
  /** Executions interrupted by a stop are reconciled at start and then this often (src/operations/execution-reconciler.ts). */
  ELEVATE_RECONCILE_INTERVAL_SECONDS: positiveSeconds(60),
  /**
   * With several instances (PostgreSQL): how long an instance holds an execution it runs without
   * renewing it; another takes it over only after that (src/operations/execution-lease.ts).
   */
  ELEVATE_EXECUTION_LEASE_SECONDS: positiveSeconds(30),
  ELEVATE_INVENTORY_REFRESH_SECONDS: positiveSeconds(15 * 60),
  /** How often the level-raise sweeper ends due raises, checks they are gone and retries revokes (src/raises). */
  ELEVATE_RAISE_SWEEP_SECONDS: positiveSeconds(15),
  /** Approver sign-in for an elevation must be at most this old (`auth_time`). */
  ELEVATE_FRESH_AUTH_SECONDS: positiveSeconds(5 * 60),
  /** Calls per minute per agent on Elevate's API; replaces the default of policies/rate-limits.yaml (agents it names keep theirs). */
  ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: positiveCount('expected a positive whole number of requests per minute').max(MAX_REQUESTS_PER_MINUTE, `expected at most ${MAX_REQUESTS_PER_MINUTE} requests per minute`).optional(),
  ELEVATE_AUDIT_CHECKPOINT_KEY: z.string().min(1).optional(),
  ELEVATE_AUDIT_CHECKPOINT_EVERY: positiveCount('expected a positive whole number of audit records').default(1000),
  /** A checkpoint within this many seconds of any append: the exposure window for a cut-off tail. */
  ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS: positiveSeconds(60),
  /** A directory away from the database that receives one write-once file per checkpoint. */
  ELEVATE_AUDIT_CHECKPOINT_DIR: z.string().min(1).optional(),
  /** An immutable (version-level WORM) Blob container URL that receives one blob per checkpoint. */
  ELEVATE_AUDIT_CHECKPOINT_BLOB_URL: httpsUrl.optional(),
  ELEVATE_AUDIT_RETENTION_DAYS: positiveCount('expected a positive whole number of days').optional(),
  ELEVATE_AUDIT_ARCHIVE_DIR: z.string().min(1).default('./data/audit-archive'),

  /** Absent: sandbox mode. Present: a real Entra tenant. */
  AZURE_TENANT_ID: guid.optional(),
  AZURE_CLIENT_ID: guid.optional(),
  AZURE_CLIENT_SECRET: z.string().min(1).optional(),
  AZURE_FEDERATED_TOKEN_FILE: z.string().min(1).optional(),
  /** How Elevate authenticates as its own app registration in real mode. */
  ELEVATE_CLIENT_CREDENTIAL: z.enum(['secret', 'workload-identity', 'managed-identity']).optional(),
  /** Client id of a user-assigned identity federated to the app registration (managed-identity mode). */
  ELEVATE_MANAGED_IDENTITY_CLIENT_ID: guid.optional(),
  /** App ID URI agents request tokens for; defaults to api://{AZURE_CLIENT_ID}. */
  ELEVATE_API_AUDIENCE: z.string().min(1).optional(),
  AZURE_AUTHORITY_HOST: httpsUrl.default('https://login.microsoftonline.com'),
  ELEVATE_ARM_ENDPOINT: httpsUrl.default('https://management.azure.com'),
  /** Microsoft Graph: requester look-ups and group membership for deny assignments (sovereign clouds: https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn, ...). */
  ELEVATE_GRAPH_ENDPOINT: httpsUrl.default('https://graph.microsoft.com'),

  ELEVATE_SANDBOX_PORT: port(8443),
  ELEVATE_SANDBOX_HTTP_PORT: port(8080),
  ELEVATE_SANDBOX_DATA_DIR: z.string().min(1).default('./data/sandbox'),
  ELEVATE_SANDBOX_SEED: z.string().min(1).optional(),
  ELEVATE_TRUST_PROXY: bool.default(false),
  /** `elevate requests`: Elevate's base URL (default ELEVATE_PUBLIC_URL, else http://ELEVATE_HOST:ELEVATE_PORT). */
  ELEVATE_URL: anyUrl.optional(),
  /** `elevate requests`: client id of the public client app registration the CLI signs in with (device code flow). */
  ELEVATE_CLI_CLIENT_ID: guid.optional(),

  /** Notification delivery (src/notifications): attempts per delivery before it is dead-lettered. */
  ELEVATE_NOTIFY_MAX_ATTEMPTS: positiveCount('expected a positive whole number of attempts').max(100, 'expected at most 100 attempts').default(8),
  /** First retry delay; doubles per attempt (with jitter) up to ELEVATE_NOTIFY_RETRY_MAX_MS. */
  ELEVATE_NOTIFY_RETRY_BASE_MS: positiveCount('expected a positive whole number of milliseconds').default(2000),
  ELEVATE_NOTIFY_RETRY_MAX_MS: positiveCount('expected a positive whole number of milliseconds').default(15 * 60 * 1000),
  /** Per-attempt timeout of one delivery (HTTP request or SMTP conversation). */
  ELEVATE_NOTIFY_TIMEOUT_MS: positiveCount('expected a positive whole number of milliseconds').max(120_000, 'expected at most 120000 ms').default(10_000),

  /**
   * Alert intake (src/incidents). Azure Monitor's secure webhook: the action group's token must be
   * issued by the "Azure Monitor Action Group" first-party app (this app id) and carry this app role
   * of Elevate's registration. https://learn.microsoft.com/azure/azure-monitor/alerts/action-groups#secure-webhook
   */
  ELEVATE_ALERT_ACTION_GROUP_APP_ID: guid.default('461e8683-5575-4561-ac7f-899cc907d62a'),
  ELEVATE_ALERT_APP_ROLE: z.string().min(1).max(120).regex(/^[A-Za-z0-9_.-]+$/, 'expected an app role value such as ActionGroupsSecureWebhook').default('ActionGroupsSecureWebhook'),
  /**
   * Other monitoring tools (off by default): `name=hmac:<secret>` (HMAC-SHA256 of the body in
   * X-Elevate-Signature) or `name=url:<secret>` (the secret in the webhook URL), comma-separated;
   * each secret at least 32 characters.
   */
  ELEVATE_ALERT_SHARED_SECRETS: z
    .string()
    .max(8192)
    .refine(
      (s) => s.split(',').every((part) => /^[a-z0-9-]{1,40}=(hmac|url):[A-Za-z0-9._~+/=-]{32,512}$/.test(part.trim())),
      'expected name=hmac:<secret> or name=url:<secret> entries (lower-case names, secrets of 32+ URL-safe characters), comma-separated',
    )
    .refine((s) => {
      const names = s.split(',').map((part) => part.trim().split('=')[0]);
      return new Set(names).size === names.length;
    }, 'each source name may appear once')
    .optional(),
});

/**
 * The settings above that share the ELEVATE_NOTIFY_ prefix; every other ELEVATE_NOTIFY_* variable
 * is a channel URL or secret that policies/notifications.yaml may name (and nothing else may).
 */
export const NOTIFY_SETTINGS: ReadonlySet<string> = new Set(['ELEVATE_NOTIFY_MAX_ATTEMPTS', 'ELEVATE_NOTIFY_RETRY_BASE_MS', 'ELEVATE_NOTIFY_RETRY_MAX_MS', 'ELEVATE_NOTIFY_TIMEOUT_MS']);

export type Env = z.infer<typeof envSchema>;

/** Variables whose values are credentials: an error about them never repeats the value. */
export const SECRET_VARIABLES: ReadonlySet<string> = new Set(['AZURE_CLIENT_SECRET', 'ELEVATE_SESSION_SECRET', 'ELEVATE_ALERT_SHARED_SECRETS', 'ELEVATE_DATABASE_URL']);
