import { FiredAlerts } from './state/fired-alerts.ts';
import { mkdirSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createLogger, type Logger } from '../observability/logger.ts';
import { adminRouter } from './admin/admin-router.ts';
import { blobRouter } from './blob/blob-router.ts';
import { BlobAccounts } from './blob/blob-state.ts';
import { ActivityLog, type ActivityEvent } from './state/activity-events.ts';
import { armRouter } from './arm/arm-router.ts';
import { createArmThrottle } from './arm/arm-throttling.ts';
import { AsyncOperations } from './arm/async-operations.ts';
import { authorizeRouter } from './entra/authorize-endpoint.ts';
import { deviceCodeRouter, ENTRA_DEVICE_CODE_TIMING, type DeviceCodeTiming } from './entra/device-code-endpoint.ts';
import { deviceLoginRouter } from './entra/device-login-endpoint.ts';
import { discoveryRouter } from './entra/discovery.ts';
import type { EntraContext } from './entra/entra-context.ts';
import { logoutRouter } from './entra/logout-endpoint.ts';
import { tokenRouter } from './entra/token-endpoint.ts';
import { userInfoRouter } from './entra/userinfo-endpoint.ts';
import { TokenIssuer } from './entra/token-issuer.ts';
import { graphRouter } from './graph/graph-router.ts';
import { imdsRouter } from './imds/imds-router.ts';
import { SigningKeyStore } from './keys/signing-keys.ts';
import { loadSeed } from './seed/load-seed.ts';
import { buildTenantInfo, type SandboxTenantInfo } from './seed/tenant-info.ts';
import { ArmState } from './state/arm-state.ts';
import { ConditionalAccess } from './state/conditional-access.ts';
import { Directory, type RegisteredCertificate } from './state/directory.ts';
import { EntraSessions } from './state/entra-sessions.ts';
import { SandboxStats, type SandboxStatsSnapshot } from './state/sandbox-stats.ts';
import { writeCaBundle } from './tls/ca-bundle.ts';
import { ensureClientCertificate } from './tls/client-certificate.ts';
import { ensureSandboxTls } from './tls/sandbox-tls.ts';

export type { SandboxTenantInfo, SandboxUserInfo } from './seed/tenant-info.ts';
export type { SandboxStatsSnapshot } from './state/sandbox-stats.ts';
export type { ActivityEvent } from './state/activity-events.ts';

/**
 * The Azure sandbox: Entra ID (discovery, keys, authorize with a sign-in page, token with
 * authorization code + PKCE, refresh, client credentials and on-behalf-of, Conditional Access
 * policies requiring MFA with their claims challenges, none by default), an IMDS-style
 * managed-identity endpoint, and ARM (subscriptions, resource groups, resources and their
 * operations, role definitions, role and deny assignments, permissions, management groups,
 * activity log), all in memory and reached through the real Azure SDKs.
 *
 * How each SDK is pointed at it (nothing else differs from real Azure):
 *
 *   // MSAL Node (ConfidentialClientApplication): the sandbox host is a known authority, so MSAL
 *   // never asks login.microsoftonline.com for instance discovery; it reads the tenant's OpenID
 *   // configuration from the sandbox (or pass authorityMetadata to skip that call too).
 *   new ConfidentialClientApplication({ auth: {
 *     clientId, clientSecret,
 *     authority: `${handle.authorityHost}/${tenant.tenantId}`,
 *     knownAuthorities: [new URL(handle.authorityHost).host],   // e.g. 'localhost:8443'
 *   } });
 *
 *   // @azure/identity credentials
 *   new ClientSecretCredential(tenantId, clientId, secret, { authorityHost: handle.authorityHost, disableInstanceDiscovery: true });
 *   new ClientAssertionCredential(tenantId, clientId, getAssertion, { authorityHost, disableInstanceDiscovery: true });
 *   // ManagedIdentityCredential reads AZURE_POD_IDENTITY_AUTHORITY_HOST (msal-node appends
 *   // /metadata/identity/oauth2/token); set it to handle.imdsEndpoint before the first
 *   // managed-identity call in the process (msal-node caches the endpoint process-wide).
 *   process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = handle.imdsEndpoint;
 *   new ManagedIdentityCredential({ clientId: tenant.agent.uamiClientId });
 *
 *   // ARM clients
 *   new AuthorizationManagementClient(credential, subscriptionId, {
 *     endpoint: handle.armEndpoint, credentialScopes: ['https://management.azure.com/.default'] });
 *
 *   // openid-client 6 (fetch): discovery(new URL(`${handle.origin}/${tenantId}/v2.0`), clientId, clientSecret)
 *
 *   // @azure/storage-blob: the seeded storage accounts, path-style (localhost is path-style to the
 *   // SDK), with Entra bearer tokens for https://storage.azure.com/.default
 *   new ContainerClient(`${handle.blobEndpoint}/audit-checkpoints`, credential);
 *
 * TLS: the https origin uses a certificate from the sandbox's own CA; a process trusts it when
 * NODE_EXTRA_CA_CERTS names `handle.caBundlePath` (or `caCertPath`) at process start.
 */

