/**
 * Security headers for the bearer-only JSON API, set from one precomputed list. The browser
 * stack's helmet policy (security-headers.ts) is a page policy: script, style, form and image
 * sources, DNS prefetch, download options and the like govern documents a browser renders, and
 * an agent API response is never one. Helmet runs them as a dozen middleware functions on every
 * call; this sets the ones that matter for a JSON API in one loop.
 *
 * The set follows the OWASP REST Security Cheat Sheet, "Security headers"
 * (https://cheatsheetseries.owasp.org/cheatsheets/REST_Security_Cheat_Sheet.html#security-headers):
 * a CSP that allows nothing and no framing, X-Frame-Options DENY, nosniff, HSTS over https
 * (Cache-Control: no-store is set by each API response). Referrer-Policy and
 * Cross-Origin-Resource-Policy are kept as on the pages, so no API answer leaks a URL or is
 * readable cross-origin through a no-cors load.
 */
import type { RequestHandler } from 'express';

export interface JsonApiHeaderOptions {
  /** Served over https (public URL): adds HSTS. */
  https: boolean;
}

export function jsonApiHeaderList(options: JsonApiHeaderOptions): ReadonlyArray<readonly [string, string]> {
  return [
    ['Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'"],
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Resource-Policy', 'same-origin'],
    ...(options.https ? ([['Strict-Transport-Security', 'max-age=31536000; includeSubDomains']] as const) : []),
  ];
}

export function jsonApiHeaders(options: JsonApiHeaderOptions): RequestHandler {
  const headers = jsonApiHeaderList(options);
  return (_req, res, next) => {
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}
