import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { envSchema, SECRET_VARIABLES } from '../../src/config/config-schema.ts';
import { ConfigError, parseConfig, readEnvironment } from '../../src/config/load-config.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const SESSION_SECRET = 'x'.repeat(40);
const real = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, ELEVATE_SESSION_SECRET: SESSION_SECRET };

function failure(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

/** A value each constrained variable must refuse. Free-form strings have none (any text is a path or name). */
const BAD_VALUES: Record<string, string[]> = {
  ELEVATE_PORT: ['abc', '-1', '65536', '80.5'],
  ELEVATE_PUBLIC_URL: ['not a url', 'ftp://elevate.example.com', 'javascript:alert(1)'],
  ELEVATE_LOG_LEVEL: ['loud', 'INFO'],
  ELEVATE_SESSION_SECRET: ['too-short'],
  ELEVATE_SESSION_IDLE_SECONDS: ['0', '-5', 'ten', '1.5'],
  ELEVATE_SESSION_ABSOLUTE_SECONDS: ['0', 'forever'],
  ELEVATE_REQUEST_TTL_SECONDS: ['-1', 'x'],
  ELEVATE_PERMISSION_CACHE_SECONDS: ['0', 'x'],
  ELEVATE_INVENTORY_REFRESH_SECONDS: ['0', 'x'],
  ELEVATE_RAISE_SWEEP_SECONDS: ['0', '-1', 'soon'],
  ELEVATE_FRESH_AUTH_SECONDS: ['0', 'x'],
  ELEVATE_AGENT_RATE_LIMIT_PER_MINUTE: ['0', '-1', '1.5', '1000001', 'lots'],
  ELEVATE_RECONCILE_INTERVAL_SECONDS: ['0', '1.5', 'x'],
  ELEVATE_EXECUTION_LEASE_SECONDS: ['0', '-30', '2.5', 'long'],
  ELEVATE_AUDIT_CHECKPOINT_EVERY: ['0', 'many'],
  ELEVATE_AUDIT_RETENTION_DAYS: ['-30', 'x'],
  ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS: ['0', '1.5', 'soon'],
  ELEVATE_AUDIT_CHECKPOINT_BLOB_URL: ['http://account.blob.core.windows.net/checkpoints', 'not a url'],
  AZURE_TENANT_ID: ['contoso.onmicrosoft.com', 'common', '72f988bf-86f1-41af-91ab-2d7cd011db4'],
  AZURE_CLIENT_ID: ['my-app', '{11111111-2222-3333-4444-555555555555}'],
  ELEVATE_CLIENT_CREDENTIAL: ['certificate'],
  ELEVATE_MANAGED_IDENTITY_CLIENT_ID: ['not-a-guid'],
  AZURE_AUTHORITY_HOST: ['http://login.microsoftonline.com', 'login.microsoftonline.com'],
  ELEVATE_ARM_ENDPOINT: ['http://management.azure.com', 'nope'],
  ELEVATE_GRAPH_ENDPOINT: ['http://graph.microsoft.com', 'graph.microsoft.com'],
  ELEVATE_SANDBOX_PORT: ['99999', 'https'],
  ELEVATE_SANDBOX_HTTP_PORT: ['-1'],
  ELEVATE_TRUST_PROXY: ['yes', 'on'],
  ELEVATE_URL: ['not a url', 'ftp://elevate.example.com'],
  ELEVATE_CLI_CLIENT_ID: ['elevate-cli', '{11111111-2222-3333-4444-555555555555}'],
  ELEVATE_NOTIFY_MAX_ATTEMPTS: ['0', '101', 'x'],
  ELEVATE_NOTIFY_RETRY_BASE_MS: ['0', '1.5'],
  ELEVATE_NOTIFY_RETRY_MAX_MS: ['-1', 'x'],
  ELEVATE_NOTIFY_TIMEOUT_MS: ['0', '120001'],
  ELEVATE_ALERT_ACTION_GROUP_APP_ID: ['azure-monitor'],
  ELEVATE_ALERT_APP_ROLE: ['Action Groups', 'role/x'],
  ELEVATE_DATABASE_URL: [
    'not a url',
    'mysql://elevate:s3cret-pw@db.example.com/elevate',
    'postgres://elevate:s3cret-pw@db.example.com/elevate?sslmode=require',
    'postgres://elevate:s3cret-pw@db.example.com/elevate?sslmode=disable',
    'postgres://elevate:s3cret-pw@db.example.com/elevate?sslmod=verify-full',
    'postgres://elevate:s3cret-pw@db.example.com/elevate?authentication=entra',
  ],
  ELEVATE_ALERT_SHARED_SECRETS: ['grafana', 'grafana=hmac:short', `Grafana=url:${'s'.repeat(40)}`, `grafana=basic:${'s'.repeat(40)}`, `a=hmac:${'s'.repeat(40)},a=url:${'t'.repeat(40)}`],
};
const FREE_FORM = [
  'ELEVATE_HOST',
  'ELEVATE_DB_PATH',
  'ELEVATE_POLICIES_DIR',
  'ELEVATE_ROLES_FILE',
  'ELEVATE_AUDIT_CHECKPOINT_KEY',
  'ELEVATE_AUDIT_ARCHIVE_DIR',
  'ELEVATE_AUDIT_CHECKPOINT_DIR',
  'AZURE_CLIENT_SECRET',
  'AZURE_FEDERATED_TOKEN_FILE',
  'ELEVATE_API_AUDIENCE',
  'ELEVATE_SANDBOX_DATA_DIR',
  'ELEVATE_SANDBOX_SEED',
];

describe('parseConfig: bad values', () => {
  it('classifies every variable in the schema (a new one must be added to this test)', () => {
    const known = new Set([...Object.keys(BAD_VALUES), ...FREE_FORM]);
    expect(Object.keys(envSchema.shape).filter((k) => !known.has(k))).toEqual([]);
  });

  for (const [name, values] of Object.entries(BAD_VALUES)) {
    for (const value of values) {
      it(`${name}=${JSON.stringify(value)} fails with one line naming ${name}`, () => {
        const message = failure({ [name]: value });
        expect(message.startsWith(`${name}: `)).toBe(true);
        expect(message).not.toContain('\n');
        if (!SECRET_VARIABLES.has(name)) expect(message).toContain(JSON.stringify(value));
      });
    }
  }

  it('never repeats a secret variable in the error', () => {
    const message = failure({ ELEVATE_SESSION_SECRET: 'hunter2-hunter2' });
    expect(message).toMatch(/^ELEVATE_SESSION_SECRET: /);
    expect(message).not.toContain('hunter2');
  });

  it('keeps a multi-line or huge value to one short line', () => {
    const message = failure({ ELEVATE_PORT: `80\n${'A'.repeat(500)}` });
    expect(message).not.toContain('\n');
    expect(message.length).toBeLessThan(200);
  });
});

describe('parseConfig: modes', () => {
  it('is sandbox mode when no tenant is configured, with defaults', () => {
    const c = parseConfig({});
    expect(c.mode).toBe('sandbox');
    expect(c.http).toEqual({ host: '127.0.0.1', port: 3000, publicUrl: undefined, trustProxy: false });
    expect(c.sandbox.httpsPort).toBe(8443);
    expect(c.azure.tenantId).toBeUndefined();
    expect(c.requests.reconcileIntervalSeconds).toBe(60);
    expect(parseConfig({ ELEVATE_RECONCILE_INTERVAL_SECONDS: '5' }).requests.reconcileIntervalSeconds).toBe(5);
    expect(c.requests.executionLeaseSeconds).toBe(30);
    expect(parseConfig({ ELEVATE_EXECUTION_LEASE_SECONDS: '4' }).requests.executionLeaseSeconds).toBe(4);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ AZURE_TENANT_ID: '', ELEVATE_PORT: '' }).mode).toBe('sandbox');
  });

  it('real mode without a client secret or federated credential names AZURE_CLIENT_SECRET', () => {
    const message = failure(real);
    expect(message).toMatch(/^AZURE_CLIENT_SECRET: required/);
    expect(message).not.toContain('\n');
  });

  it('real mode with a malformed tenant id names AZURE_TENANT_ID', () => {
    expect(failure({ ...real, AZURE_TENANT_ID: 'contoso', AZURE_CLIENT_SECRET: 's' })).toMatch(/^AZURE_TENANT_ID: expected a GUID/);
  });

  it('real mode requires the client id and a session secret', () => {
    expect(failure({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_SECRET: 's', ELEVATE_SESSION_SECRET: SESSION_SECRET })).toMatch(/^AZURE_CLIENT_ID: required/);
    expect(failure({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, AZURE_CLIENT_SECRET: 's' })).toMatch(/^ELEVATE_SESSION_SECRET: required/);
  });

  it('an explicit credential kind needs its own variable', () => {
    expect(failure({ ...real, ELEVATE_CLIENT_CREDENTIAL: 'workload-identity' })).toMatch(/^AZURE_FEDERATED_TOKEN_FILE: required/);
    expect(failure({ ...real, ELEVATE_CLIENT_CREDENTIAL: 'managed-identity' })).toMatch(/^ELEVATE_MANAGED_IDENTITY_CLIENT_ID: required/);
    expect(failure({ ...real, ELEVATE_CLIENT_CREDENTIAL: 'secret', AZURE_FEDERATED_TOKEN_FILE: '/var/run/token' })).toMatch(/^AZURE_CLIENT_SECRET: required/);
  });

  it('infers the credential kind and normalises endpoints in real mode', () => {
    const secret = parseConfig({ ...real, AZURE_CLIENT_SECRET: 's', AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us///' });
    expect(secret.mode).toBe('azure');
    expect(secret.azure.credential).toBe('secret');
    expect(secret.azure.apiAudience).toBe(`api://${CLIENT}`);
    expect(secret.azure.authorityHost).toBe('https://login.microsoftonline.us');
    expect(parseConfig({ ...real, AZURE_FEDERATED_TOKEN_FILE: '/t' }).azure.credential).toBe('workload-identity');
    expect(parseConfig({ ...real, ELEVATE_MANAGED_IDENTITY_CLIENT_ID: CLIENT }).azure.credential).toBe('managed-identity');
    expect(parseConfig({ ...real, AZURE_CLIENT_SECRET: 's', ELEVATE_API_AUDIENCE: 'api://elevate' }).azure.apiAudience).toBe('api://elevate');
  });
});

