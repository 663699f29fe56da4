/**
 * A sandbox of the level-enforcement tests' own: the default seed plus a test UAMI and resource
 * groups only these tests touch (so the shared sandbox's seeded agent keeps its roles for every
 * other test file), and exact request counters for the "one list call per group" assertion.
 * It reuses the shared run's CA (copied into its own data directory), which the worker already
 * trusts through NODE_EXTRA_CA_CERTS.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenCredential } from '@azure/core-auth';
import { createAuditLog, type AuditLog } from '../../src/audit/audit-log.ts';
import { resolveAzureEndpoints, type AzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { createServiceCredential } from '../../src/azure/service-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createLevelsRuntime, type LevelsRuntime, type LevelsRuntimeDeps } from '../../src/levels/levels-runtime.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { DEFAULT_SEED_FILE } from '../../src/sandbox/seed/load-seed.ts';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import type { Database } from '../../src/store/database.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';
import { openTestStore } from '../support/test-store.ts';

export const LV_UAMI = { name: 'levels-test-agent', clientId: '7c1f3a52-0d4e-4b8a-9f61-2e5d8c3b7a10', principalId: '4e8b2d71-6a3c-4f05-b9d2-81c7e6a5f342' };
export const SUB_PROD = 'b1995c7e-f47d-4afd-b2fc-8cf38f44e21d';
export const SUB_DATA = '1231a6da-48fb-4e33-b798-a7efaf5c2f88';
export const RG_LV_APPS = `/subscriptions/${SUB_PROD}/resourceGroups/rg-lv-apps`;
export const RG_LV_VMS = `/subscriptions/${SUB_PROD}/resourceGroups/rg-lv-vms`;
export const RG_LV_DATA = `/subscriptions/${SUB_DATA}/resourceGroups/rg-lv-data`;
export const SCALE_GROUPS = 50;
export const SCALE_RESOURCES = 20;
export const scaleGroupId = (i: number) => `/subscriptions/${SUB_PROD}/resourceGroups/rg-lv-scale-${String(i).padStart(2, '0')}`;

type Json = Record<string, unknown>;

const SCALE_TYPES = ['Microsoft.App/containerApps', 'Microsoft.Compute/virtualMachines', 'Microsoft.Storage/storageAccounts', 'Microsoft.Network/networkInterfaces', 'Microsoft.Web/sites'];

function levelsSeed(): Json {
  const seed = JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')) as Json & { managedIdentities: Json[]; resourceGroups: Json[] };
  seed.managedIdentities.push({ key: 'levels-agent', name: LV_UAMI.name, clientId: LV_UAMI.clientId, principalId: LV_UAMI.principalId, subscription: 'sre-production', resourceGroup: 'rg-platform' });
  const rg = (subscription: string, name: string, resources: Json[]) => ({ subscription, name, location: 'westeurope', resources });
  seed.resourceGroups.push(
    rg('sre-production', 'rg-lv-apps', [
      { type: 'Microsoft.App/managedEnvironments', name: 'cae-lv' },
      { type: 'Microsoft.App/containerApps', name: 'ca-lv-one' },
      { type: 'Microsoft.App/containerApps', name: 'ca-lv-two' },
    ]),
    rg('sre-production', 'rg-lv-vms', [
      { type: 'Microsoft.Compute/virtualMachines', name: 'vm-lv-01', powerState: 'running' },
      { type: 'Microsoft.KeyVault/vaults', name: 'kv-lv-01' },
    ]),
    rg('sre-data', 'rg-lv-data', [{ type: 'Microsoft.Storage/storageAccounts', name: 'stlvdata01' }]),
  );
  for (let i = 0; i < SCALE_GROUPS; i++) {
    const resources = Array.from({ length: SCALE_RESOURCES }, (_, j) => ({ type: SCALE_TYPES[j % SCALE_TYPES.length]!, name: `res-${String(i).padStart(2, '0')}-${String(j).padStart(2, '0')}` }));
    seed.resourceGroups.push(rg('sre-production', `rg-lv-scale-${String(i).padStart(2, '0')}`, resources));
  }
  return seed;
}

export interface LevelsSandbox {
  handle: SandboxHandle;
  endpoints: AzureEndpoints;
  governance: TokenCredential;
  db: Database;
  audit: AuditLog;
  runtime: LevelsRuntime;
  policies: ReturnType<typeof loadPolicies>;
  close(): Promise<void>;
}

export async function startLevelsSandbox(extra: Partial<LevelsRuntimeDeps> = {}): Promise<LevelsSandbox> {
  const shared = sandboxInfo();
  const dir = mkdtempSync(join(tmpdir(), 'elevate-levels-'));
  const dataDir = join(dir, 'sandbox');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dataDir, { recursive: true });
  for (const f of ['ca.pem', 'ca-key.pem', 'server.pem', 'server-key.pem']) copyFileSync(join(shared.dataDir, f), join(dataDir, f));
  const seedFile = join(dir, 'seed.json');
  writeFileSync(seedFile, JSON.stringify(levelsSeed()));
  const handle = await startSandbox({ httpsPort: 0, httpPort: 0, dataDir, seedFile, armPageSize: shared.armPageSize, logger: createLogger('silent') });
  const endpoints = resolveAzureEndpoints(parseConfig({}), handle);
  const governance = createServiceCredential(endpoints, { kind: 'secret', clientSecret: handle.tenant.elevateApp.clientSecret });
  const db = await openTestStore(join(dir, 'elevate.db'), 'elevate_levels');
  const audit = createAuditLog(db);
  const catalog = loadBuiltinCatalog();
  const policies = loadPolicies('policies', { hasRole: (n) => catalog.byName(n) !== undefined });
  const runtime = createLevelsRuntime({
    mode: 'sandbox',
    store: db,
    audit,
    endpoints,
    governanceCredential: governance,
    governance: { kind: 'secret', clientId: endpoints.clientId },
    policies,
    roleCatalog: catalog,
    inventoryRefreshSeconds: 900,
    ...extra,
  });
  return {
    handle,
    endpoints,
    governance,
    db,
    audit,
    runtime,
    policies,
    async close() {
      await db.close();
      await handle.close();
    },
  };
}

/** ARM requests the sandbox counted, by route kind (e.g. resources.listByResourceGroup, roleAssignments.create). */
export function armCounts(handle: SandboxHandle): Record<string, number> {
  return handle.stats().arm.byKind;
}

export function writesSeen(handle: SandboxHandle): number {
  const k = armCounts(handle);
  return (k['roleAssignments.create'] ?? 0) + (k['roleAssignments.delete'] ?? 0);
}
