import { describe, expect, it } from 'vitest';
import { approvalHref, timeLeft } from '../../src/web/pages/approval-view-models.ts';

describe('approval view models', () => {
  const now = new Date('2025-06-01T10:00:00.000Z');
  it('says how long a request has left, in words', () => {
    expect(timeLeft(undefined, now)).toBeUndefined();
    expect(timeLeft('2025-06-01T09:59:59.000Z', now)).toBe('expired');
    expect(timeLeft('2025-06-01T10:00:00.000Z', now)).toBe('expired');
    expect(timeLeft('2025-06-01T10:00:42.000Z', now)).toBe('42 s left');
    expect(timeLeft('2025-06-01T10:12:30.000Z', now)).toBe('12 min left');
    expect(timeLeft('2025-06-01T11:05:00.000Z', now)).toBe('1 h 5 min left');
    expect(timeLeft('not a date', now)).toBeUndefined();
  });

  it('builds local links only, with the id encoded', () => {
    expect(approvalHref('abc-123')).toBe('/approvals/abc-123');
    expect(approvalHref('javascript:alert(1)')).toBe('/approvals/javascript%3Aalert(1)');
    expect(approvalHref('//evil.example/x')).toBe('/approvals/%2F%2Fevil.example%2Fx');
  });
});
