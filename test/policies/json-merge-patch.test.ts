/**
 * mergeFolded against the examples of RFC 7396 Appendix A, over folded documents (Maps), and the
 * case-insensitive merge ARM's PATCH does.
 */
import { describe, expect, it } from 'vitest';
import { mergeFolded } from '../../src/policies/json-merge-patch.ts';

/** JSON -> the folded shape request-facts.ts builds (objects as Maps; names already lower-case here) */
const toMaps = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(toMaps) : typeof v === 'object' && v !== null ? new Map(Object.entries(v).map(([k, x]) => [k, toMaps(x)])) : v;
const toJson = (v: unknown): unknown => (Array.isArray(v) ? v.map(toJson) : v instanceof Map ? Object.fromEntries([...v].map(([k, x]) => [k, toJson(x)])) : v);

// https://www.rfc-editor.org/rfc/rfc7396#appendix-A
const APPENDIX_A: [unknown, unknown, unknown][] = [
  [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
  [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
  [{ a: 'b' }, { a: null }, {}],
  [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
  [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
  [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
  [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
  [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
  [['a', 'b'], ['c', 'd'], ['c', 'd']],
  [{ a: 'b' }, ['c'], ['c']],
  [{ a: 'foo' }, null, null],
  [{ a: 'foo' }, 'bar', 'bar'],
  [{ e: null }, { a: 1 }, { e: null, a: 1 }],
  [[1, 2], { a: 'b', c: null }, { a: 'b' }],
  [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
];

describe('mergeFolded', () => {
  it.each(APPENDIX_A)('RFC 7396 A: %j + %j = %j', (target, patch, result) => {
    expect(toJson(mergeFolded(toMaps(target), toMaps(patch)))).toEqual(result);
  });

  it('leaves the resource as read untouched', () => {
    const target = toMaps({ properties: { publicnetworkaccess: 'Disabled', networkacls: { iprules: [] } } });
    const before = JSON.stringify(toJson(target));
    mergeFolded(target, toMaps({ properties: { publicnetworkaccess: null, networkacls: { iprules: [{ value: '0.0.0.0/0' }] } } }));
    expect(JSON.stringify(toJson(target))).toBe(before);
  });
});
