import helmet from 'helmet';
import type { RequestHandler } from 'express';

export interface SecurityHeaderOptions {
  /** Origin of the identity provider's authorize page: the sign-in form posts and redirects go there. */
  authorizeOrigin: string;
  /** Served over https (public URL): adds HSTS and upgrade-insecure-requests. */
  https: boolean;
}

/**
 * Helmet with a strict CSP: only our own origin for scripts, styles and fetches, no inline
 * script, no framing. form-action also names the authority because a sign-in starts with a
 * form post that redirects there, and browsers apply form-action to that redirect.
 */
export function securityHeaders(options: SecurityHeaderOptions): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'", new URL(options.authorizeOrigin).origin],
        frameAncestors: ["'none'"],
        ...(options.https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: options.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    xFrameOptions: { action: 'deny' },
  });
}
