import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalContent, canonicalDetails, computeEntryHash, CONTENT_COLUMNS, GENESIS_HASH, isHashHex, type AuditRowContent } from '../../src/audit/audit-hash.ts';

const row: AuditRowContent = {
  seq: 1,
  ts: '2026-03-01T12:00:00.000Z',
  actor_kind: 'agent',
  actor_id: 'agent-1',
  actor_name: null,
  event_type: 'operation.requested',
  subject: 'req-1',
  agent_id: 'agent-1',
  request_id: 'req-1',
  action: 'Microsoft.Compute/virtualMachines/restart/action',
  scope: '/subscriptions/x',
  outcome: 'allowed',
  acting_identity: 'uami',
  approver_id: null,
  details: '{"a":1,"b":"é"}',
};

describe('audit hash', () => {
  it('is SHA-256 over prev_hash and the RFC 8785 JSON of the content (pinned vector, checked with sha256sum)', () => {
    const expectedText =
      '{"acting_identity":"uami","action":"Microsoft.Compute/virtualMachines/restart/action","actor_id":"agent-1","actor_kind":"agent","actor_name":null,"agent_id":"agent-1","approver_id":null,"details":"{\\"a\\":1,\\"b\\":\\"é\\"}","event_type":"operation.requested","outcome":"allowed","request_id":"req-1","scope":"/subscriptions/x","seq":1,"subject":"req-1","ts":"2026-03-01T12:00:00.000Z"}';
    expect(canonicalContent(row)).toBe(expectedText);
    expect(computeEntryHash(GENESIS_HASH, row)).toBe('f60ae2cde01bf21b4723d79b7d5af8e94323a4dcdb5fae18e6edcd4d8191eda4');
    expect(createHash('sha256').update(GENESIS_HASH + expectedText).digest('hex')).toBe(computeEntryHash(GENESIS_HASH, row));
  });

  it('covers every content column and the previous hash', () => {
    const base = computeEntryHash(GENESIS_HASH, row);
    for (const column of CONTENT_COLUMNS) {
      const value = row[column];
      const changed = { ...row, [column]: typeof value === 'number' ? value + 1 : value === null ? 'x' : `${value}x` };
      expect(computeEntryHash(GENESIS_HASH, changed), column).not.toBe(base);
    }
    expect(computeEntryHash('1'.repeat(64), row)).not.toBe(base);
    // null and "" are different facts
    expect(computeEntryHash(GENESIS_HASH, { ...row, actor_name: '' })).not.toBe(base);
  });

  it('ignores properties that are not content columns, and key order', () => {
    const withExtras = { ...row, prev_hash: 'x', hash: 'y', other: 1 } as AuditRowContent;
    expect(computeEntryHash(GENESIS_HASH, withExtras)).toBe(computeEntryHash(GENESIS_HASH, row));
    const reversed = Object.fromEntries(Object.entries(row).reverse()) as unknown as AuditRowContent;
    expect(canonicalContent(reversed)).toBe(canonicalContent(row));
  });

  it('serialises content exactly as the RFC 8785 library does, for hostile and non-ASCII values', () => {
    const samples = ['', 'plain', 'quote " backslash \\ slash /', 'control \u0000\u0001\u001f\u007f\b\f\n\r\t', 'é ü ß 中文 😀 \u2028\u2029', '\u202eevil', '<script>&amp;</script>', '"}],"seq":0,"x":{"'];
    samples.forEach((text, i) => {
      const r: AuditRowContent = { ...row, seq: 2 ** 53 - 1 - i, actor_name: text, subject: i % 2 ? null : text, details: JSON.stringify({ text }), scope: text || null };
      expect(canonicalContent(r)).toBe(canonicalize(r));
    });
  });

  it('falls back to the library for values outside the flat shape instead of mis-serialising them', () => {
    const odd = { ...row, seq: 1.5, outcome: 7 } as unknown as AuditRowContent;
    expect(canonicalContent(odd)).toBe(canonicalize(odd));
    expect(canonicalContent({ ...row, seq: 2 ** 60 })).toBe(canonicalize({ ...row, seq: 2 ** 60 }));
  });

  it('canonicalises details per RFC 8785 and refuses what JSON cannot carry', () => {
    expect(canonicalDetails({ b: [1.0, 1e21, -0], a: 'ü\n', c: { z: null, y: false } })).toBe('{"a":"ü\\n","b":[1,1e+21,0],"c":{"y":false,"z":null}}');
    expect(() => canonicalDetails({ a: Number.NaN })).toThrow(/NaN/);
    expect(() => canonicalDetails({ a: Infinity })).toThrow(/Infinity/);
    expect(() => canonicalDetails({ a: '\uD800' })).toThrow(/surrogate/i);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalDetails(cyclic as never)).toThrow(/Circular/);
  });

  it('recognises hash hex', () => {
    expect(isHashHex(GENESIS_HASH)).toBe(true);
    expect(isHashHex('F'.repeat(64))).toBe(false);
    expect(isHashHex('0'.repeat(63))).toBe(false);
  });
});
