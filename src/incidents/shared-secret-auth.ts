/**
 * Alert delivery for monitoring tools other than Azure Monitor, off unless configured
 * (ELEVATE_ALERT_SHARED_SECRETS): per named source either an HMAC-SHA256 of the exact body bytes
 * (`X-Elevate-Signature: sha256=<hex>`), or a secret in the webhook URL for tools that can only
 * call a URL. Comparisons are constant-time; the secret is never logged: the URL form keeps it in
 * the path, and the request log and the audit of refusals record that segment as `[redacted]`
 * (redactedPath, src/web/redacted-url.ts).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SenderAuthResult } from './secure-webhook-auth.ts';

export interface SharedSecretSource {
  source: string;
  mode: 'hmac' | 'url';
  secret: string;
}

const sameBytes = (a: Buffer, b: Buffer) => a.length === b.length && timingSafeEqual(a, b);

export function authenticateSharedSecret(
  sources: readonly SharedSecretSource[],
  input: { source: string; signature?: unknown; urlSecret?: string | undefined; rawBody: Buffer | undefined },
): SenderAuthResult {
  const configured = sources.find((s) => s.source === input.source);
  // An unconfigured source and a wrong secret look the same to the caller.
  const refuse = (code: string): SenderAuthResult => ({ ok: false, status: 401, code, message: 'the alert source is not configured or its credential is wrong' });
  if (!configured) return refuse('unknown_source');
  const source = `shared-secret:${configured.source}`;
  if (configured.mode === 'url') {
    if (input.urlSecret === undefined) return refuse('missing_secret');
    return sameBytes(Buffer.from(input.urlSecret, 'utf8'), Buffer.from(configured.secret, 'utf8')) ? { ok: true, source, callerId: source } : refuse('wrong_secret');
  }
  if (typeof input.signature !== 'string' || input.rawBody === undefined) return refuse('missing_signature');
  const m = /^sha256=([0-9a-f]{64})$/i.exec(input.signature.trim());
  if (!m) return refuse('malformed_signature');
  const expected = createHmac('sha256', configured.secret).update(input.rawBody).digest();
  return sameBytes(Buffer.from(m[1]!.toLowerCase(), 'hex'), expected) ? { ok: true, source, callerId: source } : refuse('wrong_signature');
}
