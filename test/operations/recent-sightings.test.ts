import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecentSightings, DEFAULT_SIGHTING_SLOTS } from '../../src/operations/recent-sightings.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('recent sightings (the memos\' admission)', () => {
  it('answers false the first time a pair is seen and true while it is still recorded', () => {
    const s = createRecentSightings();
    expect(s.sight('agent-1', bytes('{"a":1}'))).toBe(false);
    expect(s.sight('agent-1', bytes('{"a":1}'))).toBe(true);
    expect(s.sight('agent-1', bytes('{"a":1}'))).toBe(true);
    // The same bytes from another agent, and other bytes from the same agent, are other pairs.
    expect(s.sight('agent-2', bytes('{"a":1}'))).toBe(false);
    expect(s.sight('agent-1', bytes('{"a":2}'))).toBe(false);
  });

  it('keeps the agent id apart from the body: no id can reach into the bytes', () => {
    const s = createRecentSightings();
    expect(s.sight('ab', bytes('c'))).toBe(false);
    expect(s.sight('a', bytes('bc'))).toBe(false);
    expect(s.sight('', bytes(''))).toBe(false); // the empty pair hashes to a mark too: never the empty slot's 0
    expect(s.sight('', bytes(''))).toBe(true);
  });

  it('sights texts on their own, apart from id and body pairs of the same characters', () => {
    const s = createRecentSightings();
    expect(s.sightText('control\u0000p\u0000a\u0000/s')).toBe(false);
    expect(s.sightText('control\u0000p\u0000a\u0000/s')).toBe(true);
    expect(s.sightText('control\u0000p\u0000a\u0000/t')).toBe(false);
    expect(s.sight('ab', bytes(''))).toBe(false); // the id is followed by a separator a text never holds
    expect(s.sightText('ab')).toBe(false);
  });

  it('holds one pair per slot: with one slot, a newer pair replaces the older, which then counts as unseen', () => {
    const s = createRecentSightings(1);
    expect(s.sight('a', bytes('1'))).toBe(false);
    expect(s.sight('a', bytes('2'))).toBe(false);
    expect(s.sight('a', bytes('1'))).toBe(false);
    expect(s.sight('a', bytes('1'))).toBe(true);
  });

  it('recognises any pair seen just before, whatever its bytes', () => {
    const s = createRecentSightings();
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 512 }), (id, body) => {
        s.sight(id, body);
        expect(s.sight(id, body)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('takes only a power of two slots, and defaults to 2^16 (256 KiB)', () => {
    expect(DEFAULT_SIGHTING_SLOTS).toBe(65_536);
    for (const bad of [0, 3, 1.5, 2 ** 31, Number.NaN]) expect(() => createRecentSightings(bad)).toThrow(RangeError);
    expect(() => createRecentSightings(1024)).not.toThrow();
  });
});
