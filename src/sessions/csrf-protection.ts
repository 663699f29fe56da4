import { randomBytes, timingSafeEqual } from 'node:crypto';
import express from 'express';
import type { Request, RequestHandler, Response } from 'express';
import './session-data.ts';

/**
 * CSRF protection by synchronizer token: a random token kept in the server-side session and
 * echoed by every form (hidden field `_csrf`) or script (`X-CSRF-Token` header). The token
 * changes with the session id at sign-in, because the session is regenerated then.
 */

export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const parseForm = express.urlencoded({ extended: false, limit: '32kb' });

/** The session's token, created on first use. Creating one makes the session worth saving. */
export function csrfTokenFor(req: Request): string {
  if (!req.session) throw new Error('csrfTokenFor needs the session middleware');
  req.session.csrfToken ??= randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

/** Puts `csrfToken` (and the field name) in `res.locals` for templates of signed-in pages. */
export const provideCsrfToken: RequestHandler = (req, res, next) => {
  if (req.session?.user) {
    res.locals.csrfToken = csrfTokenFor(req);
    res.locals.csrfField = CSRF_FIELD;
  }
  next();
};

export type CsrfRejection = (req: Request, res: Response) => void;

/**
 * Rejects any unsafe request whose token is missing or differs from the session's. Parses a
 * urlencoded body itself when no parser ran, so it can sit in front of any form route.
 */
export function csrfProtection(onRejected: CsrfRejection): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    parseForm(req, res, (err?: unknown) => {
      if (err) return next(err);
      const expected = req.session?.csrfToken;
      const presented = presentedToken(req);
      if (!expected || !presented || !sameToken(expected, presented)) return onRejected(req, res);
      next();
    });
  };
}

function presentedToken(req: Request): string | undefined {
  const body: unknown = req.body;
  if (body && typeof body === 'object' && CSRF_FIELD in body) {
    const value = (body as Record<string, unknown>)[CSRF_FIELD];
    if (typeof value === 'string') return value;
  }
  const header = req.get(CSRF_HEADER);
  return typeof header === 'string' && header !== '' ? header : undefined;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