export interface SandboxOptions {
  /** interface both servers bind; default 127.0.0.1 */
  host?: string;
  /** 0 picks a free port */
  httpsPort: number;
  httpPort: number;
  /** CA, server certificate, signing keys and generated client certificates live here */
  dataDir: string;
  /** seed file; default src/sandbox/seed/default-seed.json */
  seedFile?: string;
  logger?: Logger;
  /** page size of ARM list operations (nextLink paging); default 100 */
  armPageSize?: number;
  /** device code lifetime and polling interval; default Entra's 900 s and 5 s */
  deviceCode?: DeviceCodeTiming;
  /**
   * The extra CA file this process was started with (its NODE_EXTRA_CA_CERTS), folded into
   * `ca-bundle.pem` ahead of the sandbox CA; the system bundle is used when absent.
   */
  extraCaCertsFile?: string;
}

export interface SandboxHandle {
  /** https://localhost:<httpsPort>: Entra (discovery, JWKS, token), IMDS, ARM — all SDK traffic */
  origin: string;
  /** http://127.0.0.1:<httpPort>: only what a browser visits — authorize, sign-in page, logout */
  browserOrigin: string;
  /** = origin, the login.microsoftonline.com equivalent; authority = `${authorityHost}/${tenantId}` */
  authorityHost: string;
  /** = origin, the management.azure.com equivalent */
  armEndpoint: string;
  /** = origin, the graph.microsoft.com equivalent (only checkMemberGroups is served) */
  graphEndpoint: string;
  /** value for AZURE_POD_IDENTITY_AUTHORITY_HOST */
  imdsEndpoint: string;
  /**
   * `${origin}/<account>` of the first seeded storage account (the blob.core.windows.net
   * equivalent, path-style); its container `audit-checkpoints` has version-level immutability.
   */
  blobEndpoint: string;
  /** PEM of the sandbox CA */
  caCertPath: string;
  /** NODE_EXTRA_CA_CERTS-ready bundle: the previous extra CAs (or the system bundle) + the sandbox CA */
  caBundlePath: string;
  dataDir: string;
  tenant: SandboxTenantInfo;
  /** request counters (ARM per route kind and caller, token grants, IMDS) */
  stats(): SandboxStatsSnapshot;
  resetStats(): void;
  /** makes a new signing key current; the previous one stays in the JWKS and valid for a day */
  rotateSigningKey(): { kid: string; previousKid: string };
  /** ARM writes and actions, succeeded or refused */
  activityLog(): ActivityEvent[];
  /** The sandbox clock: PIM's time-bound role assignments start and end on it. */
  clock: { now(): Date; advance(seconds: number): Date };
  /**
   * Long-running operations (VM power actions) held InProgress, or released to complete on their
   * next poll: models an operation ARM takes its time over, to catch a caller mid-operation.
   */
  holdLongRunningOperations(held: boolean): void;
  /** PIM for Azure resources: off models a tenant without an Entra ID P2 licence. */
  setPimLicensed(licensed: boolean): void;
  /** Role assignments now in force for a principal (expired time-bound ones are gone). */
  roleAssignmentsOf(principalId: string): Array<{ id: string; scope: string; roleDefinitionId: string; description: string | null }>;
  close(): Promise<void>;
}

