/**
 * What `elevate agents|plan|apply|doctor` run on: the configured database and policies, and, for
 * commands that talk to ARM, Elevate's governance credential against the configured tenant or,
 * in sandbox mode, against the sandbox a running `elevate serve` started at the configured ports.
 */
import { userInfo } from 'node:os';
import type { TokenCredential } from '@azure/core-auth';
import { createAuditLog } from '../../audit/audit-log.ts';
import type { AuditActor } from '../../audit/audit-types.ts';
import { createAgentRegistry, type AgentRegistry } from '../../agents/agent-registry.ts';
import { AgentConflictError, AgentInputError, AgentNotFoundError } from '../../agents/agent-types.ts';
import { AzureSetupError, resolveAzureEndpoints, resolveServiceCredentialSource, type AzureEndpoints, type SandboxEndpointSource } from '../../azure/azure-endpoints.ts';
import { createServiceCredential } from '../../azure/service-credential.ts';
import { ConfigError, loadConfig, type Config } from '../../config/load-config.ts';
import { applySdkEnvironment } from '../../config/sdk-environment.ts';
import { createLevelsRuntime, type LevelsRuntime } from '../../levels/levels-runtime.ts';
import { DesiredRoleError } from '../../levels/desired-assignments.ts';
import { createLogger } from '../../observability/logger.ts';
import { loadPolicies } from '../../policies/load-policies.ts';
import type { Policies } from '../../policies/policies.ts';
import { PolicyError } from '../../policies/policy-error.ts';
import { RbacDataError } from '../../rbac/rbac-errors.ts';
import { loadBuiltinCatalog, loadCatalogFile, type RoleCatalog } from '../../rbac/role-catalog.ts';
import type { Database } from '../../store/database.ts';
import { openStore } from '../../store/migrations.ts';
import { openPostgresStore } from '../../store/open-store.ts';
import { CliError } from '../cli-output.ts';

/** Satisfies both the registry's and the audit log's actor shapes. */
export type CliActor = AuditActor & { kind: 'user'; id: string; name: string };

export interface CliRegistryContext {
  config: Config;
  registry: AgentRegistry;
  actor: CliActor;
  close(): Promise<void>;
}

export interface CliLevelsContext extends CliRegistryContext {
  runtime: LevelsRuntime;
}

/** The operator at the terminal, as audit entries name them. */
export function cliActor(): CliActor {
  let name = 'unknown';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (some containers): keep 'unknown'
  }
  return { kind: 'user', id: `cli:${name}`, name: `${name} (elevate CLI)` };
}

/** Known failures become one-line CliErrors; anything else is left to failAndExit. */
export function asCliError(err: unknown): never {
  if (err instanceof AgentInputError || err instanceof AgentConflictError || err instanceof PolicyError || err instanceof ConfigError) {
    throw new CliError(err.message.split('\n')[0]!);
  }
  if (err instanceof AgentNotFoundError) throw new CliError(err.message, 3);
  if (err instanceof DesiredRoleError || err instanceof RbacDataError || err instanceof AzureSetupError) throw new CliError(err.message, 1);
  throw err;
}

function loadCatalog(config: Config): RoleCatalog {
  try {
    return config.rolesFile ? loadCatalogFile(config.rolesFile) : loadBuiltinCatalog();
  } catch (err) {
    throw new CliError(`ELEVATE_ROLES_FILE: ${(err as Error).message.split('\n')[0]}`);
  }
}

function loadPoliciesOrFail(config: Config, catalog: RoleCatalog): Policies {
  try {
    return loadPolicies(config.policiesDir, { hasRole: (n) => catalog.byName(n) !== undefined });
  } catch (err) {
    if (err instanceof PolicyError) {
      const more = err.lines.length > 1 ? ` (and ${err.lines.length - 1} more)` : '';
      throw new CliError(`policies: ${err.lines[0]}${more}`);
    }
    throw err;
  }
}

/**
 * The service's store, chosen as the service chooses it (open-store.ts): PostgreSQL when
 * ELEVATE_DATABASE_URL is set, else the SQLite file. Opening the SQLite file regardless would
 * decide raises and register agents in a database the service does not read.
 */
