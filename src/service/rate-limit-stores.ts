/**
 * Where the rate limiters count. One instance on SQLite: in its own memory (the library's store,
 * the cheapest). Several instances on one PostgreSQL database: in the database, so a client over
 * its limit on one instance is over it on all (issue 16).
 */
import type { RateLimitStoreFactory } from '../signin/rate-limits.ts';
import { SharedRateLimitStore } from '../store/shared-rate-limit-store.ts';
import type { ServiceContext } from './service-context.ts';

export function rateLimitStoresFor(ctx: Pick<ServiceContext, 'config' | 'store'>): RateLimitStoreFactory | undefined {
  if (!ctx.config.database) return undefined;
  return (prefix) => new SharedRateLimitStore(ctx.store, { prefix });
}
