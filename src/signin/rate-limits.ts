import type { RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import '../sessions/session-data.ts';
import { sendDenial } from './deny-response.ts';

export interface RateLimitSettings {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/**
 * Where a limiter keeps its counts: absent, in this process (the library's memory store); with
 * several instances on one database, the shared store (src/store/shared-rate-limit-store.ts), so
 * a client over its limit on one instance is over it on all. `prefix` names the limiter.
 */
export type RateLimitStoreFactory = (prefix: string) => Store;

export const SIGN_IN_RATE_LIMIT: RateLimitSettings = { limit: 30, windowMs: 60_000 };
export const DECISION_RATE_LIMIT: RateLimitSettings = { limit: 30, windowMs: 60_000 };

function limiter(settings: RateLimitSettings, keyOf: (req: Parameters<RequestHandler>[0]) => string, store: Store | undefined): RequestHandler {
  return rateLimit({
    ...(store ? { store } : {}),
    windowMs: settings.windowMs,
    limit: settings.limit,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: keyOf,
    handler: (req, res) =>
      sendDenial(req, res, {
        status: 429,
        error: 'rate_limited',
        message: 'Too many attempts. Wait a minute and try again.',
        view: 'errors/rate-limited.njk',
      }),
  });
}

/** Sign-in start and callback, per client address: slows down flow-flooding and code guessing. */
export function createSignInRateLimiter(settings: RateLimitSettings = SIGN_IN_RATE_LIMIT, storeFor?: RateLimitStoreFactory): RequestHandler {
  return limiter(settings, (req) => ipKeyGenerator(req.ip ?? 'unknown'), storeFor?.('sign-in'));
}

/**
 * Approve/deny and other decisions, per signed-in user (their object id), falling back to the
 * client address: one account cannot hammer decisions from many addresses.
 */
export function createDecisionRateLimiter(settings: RateLimitSettings = DECISION_RATE_LIMIT, storeFor?: RateLimitStoreFactory): RequestHandler {
  return limiter(settings, (req) => (req.session?.user ? `user:${req.session.user.oid}` : `ip:${ipKeyGenerator(req.ip ?? 'unknown')}`), storeFor?.('page-decisions'));
}