export const DEFAULT_CHECKPOINT_CONTAINER = 'audit-checkpoints';

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolveListen, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolveListen((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((r) => {
    if (!server.listening) return r();
    server.close(() => r());
    server.closeAllConnections();
  });
}

function browserHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function finalHandlers(app: express.Express, logger: Logger): void {
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NotFound', message: 'The sandbox does not serve this path.' } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    logger.error({ err: err instanceof Error ? { name: err.name, message: err.message } : String(err) }, 'sandbox: request failed');
    if (!res.headersSent) res.status(500).json({ error: { code: 'InternalServerError', message: 'The sandbox failed to process the request.' } });
  });
}

export async function startSandbox(options: SandboxOptions): Promise<SandboxHandle> {
  const host = options.host ?? '127.0.0.1';
  const dataDir = resolve(options.dataDir);
  const logger = (options.logger ?? createLogger('warn')).child({ component: 'sandbox' });
  const seed = loadSeed(options.seedFile);

  // Ports first, files after: a second sandbox started on the same ports (and so, usually, the
  // same data directory) fails here before it can rewrite the CA or keys the first one serves.
  // The origin, and with it every issuer, also depends on the port actually bound.
  let httpsApp: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  let browserApp: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const notReady = (_req: IncomingMessage, res: ServerResponse) => {
    res.statusCode = 503;
    res.end();
  };
  const httpsServer = createHttpsServer({}, (req, res) => (httpsApp ?? notReady)(req, res));
  const httpServer = createHttpServer((req, res) => (browserApp ?? notReady)(req, res));
  const closeServers = () => Promise.all([closeServer(httpsServer), closeServer(httpServer)]);
  let httpsPort: number;
  let httpPort: number;
  let tls: ReturnType<typeof ensureSandboxTls>;
  let caBundlePath: string;
  try {
    httpsPort = await listen(httpsServer, options.httpsPort, host);
    httpPort = await listen(httpServer, options.httpPort, host);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    tls = ensureSandboxTls(dataDir);
    httpsServer.setSecureContext({ key: tls.serverKeyPem, cert: tls.serverCertPem });
    caBundlePath = writeCaBundle(dataDir, tls.caCertPem, options.extraCaCertsFile);
  } catch (err) {
    await closeServers();
    throw err;
  }

  const origin = `https://localhost:${httpsPort}`;
  const browserOrigin = `http://${browserHost(host)}:${httpPort}`;
  let handle: SandboxHandle;
  try {
    const mount = (api: express.Express, browser: express.Express) => {
      httpsApp = api;
      browserApp = browser;
    };
    handle = buildSandbox({ seed, dataDir, origin, browserOrigin, logger, tls, caBundlePath, armPageSize: options.armPageSize ?? 100, deviceCode: options.deviceCode ?? ENTRA_DEVICE_CODE_TIMING, closeServers, mount });
  } catch (err) {
    await closeServers();
    throw err;
  }
  logger.info({ origin, browserOrigin, tenantId: handle.tenant.tenantId }, 'sandbox: started');
  return handle;
}

interface BuildInput {
  seed: ReturnType<typeof loadSeed>;
  dataDir: string;
  origin: string;
  browserOrigin: string;
  logger: Logger;
  tls: ReturnType<typeof ensureSandboxTls>;
  caBundlePath: string;
  armPageSize: number;
  deviceCode: DeviceCodeTiming;
  closeServers: () => Promise<unknown>;
  mount: (api: express.Express, browser: express.Express) => void;
}

