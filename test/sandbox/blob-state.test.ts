import { describe, expect, it } from 'vitest';
import { BlobAccounts, CONTAINER_NAME } from '../../src/sandbox/blob/blob-state.ts';

/** The sandbox Blob service's storage and immutability rules, without HTTP. */

function accounts(start = Date.parse('2026-03-01T00:00:00Z')) {
  let now = start;
  const a = new BlobAccounts({ acct: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct' }, () => new Date(now));
  return { a, advanceDays: (d: number) => void (now += d * 86_400_000) };
}

describe('sandbox blob state', () => {
  it('protects each version for the container policy\'s days, then lets it be replaced and deleted', () => {
    const { a, advanceDays } = accounts();
    const c = a.createContainer('acct', 'worm', { versionLevelWorm: true, policy: { days: 2, state: 'Locked' } });
    const first = a.put(c, 'x', Buffer.from('1'), { contentType: 'text/plain' });
    expect(first).toMatchObject({ immutabilityMode: 'locked', immutabilityUntil: new Date('2026-03-03T00:00:00Z') });
    expect(a.put(c, 'x', Buffer.from('2'), { contentType: undefined })).toBe('BlobImmutableDueToPolicy');
    expect(a.delete(c, 'x')).toBe('BlobImmutableDueToPolicy');
    advanceDays(1);
    expect(a.delete(c, 'x')).toBe('BlobImmutableDueToPolicy');
    advanceDays(1);
    const second = a.put(c, 'x', Buffer.from('2'), { contentType: undefined });
    expect(second).toMatchObject({ content: Buffer.from('2'), createdOn: new Date('2026-03-01T00:00:00Z') });
    advanceDays(3);
    expect(a.delete(c, 'x')).toBe('deleted');
    expect(a.delete(c, 'x')).toBe('BlobNotFound');
  });

  it('applies conditional headers: If-None-Match * refuses any existing blob, If-Match needs the current ETag', () => {
    const { a } = accounts();
    const c = a.createContainer('acct', 'plain', { versionLevelWorm: false });
    expect(a.put(c, 'y', Buffer.from('1'), { contentType: undefined, ifMatch: '*' })).toBe('ConditionNotMet');
    const b = a.put(c, 'y', Buffer.from('1'), { contentType: undefined, ifNoneMatch: '*' });
    if (typeof b === 'string') throw new Error(b);
    expect(b.immutabilityUntil).toBeUndefined();
    expect(a.put(c, 'y', Buffer.from('2'), { contentType: undefined, ifNoneMatch: '*' })).toBe('BlobAlreadyExists');
    expect(a.put(c, 'y', Buffer.from('2'), { contentType: undefined, ifMatch: '"0x8D0000000000000"' })).toBe('ConditionNotMet');
    const replaced = a.put(c, 'y', Buffer.from('2'), { contentType: undefined, ifMatch: b.etag });
    expect(replaced).toMatchObject({ content: Buffer.from('2') });
    expect((replaced as { etag: string }).etag).not.toBe(b.etag);
  });

  it('lists in name order by prefix, a page at a time', () => {
    const { a } = accounts();
    const c = a.createContainer('acct', 'list', { versionLevelWorm: false });
    for (const n of ['b', 'a/2', 'a/1', 'a/3', 'c']) a.put(c, n, Buffer.from(n), { contentType: undefined });
    const p1 = a.list(c, { prefix: 'a/', marker: undefined, max: 2 });
    expect(p1.blobs.map((b) => b.name)).toEqual(['a/1', 'a/2']);
    const p2 = a.list(c, { prefix: 'a/', marker: p1.nextMarker, max: 2 });
    expect(p2).toMatchObject({ blobs: [{ name: 'a/3' }], nextMarker: undefined });
  });

  it('takes only valid container names', () => {
    expect(['audit-checkpoints', 'abc', 'a1-b2'].every((n) => CONTAINER_NAME.test(n))).toBe(true);
    expect(['ab', 'Abc', '-abc', 'abc-', 'a--b', 'a'.repeat(64), 'a_b'].some((n) => CONTAINER_NAME.test(n))).toBe(false);
    const { a } = accounts();
    expect(() => a.createContainer('acct', 'Bad', { versionLevelWorm: false })).toThrow(/invalid container name/);
    expect(() => a.createContainer('nope', 'abc', { versionLevelWorm: false })).toThrow(/no storage account/);
    expect(a.containerScope('acct', 'abc')).toBe('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default/containers/abc');
  });
});
