import { describe, expect, it } from 'vitest';
import { approvalHref, doneNotice, isDoneKind, operationHeading, timeLeft } from '../../src/web/pages/approval-view-models.ts';

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

  it('makes the banner after an approval match what happened to the operation', () => {
    expect(doneNotice('executed', { state: 'succeeded', arm: { status: 200 } })).toMatchObject({ level: 'success' });
    const failed = doneNotice('executed', { state: 'failed', arm: { status: 404 }, error: { code: 'ResourceNotFound', message: 'gone' } });
    expect(failed.level).toBe('error');
    expect(failed.text).toContain('failed: ARM answered 404 (ResourceNotFound)');
    expect(doneNotice('executed', { state: 'failed', error: { code: 'arm_unreachable', message: 'x' } }).text).toContain('it did not reach ARM');
    expect(doneNotice('executed', { state: 'executing' }).level).toBe('info');
    expect(doneNotice('executed', { state: 'cancelled' }).level).toBe('warning');
    expect(doneNotice('recorded', { state: 'pending_consent' }).level).toBe('info');
    expect(doneNotice('denied', { state: 'denied' }).level).toBe('success');
    // Only the fixed set comes from the URL.
    for (const v of ['executed', 'recorded', 'denied']) expect(isDoneKind(v)).toBe(true);
    for (const v of ['<script>', 'constructor', '__proto__', ['executed'], undefined]) expect(isDoneKind(v)).toBe(false);
  });

  it('says "What ran" once the operation went to ARM, "What will run" while it waits', () => {
    expect(operationHeading({ state: 'pending_consent' })).toBe('What will run');
    expect(operationHeading({ state: 'approved' })).toBe('What will run');
    expect(operationHeading({ state: 'executing' })).toBe('What ran');
    expect(operationHeading({ state: 'succeeded', arm: { status: 200 } })).toBe('What ran');
    expect(operationHeading({ state: 'failed', arm: { status: 404 } })).toBe('What ran');
    expect(operationHeading({ state: 'failed' })).toBe('What was asked for (it did not run)');
    expect(operationHeading({ state: 'denied' })).toBe('What was asked for (it did not run)');
  });
});
