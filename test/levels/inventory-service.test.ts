import { describe, expect, it } from 'vitest';
import { createInventoryService, describeError, type ResourceLister } from '../../src/levels/inventory-service.ts';
import { RG_APPS, RG_VMS } from './level-fixtures.ts';

function lister(types: Record<string, string[]>, failing = new Set<string>()) {
  const calls: string[] = [];
  const l: ResourceLister = {
    async listResourceTypes(rg) {
      calls.push(rg.id);
      await new Promise((r) => setTimeout(r, 1));
      if (failing.has(rg.id)) throw Object.assign(new Error('Resource group could not be found.\nmore'), { code: 'ResourceGroupNotFound', statusCode: 404 });
      const t = types[rg.id] ?? [];
      return { resourceTypes: t, resourceCount: t.length };
    },
  };
  return { l, calls };
}

describe('inventory service', () => {
  it('lists each group once, dedupes types case-insensitively, and serves the cache until it is stale', async () => {
    let now = new Date('2025-01-01T00:00:00Z');
    const { l, calls } = lister({ [RG_APPS]: ['Microsoft.App/containerApps', 'microsoft.app/CONTAINERAPPS', 'Microsoft.App/managedEnvironments'] });
    const inv = createInventoryService({ lister: l, maxAgeSeconds: 60, now: () => now });
    const first = await inv.get([RG_APPS, RG_VMS]);
    expect(first.get(RG_APPS)!.resourceTypes).toEqual(['Microsoft.App/containerApps', 'Microsoft.App/managedEnvironments']);
    expect(first.get(RG_VMS)!.resourceTypes).toEqual([]);
    await inv.get([RG_APPS, RG_VMS]);
    expect(calls).toHaveLength(2);
    await inv.get([RG_APPS], { refresh: true });
    expect(calls).toHaveLength(3);
    now = new Date('2025-01-01T00:01:01Z');
    await inv.get([RG_APPS, RG_VMS]);
    expect(calls).toHaveLength(5);
    expect(inv.cached()).toHaveLength(2);
  });

  it('shares one list among concurrent callers', async () => {
    const { l, calls } = lister({});
    const inv = createInventoryService({ lister: l, maxAgeSeconds: 60 });
    await Promise.all([inv.get([RG_APPS]), inv.get([RG_APPS]), inv.get([RG_APPS])]);
    expect(calls).toEqual([RG_APPS]);
  });

  it('marks a group it cannot list with the ARM error and does not cache it', async () => {
    const { l, calls } = lister({}, new Set([RG_VMS]));
    const inv = createInventoryService({ lister: l, maxAgeSeconds: 60 });
    const r = await inv.get([RG_VMS]);
    expect(r.get(RG_VMS)!.error).toBe('ResourceGroupNotFound (HTTP 404) Resource group could not be found.');
    await inv.get([RG_VMS]);
    expect(calls).toHaveLength(2);
  });

  it('reports progress per group and refuses malformed ids before calling ARM', async () => {
    const { l, calls } = lister({});
    const inv = createInventoryService({ lister: l, maxAgeSeconds: 60, concurrency: 2 });
    const seen: number[] = [];
    await inv.get([RG_APPS, RG_VMS], { onProgress: (p) => seen.push(p.done) });
    expect(seen.sort()).toEqual([1, 2]);
    await expect(inv.get(['/subscriptions/x/resourceGroups/../../evil'])).rejects.toThrow(/malformed|GUID/);
    expect(calls).toHaveLength(2);
  });

  it('describes errors by code and first line only', () => {
    expect(describeError(Object.assign(new Error('a\nb'), { code: 'X', statusCode: 500 }))).toBe('X (HTTP 500) a');
    expect(describeError('plain')).toBe('plain');
  });
});
