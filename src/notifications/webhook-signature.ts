/**
 * The signature on generic webhook deliveries (pure): HMAC-SHA256 over `<timestamp>.<body>` with
 * the channel's shared secret, sent as `Elevate-Signature: t=<unix seconds>,v1=<hex>`. The
 * timestamp is inside what is signed, so a receiver that rejects old timestamps (5 minutes is the
 * default tolerance here) and remembers CloudEvent ids within that window refuses replays. The
 * recipe is in README "Verifying webhook signatures"; `verifySignature` is that recipe.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'elevate-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

export function signatureHeader(secret: string, body: string, now: Date): string {
  const t = Math.floor(now.getTime() / 1000);
  return `t=${t},v1=${signatureOf(secret, t, body)}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; reason: 'malformed' | 'stale' | 'mismatch' };

/** Checks a header against the raw body: the timestamp within `toleranceSeconds` of `now`, then the HMAC in constant time. */
export function verifySignature(secret: string, header: string | undefined, body: string, now: Date, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): VerifyResult {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return { ok: false, reason: 'malformed' };
  const t = Number(m[1]);
  if (Math.abs(now.getTime() / 1000 - t) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signatureOf(secret, t, body), 'hex');
  const given = Buffer.from(m[2]!, 'hex');
  return timingSafeEqual(expected, given) ? { ok: true, timestamp: t } : { ok: false, reason: 'mismatch' };
}
