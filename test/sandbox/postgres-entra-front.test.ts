/**
 * Adapter-specific (issue 16): Elevate signs in to PostgreSQL as Azure Database for PostgreSQL
 * expects of a Microsoft Entra principal, end to end through the real SDKs: @azure/identity gets a
 * token for the ossrdbms-aad resource from the sandbox's Entra, `pg` presents it as the password
 * over TLS, and the sandbox's front (src/sandbox/postgres) checks it as Azure's server does before
 * handing the connection to the run's PostgreSQL. The refusals are the real server's: no TLS, a
 * token for another resource, another principal's token, a forged signature, an expired token,
 * an unknown role.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/audit/audit-log.ts';
import { postgresTokenCheck } from '../../src/sandbox/postgres/postgres-token-check.ts';
import { startPostgresEntraFront, type PostgresEntraFront } from '../../src/sandbox/postgres/postgres-entra-front.ts';
import { OSSRDBMS_AUDIENCE } from '../../src/sandbox/state/first-party-apps.ts';
import { ensureSandboxTls } from '../../src/sandbox/tls/sandbox-tls.ts';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { runElevate, sandboxCliEnv } from '../cli/support/run-elevate.ts';
import { createTestDatabase, postgresServerUrl, type TestDatabase } from '../support/postgres-context.ts';
import { sandboxAuthority, sandboxInfo } from '../support/sandbox-context.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { freePort, sandboxServeEnv, startServeProcess } from '../support/serve-process-env.ts';
import { forgeSandboxToken, forgeWithForeignKey } from '../support/token-forge.ts';

let database: TestDatabase;
let front: PostgresEntraFront;
/** The role created for Elevate's service principal, as pgaadauth_create_principal_with_oid does. */
const role = `elevate_app_${randomBytes(4).toString('hex')}`;
/** A role created for some other principal. */
const otherRole = `someone_${randomBytes(4).toString('hex')}`;

const app = () => sandboxInfo().tenant.elevateApp;
const elevateCredential = () => new ClientSecretCredential(sandboxInfo().tenant.tenantId, app().clientId, app().clientSecret, { authorityHost: sandboxInfo().authorityHost, disableInstanceDiscovery: true });
const frontUrl = (user: string, query = 'authentication=entra&sslmode=verify-full') => `postgres://${user}@localhost:${front.port}/${database.name}?${query}`;
/** A credential that answers every request with `token` (a token for something else, or forged). */
const answering = (token: () => Promise<string>): TokenCredential => ({
  getToken: async (): Promise<AccessToken> => ({ token: await token(), expiresOnTimestamp: Date.now() + 3_600_000 }),
});

