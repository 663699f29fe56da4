/**
 * ARM calls whose action is not "resource type + verb", resolved against the real provider
 * operations list (the shipped index, generated from ../shared/azure-rbac).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCompressedJson } from '../../src/rbac/compressed-json.ts';
import {
  buildProviderOperationsFile,
  createProviderOperationIndex,
  loadProviderOperationIndex,
  parseProviderOperationsFile,
  PROVIDER_OPERATIONS_FILE,
} from '../../src/rbac/provider-operations.ts';
import { RbacDataError } from '../../src/rbac/rbac-errors.ts';
import { resolveArmOperation } from '../../src/rbac/resolve-arm-operation.ts';

const S = '/subscriptions/00000000-0000-0000-0000-000000000001';
const RG = `${S}/resourceGroups/rg1`;
const ops = loadProviderOperationIndex();
const rows = JSON.parse(readFileSync(new URL('../../../shared/azure-rbac/provider-operations.flat.json', import.meta.url), 'utf8')) as Array<{ name: string; isDataAction: boolean }>;

describe('provider operations index', () => {
  it('holds every operation of the shared list, case-insensitively, in both planes', () => {
    const shipped = decodeCompressedJson(readFileSync(PROVIDER_OPERATIONS_FILE), 'shipped');
    expect(shipped).toEqual(buildProviderOperationsFile(rows));
    for (const r of rows) expect(ops.find(r.name.toUpperCase(), r.isDataAction), r.name).toBeDefined();
    expect(ops.find('Microsoft.Cache/redis/forceReboot/action')).toBe('Microsoft.Cache/redis/forceReboot/action');
    expect(ops.find('microsoft.storage/storageaccounts/blobservices/containers/blobs/read', true)).toBeDefined();
    expect(ops.find('microsoft.storage/storageaccounts/blobservices/containers/blobs/read', false)).toBeUndefined();
    expect(ops.find('Microsoft.App/containerApps/restart/action')).toBeUndefined();
    expect(ops.hasProvider('microsoft.app')).toBe(true);
    expect(ops.hasProvider('Microsoft.Ap')).toBe(false);
  });

  it('refuses an index whose names are not sorted, or malformed', () => {
    expect(() => createProviderOperationIndex({ format: 1, control: ['b/x/read', 'a/x/read'], data: [] })).toThrow(RbacDataError);
    expect(() => createProviderOperationIndex({ format: 1, control: ['a/x/read', 'A/X/READ'], data: [] })).toThrow(/not sorted and unique/);
    expect(() => parseProviderOperationsFile({ format: 2, control: [], data: [] }, 'ops')).toThrow(/ops: format/);
    expect(() => parseProviderOperationsFile({ format: 1, control: [7], data: [] }, 'ops')).toThrow(/ops: control\.0/);
  });
});

describe('resolveArmOperation', () => {
  it.each([
    // checkNameAvailability: a read on most providers, an action on others, as each lists it
    ['POST', `${S}/providers/Microsoft.Storage/checkNameAvailability`, 'Microsoft.Storage/checknameavailability/read', 'resolved'],
    ['POST', `${S}/providers/Microsoft.Storage/locations/westeurope/checkNameAvailability`, 'Microsoft.Storage/locations/checknameavailability/read', 'resolved'],
    ['POST', `${S}/providers/Microsoft.Web/checknameavailability`, 'microsoft.web/checknameavailability/read', 'resolved'],
    ['POST', `${S}/providers/Microsoft.KeyVault/checkNameAvailability`, 'Microsoft.KeyVault/checkNameAvailability/read', 'resolved'],
    ['POST', `${S}/providers/Microsoft.ContainerRegistry/checkNameAvailability`, 'Microsoft.ContainerRegistry/checkNameAvailability/read', 'resolved'],
    ['POST', `${S}/providers/Microsoft.Cache/CheckNameAvailability`, 'Microsoft.Cache/CheckNameAvailability/action', 'listed'],
    ['POST', `${S}/providers/Microsoft.Sql/checkNameAvailability`, 'Microsoft.Sql/checkNameAvailability/action', 'listed'],
    ['POST', `${RG}/providers/Microsoft.App/managedEnvironments/env1/checkNameAvailability`, 'Microsoft.App/managedEnvironments/checkNameAvailability/action', 'listed'],
    // Resource Graph queries are POSTs that read
    ['POST', '/providers/Microsoft.ResourceGraph/resources', 'Microsoft.ResourceGraph/resources/read', 'resolved'],
    ['POST', '/providers/Microsoft.ResourceGraph/resourceChanges', 'Microsoft.ResourceGraph/resourceChanges/read', 'resolved'],
    // the Features API
    ['POST', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features/AutomaticZoneRebalancing/register`, 'Microsoft.Features/providers/features/register/action', 'listed'],
    ['POST', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features/AutomaticZoneRebalancing/unregister`, 'Microsoft.Features/providers/features/unregister/action', 'listed'],
    ['GET', `${S}/providers/Microsoft.Features/providers/Microsoft.Compute/features/AutomaticZoneRebalancing`, 'Microsoft.Features/providers/features/read', 'listed'],
    ['GET', `${S}/providers/Microsoft.Features/features`, 'Microsoft.Features/features/read', 'listed'],
    // tenants
    ['GET', '/tenants', 'Microsoft.Resources/tenants/read', 'listed'],
    // Container Apps jobs: one execution stopped is listed on the job
    ['POST', `${RG}/providers/Microsoft.App/jobs/job1/executions/job1-abc12/stop`, 'microsoft.app/jobs/stop/execution/action', 'resolved'],
    ['POST', `${RG}/providers/Microsoft.App/jobs/job1/stop`, 'Microsoft.App/jobs/stop/action', 'listed'],
    ['POST', `${RG}/providers/Microsoft.App/jobs/job1/start`, 'Microsoft.App/jobs/start/action', 'listed'],
    // the ordinary case stays as derived
    ['POST', `${RG}/providers/Microsoft.Cache/redis/cache1/forceReboot`, 'Microsoft.Cache/redis/forceReboot/action', 'listed'],
    ['POST', `${RG}/providers/Microsoft.App/containerApps/app1/revisions/rev1/restart`, 'Microsoft.App/containerApps/revisions/restart/action', 'listed'],
    ['PUT', `${RG}/providers/Microsoft.Web/sites/app1`, 'Microsoft.Web/sites/write', 'listed'],
  ])('%s %s -> %s (%s)', (method, path, action, status) => {
    const r = resolveArmOperation(method, path, ops);
    expect(r.action).toBe(action);
    expect(r.operationStatus).toBe(status);
    if (status === 'resolved') {
      expect(r.derivedAction).not.toBe(action);
      expect(r.operationNote).toBe(`Azure lists no operation ${r.derivedAction}; this call is its listed operation ${action}`);
    } else {
      expect(r.derivedAction).toBeUndefined();
      expect(r.operationNote).toBeUndefined();
    }
  });

  it('keeps the scope of the structural derivation', () => {
    expect(resolveArmOperation('POST', `${RG}/providers/Microsoft.App/jobs/job1/executions/e1/stop`, ops).scope).toBe(`${RG}/providers/Microsoft.App/jobs/job1/executions/e1`);
    expect(resolveArmOperation('POST', '/providers/Microsoft.ResourceGraph/resources', ops).scope).toBe('/');
  });

  it('flags an action Azure does not list instead of guessing', () => {
    const restart = resolveArmOperation('POST', `${RG}/providers/Microsoft.App/containerApps/app1/restart`, ops);
    expect(restart).toMatchObject({ action: 'Microsoft.App/containerApps/restart/action', operationStatus: 'unlisted' });
    expect(restart.operationNote).toBe('Microsoft.App/containerApps/restart/action is not an operation Azure lists for Microsoft.App; the action Azure checks for this call may differ');
    const provider = resolveArmOperation('GET', `${RG}/providers/Contoso.Widgets/widgets/w1`, ops);
    expect(provider).toMatchObject({ action: 'Contoso.Widgets/widgets/read', operationStatus: 'unlisted' });
    expect(provider.operationNote).toMatch(/^provider Contoso\.Widgets is not in Azure's provider operations list/);
  });

  it('only rewrites to an operation the list has: a crafted POST name does not become a read of something else', () => {
    // `{type}/{name}/read` is tried only as the same type and name; an unlisted name stays unlisted
    const r = resolveArmOperation('POST', `${RG}/providers/Microsoft.Web/sites/app1/deleteEverything`, ops);
    expect(r).toMatchObject({ action: 'Microsoft.Web/sites/deleteEverything/action', operationStatus: 'unlisted' });
    // path checks still apply before any lookup
    expect(() => resolveArmOperation('POST', `${RG}/providers/Microsoft.Web/sites/app1/..%2fx`, ops)).toThrow(/percent-encoding/);
  });
});