async function openDb(config: Config): Promise<Database> {
  const database = config.database;
  if (database) {
    // With authentication=entra the CLI signs in to the database as Elevate does: with its credential.
    const credential = database.authentication === 'entra' ? await openServiceCredential(config) : undefined;
    try {
      return await openPostgresStore(database.settings(), credential ? { credential } : {});
    } catch (err) {
      throw new CliError(`ELEVATE_DATABASE_URL: cannot open ${database.display}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return await openStore(config);
  } catch (err) {
    throw new CliError(`ELEVATE_DB_PATH: cannot open ${config.dbPath}: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * Sandbox mode: makes this process trust the sandbox CA (re-executing itself once if needed).
 * Returns true when the command already ran in the re-executed child and this process must stop.
 */
export async function reexecForSandboxTrust(): Promise<boolean> {
  const config = loadConfig();
  if (config.mode !== 'sandbox') return false;
  const { prepareSandboxTrust, reexecWithCaBundle } = await import('../../service/sandbox-trust.ts');
  const trust = prepareSandboxTrust(config.sandbox.dataDir);
  if (trust.trusted) return false;
  process.exitCode = await reexecWithCaBundle(trust.bundlePath);
  return true;
}

/** The running sandbox's endpoints, rebuilt from the configured ports and seed, and checked to answer. */
export async function runningSandbox(config: Config): Promise<SandboxEndpointSource> {
  const { loadSeed } = await import('../../sandbox/seed/load-seed.ts');
  const { buildTenantInfo } = await import('../../sandbox/seed/tenant-info.ts');
  const origin = `https://localhost:${config.sandbox.httpsPort}`;
  const tenant = buildTenantInfo(loadSeed(config.sandbox.seedFile), config.sandbox.dataDir);
  const discovery = `${origin}/${tenant.tenantId}/v2.0/.well-known/openid-configuration`;
  let ok = false;
  try {
    const res = await fetch(discovery, { signal: AbortSignal.timeout(5000) });
    ok = res.ok;
  } catch {
    ok = false;
  }
  if (!ok) {
    throw new CliError(`no sandbox answers at ${origin} (ELEVATE_SANDBOX_PORT): start the service first with \`elevate serve\`, or set AZURE_TENANT_ID to use a real tenant`, 1);
  }
  return { origin, browserOrigin: `http://127.0.0.1:${config.sandbox.httpPort}`, authorityHost: origin, armEndpoint: origin, imdsEndpoint: origin, tenant };
}

/** The registry alone: list/show/set-level need no ARM. Resource-group checks refuse to run. */
export async function openRegistryContext(): Promise<CliRegistryContext> {
  const config = loadConfig();
  const db = await openDb(config);
  const tenantId = config.azure.tenantId ?? (await sandboxTenantId(config));
  const registry = createAgentRegistry({
    db,
    audit: createAuditLog(db),
    verifier: {
      verify: () => Promise.reject(new CliError('internal: this command does not verify resource groups', 1)),
    },
    tenantId,
  });
  return { config, registry, actor: cliActor(), close: () => db.close() };
}

async function sandboxTenantId(config: Config): Promise<string> {
  const { loadSeed } = await import('../../sandbox/seed/load-seed.ts');
  return loadSeed(config.sandbox.seedFile).tenant.id;
}

/** Elevate's service credential for the configured tenant, or for the running sandbox in sandbox mode. */
export async function openServiceCredential(config: Config): Promise<TokenCredential> {
  const sandbox = config.mode === 'sandbox' ? await runningSandbox(config) : undefined;
  const endpoints = resolveAzureEndpoints(config, sandbox);
  applySdkEnvironment(endpoints);
  return createServiceCredential(endpoints, resolveServiceCredentialSource(config, sandbox));
}

/** Registry plus level enforcement over ARM with Elevate's governance credential. */
export async function openLevelsContext(): Promise<CliLevelsContext> {
  const config = loadConfig();
  const sandbox = config.mode === 'sandbox' ? await runningSandbox(config) : undefined;
  const endpoints: AzureEndpoints = resolveAzureEndpoints(config, sandbox);
  applySdkEnvironment(endpoints);
  const source = resolveServiceCredentialSource(config, sandbox);
  const credential: TokenCredential = createServiceCredential(endpoints, source);
  const catalog = loadCatalog(config);
  const policies = loadPoliciesOrFail(config, catalog);
  const db = await openDb(config);
  const auditLog = createAuditLog(db);
  const runtime = createLevelsRuntime({
    mode: config.mode,
    store: db,
    audit: auditLog,
    auditReader: auditLog,
    endpoints,
    governanceCredential: credential,
    governance: {
      kind: source.kind,
      clientId: endpoints.clientId,
      ...(source.kind === 'workload-identity' ? { federatedTokenFile: source.tokenFile } : {}),
    },
    policies,
    roleCatalog: catalog,
    inventoryRefreshSeconds: config.inventoryRefreshSeconds,
    raisePendingTtlSeconds: config.requests.ttlSeconds,
    // stdout carries the command's output (JSON included); logs go to stderr, quietly.
    logger: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr),
  });
  return { config, registry: runtime.registry, runtime, actor: cliActor(), close: () => db.close() };
}
