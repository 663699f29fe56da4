import { describe, expect, it } from 'vitest';
import { loadProviderOperationIndex } from '../../src/rbac/provider-operations.ts';
import { typedActionNote } from '../../src/rbac/typed-action-note.ts';

describe('notes on an action typed by hand', () => {
  const ops = loadProviderOperationIndex();
  it('says nothing for a listed operation (any case) or a wildcard pattern', () => {
    expect(typedActionNote('Microsoft.Cache/redis/forceReboot/action', false, ops)).toBeUndefined();
    expect(typedActionNote('microsoft.compute/virtualmachines/restart/action', false, ops)).toBeUndefined();
    expect(typedActionNote('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', true, ops)).toBeUndefined();
    expect(typedActionNote('Microsoft.Compute/*', false, ops)).toBeUndefined();
  });
  it('names a misspelt action, the wrong plane, and a provider it has no list for', () => {
    expect(typedActionNote('Microsoft.Compute/virtualMachines/reboot/action', false, ops)).toMatch(/is not an action Azure lists for Microsoft\.Compute/);
    expect(typedActionNote('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', false, ops)).toBe('Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read is listed by Azure as a data action, not an action: add --data');
    expect(typedActionNote('Contoso.Widgets/widgets/read', false, ops)).toMatch(/Contoso\.Widgets is not a provider/);
  });
});
