import { describe, expect, it } from 'vitest';
import { boundedArmBody, isSecretAction, MAX_MODEL_BODY_CHARS, redactSecrets } from '../../src/mcp/bounded-arm-body.ts';

describe("ARM's body as the model sees it", () => {
  it('passes a small body through unchanged, without a note', () => {
    const body = { id: '/subscriptions/x/resourceGroups/rg', name: 'ca-checkout', properties: { provisioningState: 'Succeeded' } };
    expect(boundedArmBody(body)).toEqual({ body });
    expect(boundedArmBody(undefined)).toEqual({});
  });

  it('replaces values under secret-looking keys (listKeys answers, connection strings, SAS), at any depth', () => {
    const listKeys = { keys: [{ keyName: 'key1', value: 'c2VjcmV0LWtleS0x', permissions: 'FULL' }], primaryConnectionString: 'AccountKey=abc', nested: [{ properties: { sasToken: 'sv=2020&sig=xyz', clientSecret: 's3cr3t', password: 'p' } }] };
    const out = boundedArmBody(listKeys);
    const text = JSON.stringify(out);
    for (const secret of ['c2VjcmV0LWtleS0x', 'AccountKey=abc', 'sig=xyz', 's3cr3t']) expect(text).not.toContain(secret);
    expect(out.note).toMatch(/secret-looking keys were replaced/);
    // names, not values: keyName stays (it is not a secret), booleans and numbers under such keys too
    expect(redactSecrets({ keyName: 'key1', enablePurgeProtection: true, tokenLifetime: 3600 })).toEqual({ keyName: 'key1', enablePurgeProtection: true, tokenLifetime: 3600 });
  });

  it('withholds the whole answer of a secret-returning action, whatever its keys are called', () => {
    // Container Apps' listSecrets: [{ name, value }], where neither key looks secret.
    const listSecrets = { value: [{ name: 'db-password', value: 'hunter2' }] };
    const out = boundedArmBody(listSecrets, undefined, 'Microsoft.App/containerApps/listSecrets/action');
    expect(out.body).toBeUndefined();
    expect(out.bodyPreview).toBeUndefined();
    expect(JSON.stringify(out)).not.toContain('hunter2');
    expect(out.note).toMatch(/carries secrets, so it is not shown to the model/);
    for (const action of [
      'Microsoft.Storage/storageAccounts/listKeys/action',
      'Microsoft.Storage/storageAccounts/listAccountSas/action',
      'Microsoft.Storage/storageAccounts/regenerateKey/action',
      'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
      'Microsoft.Web/sites/config/list/action',
      'Microsoft.Web/sites/publishxml/action',
      'Microsoft.DocumentDB/databaseAccounts/listConnectionStrings/action',
      'Microsoft.ContainerRegistry/registries/listCredentials/action',
    ]) expect(isSecretAction(action), action).toBe(true);
    // Other actions and reads keep their (key-redacted) body.
    for (const action of ['Microsoft.App/containerApps/read', 'Microsoft.App/containerApps/revisions/restart/action', 'Microsoft.Web/sites/restart/action', 'Microsoft.Compute/virtualMachines/start/action', undefined]) {
      expect(isSecretAction(action), String(action)).toBe(false);
    }
    expect(boundedArmBody({ name: 'ca' }, undefined, 'Microsoft.App/containerApps/read')).toEqual({ body: { name: 'ca' } });
  });

  it('cuts a large body to the bound and says so', () => {
    const big = { value: Array.from({ length: 2000 }, (_, i) => ({ id: `/subscriptions/x/resourceGroups/rg/providers/p/t/r${i}`, name: `r${i}` })) };
    const out = boundedArmBody(big);
    expect(out.body).toBeUndefined();
    expect(out.bodyPreview).toHaveLength(MAX_MODEL_BODY_CHARS);
    expect(out.note).toMatch(/only the first 8000 are shown/);
  });

  it('walks a deeply nested body without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 50_000; i++) deep = { d: deep };
    expect(() => redactSecrets(deep)).not.toThrow();
  });
});