describe('parseConfig: database', () => {
  it('is the SQLite file unless ELEVATE_DATABASE_URL is set', () => {
    expect(parseConfig({}).database).toBeUndefined();
  });

  it('takes a PostgreSQL URL, checked at start, and never serialises its password', () => {
    const config = parseConfig({ ELEVATE_DATABASE_URL: 'postgres://elevate:s3cret-pw@db.example.com:5433/elevate' });
    expect(config.database).toMatchObject({ display: 'postgres://elevate@db.example.com:5433/elevate', authentication: 'password' });
    expect(config.database!.settings()).toMatchObject({ host: 'db.example.com', port: 5433, tls: 'verify-full', password: 's3cret-pw' });
    expect(JSON.stringify(config)).not.toContain('s3cret-pw');
  });

  it('takes Entra authentication (no password in the URL)', () => {
    const config = parseConfig({ ELEVATE_DATABASE_URL: 'postgres://elevate-mi@db.example.com/elevate?authentication=entra' });
    expect(config.database?.authentication).toBe('entra');
  });

  it('a refused URL names the variable and never the password', () => {
    for (const url of BAD_VALUES.ELEVATE_DATABASE_URL!) {
      const message = failure({ ELEVATE_DATABASE_URL: url });
      expect(message).toMatch(/^ELEVATE_DATABASE_URL: /);
      expect(message).not.toContain('s3cret-pw');
    }
  });
});

