import { describe, expect, it } from 'vitest';
import type { Agent, OperationInput } from '../../src/operations/operation-types.ts';
import { createValidatedInputMemo, inputOf, type ValidatedInputMemo } from '../../src/operations/validated-input-memo.ts';
import { APP, makeAgent, RG_APPS, RG_VMS } from './support/operation-fixtures.ts';
import { alwaysSeen } from './support/always-seen.ts';

const agent = makeAgent();
const patch = (key = 'k-1'): OperationInput => ({
  method: 'PATCH',
  path: APP,
  apiVersion: '2024-03-01',
  body: { tags: { owner: 'sre' }, list: [1, { deep: true }] },
  query: { a: 'b' },
  justification: 'tag it',
  trigger: { kind: 'chat', ref: 'bench' },
  idempotencyKey: key,
});
const bytes = (text: string) => Buffer.from(text, 'utf8');

/** What the memo hands a caller for these bytes: a fresh copy of the remembered input, if any. */
const inputFor = (memo: ValidatedInputMemo, a: Pick<Agent, 'id' | 'resourceGroupIds'>, body: Buffer) => {
  const entry = memo.entry(a, body);
  return entry ? inputOf(entry) : undefined;
};

describe('validated input memo', () => {
  it('hands back what was remembered for the exact bytes and agent, as a copy no caller shares', () => {
    const memo = createValidatedInputMemo({ sightings: alwaysSeen });
    const input = patch();
    memo.set(agent, bytes('{"a":1}'), input);
    // The caller's own object is copied on the way in: changing it later changes nothing.
    (input.body as { tags: { owner: string } }).tags.owner = 'changed by the first caller';
    const first = inputFor(memo, agent, bytes('{"a":1}'))!;
    expect(first).toEqual(patch());
    first.trigger.ref = 'mutated';
    first.query!.a = 'mutated';
    (first.body as { list: Array<{ deep: boolean }> }).list[1]!.deep = false;
    first.idempotencyKey = 'mutated';
    expect(inputFor(memo, agent, bytes('{"a":1}'))).toEqual(patch());
  });

  it('misses on other bytes (even an equivalent JSON spelling), another agent, or changed resource groups', () => {
    const memo = createValidatedInputMemo({ sightings: alwaysSeen });
    memo.set(agent, bytes('{"a":1}'), patch());
    expect(inputFor(memo, agent, bytes('{"a": 1}'))).toBeUndefined();
    expect(inputFor(memo, agent, bytes('{"a":1} '))).toBeUndefined();
    expect(inputFor(memo, makeAgent({ id: 'agent-other' }), bytes('{"a":1}'))).toBeUndefined();
    expect(inputFor(memo, { ...agent, resourceGroupIds: [RG_VMS] }, bytes('{"a":1}'))).toBeUndefined();
    expect(inputFor(memo, { ...agent, resourceGroupIds: [RG_APPS, RG_VMS] }, bytes('{"a":1}'))).toBeDefined();
  });

  it('compares the resource groups exactly, in order, and keeps its own copy of them', () => {
    const memo = createValidatedInputMemo({ sightings: alwaysSeen });
    const groups = [RG_APPS, RG_VMS];
    memo.set({ id: 'a', resourceGroupIds: groups }, bytes('{"a":1}'), patch());
    expect(inputFor(memo, { id: 'a', resourceGroupIds: [RG_VMS, RG_APPS] }, bytes('{"a":1}'))).toBeUndefined();
    expect(inputFor(memo, { id: 'a', resourceGroupIds: [RG_APPS] }, bytes('{"a":1}'))).toBeUndefined();
    groups.pop(); // the caller's array changes after the entry was made: the entry's copy does not
    expect(inputFor(memo, { id: 'a', resourceGroupIds: groups }, bytes('{"a":1}'))).toBeUndefined();
    expect(inputFor(memo, { id: 'a', resourceGroupIds: [RG_APPS, RG_VMS] }, bytes('{"a":1}'))).toBeDefined();
    // Remembered again for the changed agent: the new groups hit, the old ones miss.
    memo.set({ id: 'a', resourceGroupIds: [RG_APPS] }, bytes('{"a":1}'), patch());
    expect(inputFor(memo, { id: 'a', resourceGroupIds: [RG_APPS] }, bytes('{"a":1}'))).toBeDefined();
    expect(inputFor(memo, { id: 'a', resourceGroupIds: [RG_APPS, RG_VMS] }, bytes('{"a":1}'))).toBeUndefined();
  });

  it('keeps the parts of the key apart: an agent id cannot reach into the body', () => {
    const memo = createValidatedInputMemo({ sightings: alwaysSeen });
    memo.set({ id: 'a', resourceGroupIds: [] }, bytes('\u0000x'), patch());
    expect(inputFor(memo, { id: 'a\u0000', resourceGroupIds: [] }, bytes('x'))).toBeUndefined();
  });

  it('holds at most maxEntries, evicting the least recently used first', () => {
    const memo = createValidatedInputMemo({ maxEntries: 3, sightings: alwaysSeen });
    for (let i = 0; i < 3; i++) memo.set(agent, bytes(`{"i":${i}}`), patch(`k-${i}`));
    expect(inputFor(memo, agent, bytes('{"i":0}'))?.idempotencyKey).toBe('k-0'); // 0 is now the most recent
    memo.set(agent, bytes('{"i":3}'), patch('k-3'));
    expect(memo.size()).toBe(3);
    expect(inputFor(memo, agent, bytes('{"i":1}'))).toBeUndefined();
    expect(inputFor(memo, agent, bytes('{"i":0}'))?.idempotencyKey).toBe('k-0');
    for (let i = 0; i < 100; i++) memo.set(agent, bytes(`{"j":${i}}`), patch());
    expect(memo.size()).toBe(3);
  });

  it('keeps what was decided in the entry, under the same bound: evicted with it, and a new set starts empty', () => {
    const memo = createValidatedInputMemo({ maxEntries: 2, sightings: alwaysSeen });
    const first = memo.set(agent, bytes('{"i":0}'), patch('k-0'))!;
    const decided = { agent, decision: {} as never, queryKey: 'q' };
    first.decided = decided;
    expect(memo.entry(agent, bytes('{"i":0}'))?.decided).toBe(decided);
    expect(inputOf(memo.entry(agent, bytes('{"i":0}'))!)).toEqual(patch('k-0'));
    expect(inputOf(first)).not.toBe(first.input); // a copy each time
    // The same bytes remembered again (validated again): nothing decided yet for the new entry.
    expect(memo.set(agent, bytes('{"i":0}'), patch('k-0'))?.decided).toBeUndefined();
    memo.entry(agent, bytes('{"i":0}'))!.decided = decided;
    memo.set(agent, bytes('{"i":1}'), patch('k-1'));
    memo.set(agent, bytes('{"i":2}'), patch('k-2'));
    expect(memo.entry(agent, bytes('{"i":0}'))).toBeUndefined();
    expect(memo.size()).toBe(2);
    expect(memo.set(agent, bytes('{"a":"too long for the bound"}'.repeat(300)), patch())).toBeUndefined();
  });

  it('does not remember bodies over the size bound', () => {
    const memo = createValidatedInputMemo({ maxBodyBytes: 8, sightings: alwaysSeen });
    memo.set(agent, bytes('{"a":"12345"}'), patch());
    expect(memo.size()).toBe(0);
    expect(inputFor(memo, agent, bytes('{"a":"12345"}'))).toBeUndefined();
  });

  it('remembers a body the second time the agent sends it, not the first', () => {
    const memo = createValidatedInputMemo();
    expect(memo.set(agent, bytes('{"a":1}'), patch())).toBeUndefined(); // first sighting
    expect(memo.entry(agent, bytes('{"a":1}'))).toBeUndefined();
    expect(memo.set(makeAgent({ id: 'another-agent' }), bytes('{"a":1}'), patch())).toBeUndefined(); // another agent's first
    const second = memo.set(agent, bytes('{"a":1}'), patch());
    expect(second).toBeDefined();
    expect(memo.entry(agent, bytes('{"a":1}'))).toBe(second);
    expect(memo.size()).toBe(1);
  });

  it('refuses bounds that are not positive whole numbers', () => {
    expect(() => createValidatedInputMemo({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => createValidatedInputMemo({ maxBodyBytes: 1.5 })).toThrow(RangeError);
  });
});
