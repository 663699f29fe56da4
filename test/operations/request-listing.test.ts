import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor, parseListQuery } from '../../src/operations/request-listing.ts';

describe('list cursors', () => {
  it('round-trip what a page hands out', () => {
    const at = { createdAt: '2026-12-07T10:00:00.000Z', id: '0b8f3c1e-1a2b-4c3d-8e9f-0123456789ab' };
    expect(decodeCursor(encodeCursor(at))).toEqual(at);
  });

  it('refuse, as a 400 field error, a crafted cursor whose id is not an id (NUL, separators, too long)', () => {
    for (const id of ['a\u0000b', 'a/b', "a' OR 1=1", 'x'.repeat(65), '']) {
      const cursor = encodeCursor({ createdAt: '2026-12-07T10:00:00.000Z', id });
      expect(decodeCursor(cursor), JSON.stringify(id)).toBeUndefined();
      const parsed = parseListQuery({ cursor });
      expect(!parsed.ok && parsed.error.fields?.map((f) => f.path), JSON.stringify(id)).toEqual(['cursor']);
    }
  });
});
