import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from '../../src/notifications/webhook-signature.ts';

const secret = 'whsec-test-0123456789abcdef';
const body = '{"specversion":"1.0","id":"1"}';
const now = new Date('2026-12-04T12:00:00Z');

describe('webhook signature', () => {
  it('is HMAC-SHA256 over "<timestamp>.<body>", as the README recipe computes it', () => {
    const header = signatureHeader(secret, body, now);
    const t = Math.floor(now.getTime() / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
    expect(verifySignature(secret, header, body, now)).toEqual({ ok: true, timestamp: t });
  });

  it('refuses a changed body, a wrong secret, a malformed header', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, header, body.replace('1', '2'), now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature('other', header, body, now)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySignature(secret, 'v1=abc', body, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifySignature(secret, undefined, body, now)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('refuses a replay outside the tolerance (the timestamp is signed, so it cannot be refreshed)', () => {
    const header = signatureHeader(secret, body, now);
    expect(verifySignature(secret, header, body, new Date(now.getTime() + 301_000))).toEqual({ ok: false, reason: 'stale' });
    const t = Math.floor(now.getTime() / 1000);
    const refreshed = header.replace(`t=${t}`, `t=${t + 301}`);
    expect(verifySignature(secret, refreshed, body, new Date(now.getTime() + 301_000))).toEqual({ ok: false, reason: 'mismatch' });
  });
});
