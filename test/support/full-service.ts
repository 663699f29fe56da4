/**
 * The whole service as `elevate serve` composes it (service-routes.ts: sign-in, audit pages and
 * API, the agent API, agents, approvals), started in-process in sandbox mode with a sandbox of its
 * own. That sandbox gets a copy of the shared sandbox's CA and server certificate, so this worker
 * (which trusts the shared CA through NODE_EXTRA_CA_CERTS) trusts it too. Every log line is kept.
 * The store is a SQLite file, or a fresh PostgreSQL database with ELEVATE_TEST_STORE=postgres
 * (test-store.ts), unless `env` names one itself.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseConfig } from '../../src/config/load-config.ts';
import { startService, type RunningService } from '../../src/service/start-service.ts';
import { sandboxTlsFiles } from '../../src/sandbox/tls/sandbox-tls.ts';
import { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { signInAs } from '../signin/support/sign-in-steps.ts';
import { sandboxInfo } from './sandbox-context.ts';
import { capturedLogger } from './captured-logger.ts';
import { testStoreEnv } from './test-store.ts';

export interface FullService {
  service: RunningService;
  url: string;
  /** every JSON log line the service wrote */
  logs: string[];
  logLines(): Array<Record<string, unknown>>;
  /** A scripted browser signed in as this seeded user (admin, auditor, ...). */
  signedIn(key: string): Promise<BrowserLikeClient>;
  /** A managed-identity token of the sandbox's seeded agent, for Elevate's API. */
  agentToken(): Promise<string>;
  close(): Promise<void>;
}

export async function startFullService(env: Record<string, string> = {}, options: { clock?: () => Date } = {}): Promise<FullService> {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-full-service-'));
  const sandboxDir = join(dir, 'sandbox');
  mkdirSync(sandboxDir, { recursive: true });
  const from = sandboxTlsFiles(sandboxInfo().dataDir);
  const to = sandboxTlsFiles(sandboxDir);
  for (const k of ['caCertPath', 'caKeyPath', 'serverCertPath', 'serverKeyPath'] as const) copyFileSync(from[k], to[k]);
  const { logger, logs } = capturedLogger();
  // The redirect URI is built from the configured port, so the port must be known before start.
  const port = await freePort();
  const givenStore = env.ELEVATE_DATABASE_URL !== undefined || env.ELEVATE_DB_PATH !== undefined;
  const store = givenStore ? undefined : await testStoreEnv(join(dir, 'elevate.db'), 'elevate_service');
  const config = parseConfig({
    ELEVATE_HOST: '127.0.0.1',
    ELEVATE_PORT: String(port),
    ELEVATE_SANDBOX_PORT: '0',
    ELEVATE_SANDBOX_HTTP_PORT: '0',
    ELEVATE_SANDBOX_DATA_DIR: sandboxDir,
    ELEVATE_DB_PATH: join(dir, 'elevate.db'),
    ...store?.env,
    ELEVATE_POLICIES_DIR: resolve('policies'),
    ELEVATE_AUDIT_ARCHIVE_DIR: join(dir, 'archive'),
    ELEVATE_LOG_LEVEL: 'debug',
    ...env,
  });
  const service = await startService(config, { logger, ...(options.clock ? { clock: options.clock } : {}) }).catch(async (err: unknown) => {
    await store?.drop();
    throw err;
  });
  const sandbox = service.context.sandbox!;
  const url = service.listenUrl;
  const user = (key: string) => {
    const u = sandbox.tenant.users.find((x) => x.key === key);
    if (!u) throw new Error(`no sandbox user ${key}`);
    return u;
  };
  return {
    service,
    url,
    logs,
    logLines: () => logs.flatMap((l) => l.split('\n')).filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>),
    async signedIn(key) {
      const client = new BrowserLikeClient();
      const hop = await signInAs(client, url, user(key).oid);
      if (hop.status !== 303) throw new Error(`sign-in as ${key} answered ${hop.status}: ${hop.body.slice(0, 300)}`);
      return client;
    },
    async agentToken() {
      const resource = sandbox.tenant.elevateApp.apiAudience;
      const res = await fetch(
        `${sandbox.origin}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(resource)}&client_id=${encodeURIComponent(sandbox.tenant.agent.uamiClientId)}`,
        { headers: { Metadata: 'true' } },
      );
      if (!res.ok) throw new Error(`IMDS answered ${res.status}`);
      return ((await res.json()) as { access_token: string }).access_token;
    },
    async close() {
      await service.close();
      await store?.drop();
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolvePort(port));
    });
  });
}