beforeAll(async () => {
  database = await createTestDatabase('elevate_entra');
  // The schema, as the database's owner would have migrated it, and an audit entry to verify.
  const owner = await openPostgresStore(parsePostgresUrl(database.url));
  try {
    await createAuditLog(owner).append({ actor: { kind: 'system', id: 'test' }, eventType: 'test.seeded', details: {} });
    await owner.exec(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'entra_principals') THEN CREATE ROLE entra_principals NOLOGIN; END IF; END $$`);
    for (const r of [role, otherRole]) {
      await owner.exec(`CREATE ROLE ${r} LOGIN IN ROLE entra_principals`);
      await owner.exec(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`);
      await owner.exec(`GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
      // As README asks of Elevate's role: CREATE on its schema (its start-up checks migrations).
      await owner.exec(`GRANT CREATE ON SCHEMA public TO ${r}`);
    }
  } finally {
    await owner.close();
  }
  const server = new URL(database.url);
  const tls = ensureSandboxTls(sandboxInfo().dataDir);
  front = await startPostgresEntraFront({
    backend: { host: server.hostname, port: Number(server.port) },
    tls: { cert: tls.serverCertPem, key: tls.serverKeyPem },
    principals: new Map([
      [role, app().servicePrincipalId.toLowerCase()],
      [otherRole, '00000000-0000-4000-8000-00000000beef'],
    ]),
    checkToken: postgresTokenCheck({ authority: sandboxAuthority(), tenantId: sandboxInfo().tenant.tenantId }),
  });
}, 60_000);

afterAll(async () => {
  await front?.close();
  if (database) {
    await database.drop();
    const { default: pg } = await import('pg');
    const admin = new pg.Client({ connectionString: postgresServerUrl() });
    await admin.connect();
    for (const r of [role, otherRole]) await admin.query(`DROP ROLE IF EXISTS ${r}`).catch(() => undefined);
    await admin.end();
  }
});

describe('Entra sign-in to PostgreSQL, as Azure Database for PostgreSQL does it', () => {
  it('signs in with a token @azure/identity fetched for the ossrdbms-aad resource, over verified TLS', async () => {
    const db = await openPostgresDatabase(frontUrl(role), { credential: elevateCredential(), poolSize: 2 });
    try {
      expect(await db.get('SELECT current_user AS who, ssl AS tls FROM pg_stat_ssl WHERE pid = pg_backend_pid()')).toMatchObject({ who: role });
      expect(await db.get('SELECT count(*)::int AS n FROM audit_log')).toEqual({ n: 1 });
    } finally {
      await db.close();
    }
    expect(front.signIns.at(-1)).toEqual({ role, database: database.name, accepted: true });
  });

  it('refuses a connection without TLS, as the server requires secure transport', async () => {
    await expect(openPostgresDatabase(frontUrl(role, 'authentication=entra&sslmode=disable'), { credential: elevateCredential() })).rejects.toThrow(/SSL connection is required/);
  });

  it('refuses a token for another resource (ARM), another principal’s token, a forged one, an expired one and an unknown role', async () => {
    const cases: Array<{ user: string; credential: TokenCredential; reason: string }> = [
      { user: role, credential: answering(async () => (await elevateCredential().getToken('https://management.azure.com/.default'))!.token), reason: 'wrong_audience' },
      { user: otherRole, credential: elevateCredential(), reason: 'not_this_principal' },
      {
        user: role,
        credential: answering(() => forgeWithForeignKey({ aud: OSSRDBMS_AUDIENCE, oid: app().servicePrincipalId, tid: sandboxInfo().tenant.tenantId, exp: Math.floor(Date.now() / 1000) + 600 }, 'unknown-kid')),
        reason: 'bad_signature',
      },
      {
        user: role,
        credential: answering(() =>
          forgeSandboxToken({ aud: OSSRDBMS_AUDIENCE, iss: `https://sts.windows.net/${sandboxInfo().tenant.tenantId}/`, oid: app().servicePrincipalId, tid: sandboxInfo().tenant.tenantId, exp: Math.floor(Date.now() / 1000) - 60 }),
        ),
        reason: 'expired',
      },
      { user: 'nobody_here', credential: elevateCredential(), reason: 'no_such_role' },
    ];
    for (const c of cases) {
      const before = front.signIns.length;
      await expect(openPostgresDatabase(frontUrl(c.user), { credential: c.credential }), c.reason).rejects.toThrow(`password authentication failed for user "${c.user}"`);
      expect(front.signIns.slice(before)).toEqual([{ role: c.user, database: database.name, accepted: false, reason: c.reason }]);
    }
  });

  it('`elevate audit verify` signs in the same way, with the service’s own credential', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'elevate-entra-cli-'));
    const env = { ...sandboxCliEnv({ env: { ELEVATE_DB_PATH: join(cwd, 'unused.db') }, drop: async () => {} }), ELEVATE_DATABASE_URL: frontUrl(role) };
    const before = front.signIns.length;
    const run = await runElevate(['audit', 'verify'], { cwd, env });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^true\s+1\s+1\s*$/m);
    expect(front.signIns.slice(before).every((s) => s.accepted && s.role === role)).toBe(true);
    expect(front.signIns.length).toBeGreaterThan(before);
    // The token is the password: it is never printed.
    expect(run.stdout + run.stderr).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });
});

describe('an Elevate instance on Azure Database for PostgreSQL with Entra sign-in', () => {
  it('`elevate serve` signs in every session it opens (pool, coordination, liveness) with its token and is ready', async () => {
    // A tenant of its own (real-tenant mode, as a deployment runs): its Entra issues the tokens, so
    // the front checks them against that tenant's keys.
    const tenant = await startPrivateSandbox();
    const own = await startPostgresEntraFront({
      backend: { host: new URL(database.url).hostname, port: Number(new URL(database.url).port) },
      tls: (({ serverCertPem, serverKeyPem }) => ({ cert: serverCertPem, key: serverKeyPem }))(ensureSandboxTls(sandboxInfo().dataDir)),
      principals: new Map([[role, tenant.tenant.elevateApp.servicePrincipalId.toLowerCase()]]),
      checkToken: postgresTokenCheck({ authority: `${tenant.authorityHost}/${tenant.tenant.tenantId}`, tenantId: tenant.tenant.tenantId }),
    });
    const port = await freePort();
    const serve = await startServeProcess({
      cwd: mkdtempSync(join(tmpdir(), 'elevate-entra-serve-')),
      env: {
        ...sandboxServeEnv(tenant, port),
        ELEVATE_DATABASE_URL: `postgres://${role}@localhost:${own.port}/${database.name}?authentication=entra&sslmode=verify-full`,
        ELEVATE_POLICIES_DIR: resolve('policies'),
      },
      url: `http://127.0.0.1:${port}`,
      readyPath: '/readyz',
      timeoutMs: 45_000,
    }).catch(async (err: unknown) => {
      await own.close();
      await tenant.close();
      throw err;
    });
    const { child } = serve;
    try {
      // Its pool and its own sessions (leases, change bus, liveness) each signed in through the front.
      expect(own.signIns.length).toBeGreaterThanOrEqual(4);
      expect(own.signIns.every((x) => x.accepted && x.role === role)).toBe(true);
      expect(serve.log()).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await own.close();
      await tenant.close();
    }
  }, 90_000);
});
