import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuditAppendError } from '../../src/audit/audit-errors.ts';
import { prepareEntry } from '../../src/audit/audit-input.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

const base: AuditInput = { actor: { kind: 'agent', id: 'agent-1' }, eventType: 'operation.requested' };
const JWT = fakeJwt({ sub: 'agent' });

function rejected(input: unknown): string {
  try {
    prepareEntry(input as AuditInput);
  } catch (err) {
    expect(err).toBeInstanceOf(AuditAppendError);
    return (err as Error).message;
  }
  throw new Error('expected a rejection');
}

describe('prepareEntry', () => {
  it('normalises absent fields to null and details to canonical JSON', () => {
    expect(prepareEntry({ ...base, details: { z: 1, a: [true, null] } })).toEqual({
      actor_kind: 'agent',
      actor_id: 'agent-1',
      actor_name: null,
      event_type: 'operation.requested',
      subject: null,
      agent_id: null,
      request_id: null,
      action: null,
      scope: null,
      outcome: null,
      acting_identity: null,
      approver_id: null,
      details: '{"a":[true,null],"z":1}',
    });
    expect(prepareEntry(base).details).toBe('{}');
  });

  it('records hostile strings faithfully (they are evidence)', () => {
    const hostile = "'); DROP TABLE audit_log; --<script>\u202e\u0001\r\n";
    const e = prepareEntry({ ...base, subject: hostile, scope: hostile, details: { [hostile]: hostile } });
    expect(e.subject).toBe(hostile);
    expect(e.scope).toBe(hostile);
    expect(JSON.parse(e.details)).toEqual({ [hostile]: hostile });
  });

  it('records NUL in an entry column as U+FFFD, so the entry appends on PostgreSQL too, and keeps it in details', () => {
    const withNul = 'before\u0000after';
    const e = prepareEntry({
      ...base,
      actor: { kind: 'agent', id: withNul, name: withNul },
      subject: withNul,
      action: withNul,
      scope: withNul,
      details: { [withNul]: withNul },
    });
    for (const column of [e.actor_id, e.actor_name, e.subject, e.action, e.scope]) expect(column).toBe('before\uFFFDafter');
    expect(JSON.parse(e.details)).toEqual({ [withNul]: withNul });
    expect(e.details).not.toContain('\u0000');
  });

  it('redacts JWT-shaped text everywhere, so a token is never stored', () => {
    const e = prepareEntry({
      ...base,
      actor: { kind: 'user', id: 'u', name: `Bearer ${JWT}` },
      subject: JWT,
      outcome: `token ${JWT} used`,
      details: { token: JWT, nested: [{ deeper: `x ${JWT} y` }], [JWT]: 1 },
    });
    const all = JSON.stringify(e);
    expect(all).not.toContain('eyJhbGciOiJSUzI1NiJ9');
    expect(e.actor_name).toBe('Bearer [redacted-jwt]');
    expect(e.outcome).toBe('token [redacted-jwt] used');
    expect(JSON.parse(e.details)).toEqual({ token: '[redacted-jwt]', nested: [{ deeper: 'x [redacted-jwt] y' }], '[redacted-jwt]': 1 });
  });

  it('keeps a hostile __proto__ key as data without touching prototypes', () => {
    const details = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}') as Record<string, never>;
    const e = prepareEntry({ ...base, details });
    expect(JSON.parse(e.details)).toEqual(JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects malformed input with a one-line reason', () => {
    expect(rejected(null)).toMatch(/input must be an object/);
    expect(rejected({ eventType: 'a.b' })).toMatch(/actor is required/);
    expect(rejected({ ...base, actor: { kind: 'root', id: 'x' } })).toMatch(/actor.kind must be one of agent, user, service, system/);
    expect(rejected({ ...base, actor: { kind: 'agent', id: '' } })).toMatch(/actor.id must be a non-empty string/);
    expect(rejected({ ...base, actor: { kind: 'agent', id: 5 } })).toMatch(/actor.id/);
    for (const eventType of ['Operation.Requested', 'operation', 'operation..x', 'op.x;drop', '', `a.${'b'.repeat(100)}`, 7]) {
      expect(rejected({ ...base, eventType })).toMatch(/eventType must be/);
    }
    expect(rejected({ ...base, subject: 42 })).toMatch(/subject must be a string/);
    expect(rejected({ ...base, scope: 'x'.repeat(4097) })).toMatch(/scope is longer than 4096/);
    expect(rejected({ ...base, agentId: 'bad\uDC00' })).toMatch(/agentId contains a lone surrogate/);
    expect(rejected({ ...base, details: [] })).toMatch(/details must be a JSON object/);
    expect(rejected({ ...base, details: 'x' })).toMatch(/details must be a JSON object/);
    expect(rejected({ ...base, details: { when: new Date(0) } })).toMatch(/details.when is not plain JSON/);
    expect(rejected({ ...base, details: { m: new Map() } })).toMatch(/details.m is not plain JSON/);
    expect(rejected({ ...base, details: { n: Number.NaN } })).toMatch(/details.n is not a finite number/);
    expect(rejected({ ...base, details: { f: () => 1 } })).toMatch(/not plain JSON/);
    expect(rejected({ ...base, details: { b: 10n } })).toMatch(/not plain JSON/);
    expect(rejected({ ...base, details: { big: 'x'.repeat(70_000) } })).toMatch(/longer than|exceed/);
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 40; i++) deep = (deep.d = {}) as Record<string, unknown>;
    expect(rejected({ ...base, details: root })).toMatch(/nest deeper than 32/);
    for (const msg of [rejected(null), rejected({ ...base, details: { n: Infinity } })]) expect(msg).not.toContain('\n');
  });

  it('drops undefined members like JSON does, and accepts null-prototype objects', () => {
    const nullProto = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1, skip: undefined });
    expect(prepareEntry({ ...base, details: nullProto as never }).details).toBe('{"a":1}');
  });

  it('writes details as the canonicalize library does (RFC 8785), on generated JSON with any keys and strings', () => {
    const unit = fc.oneof(fc.constantFrom('grapheme', 'grapheme-composite', 'binary') as fc.Arbitrary<'grapheme' | 'grapheme-composite' | 'binary'>);
    fc.assert(
      fc.property(unit.chain((stringUnit) => fc.dictionary(fc.string({ unit: stringUnit }), fc.jsonValue({ stringUnit, maxDepth: 4 }))), (details) => {
        expect(prepareEntry({ ...base, details: details as never }).details).toBe(canonicalize(details));
      }),
      { numRuns: 300 },
    );
    // the awkward corners of RFC 8785 by hand: key order by UTF-16 code unit, escapes, numbers
    const corners = { '\u20ac': 1, '\r': 'line\u2028sep', '\ud83d\ude00': [0, -0, 1e21, 1e-7, 0.1 + 0.2, -1.5e-300], 'é': { b: null, a: false }, '': '' };
    expect(prepareEntry({ ...base, details: corners }).details).toBe(canonicalize(corners));
  });

  it('orders keys as the library does in small and large objects, in any order they were written', () => {
    // Up to 16 keys are put in order in place, more through a sort; keys given in order need neither.
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ unit: 'binary', maxLength: 6 }), { minLength: 0, maxLength: 60 }), fc.boolean(), (keys, inOrder) => {
        const written = inOrder ? [...keys].sort() : keys;
        const details = Object.fromEntries(written.map((k, i) => [k, { [k]: i, n: [i] }]));
        expect(prepareEntry({ ...base, details }).details).toBe(canonicalize(details));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the later value when two keys are the same once redacted', () => {
    const other = fakeJwt({ sub: 'other' });
    expect(prepareEntry({ ...base, details: { z: 0, [JWT]: 1, a: 2, [other]: 3 } }).details).toBe('{"[redacted-jwt]":3,"a":2,"z":0}');
  });

  it('names where in the details a rejected value sits', () => {
    expect(rejected({ ...base, details: { a: [1, { b: Number.POSITIVE_INFINITY }] } })).toMatch(/^audit entry rejected: details\.a\[1\]\.b is not a finite number$/);
    expect(rejected({ ...base, details: { a: { ['k\uD800']: 1 } } })).toMatch(/a key in details\.a contains a lone surrogate/);
    expect(rejected({ ...base, details: { list: [undefined] } })).toMatch(/details\.list\[0\] is not plain JSON \(got undefined\)/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rejected({ ...base, details: cyclic })).toMatch(/nest deeper than 32/);
  });
});