function buildSandbox(b: BuildInput): SandboxHandle {
  const { seed, dataDir, origin, browserOrigin, logger } = b;
  const certificates = new Map<string, RegisteredCertificate>();
  for (const app of seed.applications) {
    if (app.generatedCertificate) certificates.set(app.generatedCertificate, ensureClientCertificate(dataDir, app.generatedCertificate).registered);
  }
  const directory = new Directory(seed, { origin, certificates });
  const state = new ArmState(seed, directory);
  const keys = SigningKeyStore.open(dataDir);
  const issuer = new TokenIssuer(keys, origin, seed.tokenLifetimeSeconds);
  const stats = new SandboxStats();
  const activity = new ActivityLog();
  const operations = new AsyncOperations();
  const conditionalAccess = new ConditionalAccess(seed.conditionalAccessPolicies, seed.users.filter((u) => u.mfaRegistered).map((u) => u.oid));
  const entra: EntraContext = { origin, browserOrigin, directory, keys, issuer, sessions: new EntraSessions(), conditionalAccess, stats, logger };

  // Blob Storage for the seeded storage accounts. The default container stands for one an operator
  // made with `az storage container-rm create --enable-vlw` and a 1-day time-based retention policy.
  const subscriptionIds = new Map(seed.subscriptions.map((sub) => [sub.key, sub.subscriptionId]));
  const storageAccounts = Object.fromEntries(
    seed.resourceGroups.flatMap((g) =>
      g.resources
        .filter((r) => r.type === 'Microsoft.Storage/storageAccounts')
        .map((r) => [r.name.toLowerCase(), `/subscriptions/${subscriptionIds.get(g.subscription)}/resourceGroups/${g.name}/providers/Microsoft.Storage/storageAccounts/${r.name}`]),
    ),
  );
  const blobs = new BlobAccounts(storageAccounts);
  const defaultAccount = blobs.accountNames()[0] ?? 'sandbox';
  if (blobs.hasAccount(defaultAccount)) blobs.createContainer(defaultAccount, DEFAULT_CHECKPOINT_CONTAINER, { versionLevelWorm: true, policy: { days: 1, state: 'Unlocked' } });

  const api = express();
  api.disable('x-powered-by');
  api.set('etag', false);
  // First: its paths are /<account>/..., which no other sandbox route uses.
  api.use(
    blobRouter({
      accounts: blobs,
      origin,
      tenantId: directory.tenantId,
      keys,
      issuer,
      isAllowed: (principalId, action, scope, dataAction) => state.rbac().check({ principalId, action, scope, dataAction }).allowed,
    }),
  );
  const alerts = new FiredAlerts();
  const armThrottle = createArmThrottle();
  const tenant = buildTenantInfo(seed, dataDir);
  api.use(adminRouter({ stats, keys, activity, blobs, arm: state, monitor: { alerts, directory, issuer, defaultAudience: tenant.elevateApp.apiAudience }, conditionalAccess, armThrottle }));
  api.use(discoveryRouter(entra));
  api.use(deviceCodeRouter(entra, b.deviceCode));
  api.use(tokenRouter(entra));
  api.use(userInfoRouter(entra));
  api.use(imdsRouter({ directory, issuer, stats, logger }));
  api.use(graphRouter({ directory, keys, issuer }));
  api.use(armRouter({ origin, state, directory, keys, issuer, stats, logger, pageSize: b.armPageSize, operations, activity, alerts, throttle: armThrottle }));
  finalHandlers(api, logger);

  const browser = express();
  browser.disable('x-powered-by');
  browser.set('etag', false);
  browser.use(authorizeRouter(entra));
  browser.use(deviceLoginRouter(entra));
  browser.use(logoutRouter(entra));
  finalHandlers(browser, logger);
  b.mount(api, browser);

  return {
    origin,
    browserOrigin,
    authorityHost: origin,
    armEndpoint: origin,
    graphEndpoint: origin,
    imdsEndpoint: origin,
    blobEndpoint: `${origin}/${defaultAccount}`,
    caCertPath: b.tls.caCertPath,
    caBundlePath: b.caBundlePath,
    dataDir,
    tenant,
    stats: () => stats.snapshot(),
    resetStats: () => stats.reset(),
    rotateSigningKey: () => keys.rotate(),
    activityLog: () => activity.all(),
    clock: {
      now: () => state.clock.now(),
      advance: (seconds: number) => {
        const now = state.clock.advance(seconds * 1000);
        state.syncSchedules();
        return now;
      },
    },
    holdLongRunningOperations: (held: boolean) => operations.hold(held),
    setPimLicensed: (licensed: boolean) => {
      state.pim.licensed = licensed;
    },
    roleAssignmentsOf: (principalId: string) =>
      state
        .allAssignments()
        .filter((a) => a.principalId.toLowerCase() === principalId.toLowerCase())
        .map((a) => ({ id: a.id, scope: a.scope, roleDefinitionId: a.roleDefinitionId, description: a.description })),
    close: async () => {
      operations.close();
      await b.closeServers();
      logger.info('sandbox: stopped');
    },
  };
}