describe('parseConfig: notifications', () => {
  it('has delivery defaults, and keeps channel URLs and secrets behind a function (never in the serialised config)', () => {
    const config = parseConfig({ ELEVATE_NOTIFY_TEAMS_URL: 'https://contoso.example/webhook/secret-part', ELEVATE_NOTIFY_MAX_ATTEMPTS: '3' });
    expect(config.notifications).toMatchObject({ maxAttempts: 3, retryBaseMs: 2000, retryMaxMs: 900_000, timeoutMs: 10_000 });
    expect(config.notifications.secret('ELEVATE_NOTIFY_TEAMS_URL')).toBe('https://contoso.example/webhook/secret-part');
    // Only ELEVATE_NOTIFY_* channel variables, never a setting or anything else.
    expect(config.notifications.secret('ELEVATE_NOTIFY_MAX_ATTEMPTS')).toBeUndefined();
    expect(parseConfig({ AZURE_CLIENT_SECRET: 'x' }).notifications.secret('AZURE_CLIENT_SECRET')).toBeUndefined();
    expect(JSON.stringify(config)).not.toContain('secret-part');
  });

  it('refuses a retry ceiling below the base delay', () => {
    expect(() => parseConfig({ ELEVATE_NOTIFY_RETRY_BASE_MS: '5000', ELEVATE_NOTIFY_RETRY_MAX_MS: '1000' })).toThrow(/ELEVATE_NOTIFY_RETRY_MAX_MS/);
  });
});

describe('readEnvironment', () => {
  it('reads .env under the real environment, which wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-env-'));
    const file = join(dir, '.env');
    writeFileSync(file, 'ELEVATE_PORT=4000\nELEVATE_HOST=0.0.0.0\n');
    const env = readEnvironment({ ELEVATE_PORT: '5000' }, file);
    expect(env.ELEVATE_PORT).toBe('5000');
    expect(env.ELEVATE_HOST).toBe('0.0.0.0');
    expect(readEnvironment({ A: '1' }, join(dir, 'missing.env'))).toEqual({ A: '1' });
  });
});
