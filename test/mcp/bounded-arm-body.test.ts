import { describe, expect, it } from 'vitest';
import { boundedArmBody, MAX_MODEL_BODY_CHARS, redactSecrets } from '../../src/mcp/bounded-arm-body.ts';

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
