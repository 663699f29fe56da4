import { describe, expect, it } from 'vitest';
import { matchesSearch, parseAuditSearch } from '../../src/audit/audit-search.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';

const at = (ts: string) => ({ ts, scope: null, subject: null, requestId: null }) as unknown as AuditEntry;

describe('search dates at the edges of the log\'s years', () => {
  it('takes "to 9999-12-31" as no upper bound, not as a bound that sorts before every entry', () => {
    const search = parseAuditSearch({ to: '9999-12-31' });
    expect(search.to).toBeUndefined();
    expect(matchesSearch(at('2026-03-01T00:00:00.000Z'), search)).toBe(true);
    expect(parseAuditSearch({ from: '2026-01-01', to: '9999-12-31' })).toEqual({ from: '2026-01-01T00:00:00.000Z' });
    // The same instant reached through a zone offset.
    expect(parseAuditSearch({ to: '9999-12-31T23:30:00-01:00' }).to).toBeUndefined();
    expect(parseAuditSearch({ to: '9999-12-31T22:00:00Z' }).to).toBe('9999-12-31T22:00:00.000Z');
  });

  it('takes a start before year 0 as no lower bound', () => {
    expect(parseAuditSearch({ from: '0000-01-01T00:30:00+01:00' }).from).toBeUndefined();
    expect(parseAuditSearch({ from: '0000-01-01' }).from).toBe('0000-01-01T00:00:00.000Z');
  });

  it('refuses, as a usage error, a range that opens past year 9999 or closes before year 0', () => {
    expect(() => parseAuditSearch({ from: '9999-12-31T23:30:00-01:00' })).toThrow(/outside the years 0000 to 9999/);
    expect(() => parseAuditSearch({ to: '0000-01-01T00:30:00+01:00' })).toThrow(/outside the years 0000 to 9999/);
  });
});
