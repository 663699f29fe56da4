import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRecentSightings, DEFAULT_SIGHTING_SLOTS, type RecentSightings } from '../../src/operations/recent-sightings.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('recent sightings (the memos\' admission)', () => {
  /** What `sight` answers for each [agent id, body] in turn. */
  const sightings = (s: RecentSightings, pairs: Array<[string, string]>) => pairs.map(([id, body]) => s.sight(id, bytes(body)));

  it('answers false the first time a pair is seen and true while it is still recorded', () => {
    const s = createRecentSightings();
    // The same bytes from another agent, and other bytes from the same agent, are other pairs.
    expect(sightings(s, [['agent-1', '{"a":1}'], ['agent-1', '{"a":1}'], ['agent-1', '{"a":1}'], ['agent-2', '{"a":1}'], ['agent-1', '{"a":2}']])).toEqual([false, true, true, false, false]);
  });

  it('keeps the agent id apart from the body: no id can reach into the bytes', () => {
    // The empty pair hashes to a mark too: never the empty slot's 0.
    expect(sightings(createRecentSightings(), [['ab', 'c'], ['a', 'bc'], ['', ''], ['', '']])).toEqual([false, false, false, true]);
  });

  it('sights texts on their own, apart from id and body pairs of the same characters', () => {
    const s = createRecentSightings();
    const question = (scope: string) => `control\u0000p\u0000a\u0000${scope}`;
    expect([s.sightText(question('/s')), s.sightText(question('/s')), s.sightText(question('/t'))]).toEqual([false, true, false]);
    // The id is followed by a separator a text never holds.
    expect([s.sight('ab', bytes('')), s.sightText('ab')]).toEqual([false, false]);
  });

  it('holds one pair per slot: with one slot, a newer pair replaces the older, which then counts as unseen', () => {
    expect(sightings(createRecentSightings(1), [['a', '1'], ['a', '2'], ['a', '1'], ['a', '1']])).toEqual([false, false, false, true]);
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
