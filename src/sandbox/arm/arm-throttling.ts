/**
 * Azure Resource Manager's request throttling, as ARM applies it by default since 2024: a token
 * bucket per subscription, per security principal and per kind of operation, plus a global bucket
 * per subscription (15 times the principal's) that all principals share, and the same per-principal
 * buckets for tenant-level requests.
 * https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 * ("Regional throttling and token bucket algorithm"):
 *
 * | scope        | operations | bucket | refill per second |
 * | subscription | reads      | 250    | 25                |
 * | subscription | deletes    | 200    | 10                |
 * | subscription | writes     | 200    | 10                |
 * | tenant       | (the same)                               |
 *
 * A throttled request is not processed: ARM answers 429 with `Retry-After` (seconds) and
 * `SubscriptionRequestsThrottled` (or `TenantRequestsThrottled`), "Number of 'read' requests for
 * subscription '…' actor '…' exceeded. Please try again after 'n' seconds after additional tokens
 * are available." Allowed requests carry the tokens left in `x-ms-ratelimit-remaining-…` headers.
 * The Azure SDKs' throttling retry policy waits out Retry-After (three times by default), so a
 * short burst over the limit costs time, and a long one surfaces as a 429 RestError.
 *
 * On in the sandbox as in Azure. The limits can be lowered for one sandbox through its admin API
 * (`PUT /_sandbox/arm/throttling`) so a test can reach them with a few requests.
 */
export type ArmOperationKind = 'read' | 'write' | 'delete';

export interface BucketLimit {
  /** tokens the bucket holds when full: the burst allowed */
  size: number;
  /** tokens added per second */
  refillPerSecond: number;
}

export interface ArmThrottleLimits {
  read: BucketLimit;
  write: BucketLimit;
  delete: BucketLimit;
  /** the subscription-wide bucket shared by all principals, as a multiple of a principal's */
  globalMultiplier: number;
}

export const ARM_DEFAULT_THROTTLE_LIMITS: ArmThrottleLimits = {
  read: { size: 250, refillPerSecond: 25 },
  write: { size: 200, refillPerSecond: 10 },
  delete: { size: 200, refillPerSecond: 10 },
  globalMultiplier: 15,
};

/** What ARM reads the method as: GET and HEAD read, DELETE deletes, PUT, PATCH and POST write. */
export function operationKindOf(method: string): ArmOperationKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'read';
  return m === 'DELETE' ? 'delete' : 'write';
}

export type ThrottleDecision =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterSeconds: number; code: 'SubscriptionRequestsThrottled' | 'TenantRequestsThrottled'; message: string };

interface Bucket {
  tokens: number;
  at: number;
}

const PLURAL: Record<ArmOperationKind, string> = { read: 'reads', write: 'writes', delete: 'deletes' };

export interface ArmThrottle {
  /** Takes one token for the request, or says when the next one will be there. */
  take(request: { principalId: string; subscriptionId: string | undefined; kind: ArmOperationKind }): ThrottleDecision;
  limits(): ArmThrottleLimits;
  /** New limits, applied from the next request; every bucket starts full again. */
  setLimits(limits: ArmThrottleLimits): void;
}

/** `now` in milliseconds (a monotonic clock in the sandbox). */
export function createArmThrottle(options: { limits?: ArmThrottleLimits; now?: () => number } = {}): ArmThrottle {
  let limits = options.limits ?? ARM_DEFAULT_THROTTLE_LIMITS;
  const now = options.now ?? (() => performance.now());
  let buckets = new Map<string, Bucket>();

  /** The bucket's tokens now, refilled for the time since it was last read. */
  const level = (key: string, limit: BucketLimit, t: number): Bucket => {
    let b = buckets.get(key);
    if (!b) {
      b = { tokens: limit.size, at: t };
      buckets.set(key, b);
    } else {
      b.tokens = Math.min(limit.size, b.tokens + ((t - b.at) / 1000) * limit.refillPerSecond);
      b.at = t;
    }
    return b;
  };
  const waitSeconds = (b: Bucket, limit: BucketLimit) => Math.max(1, Math.ceil((1 - b.tokens) / limit.refillPerSecond));

  return {
    take({ principalId, subscriptionId, kind }) {
      const t = now();
      const limit = limits[kind];
      const principal = principalId.toLowerCase();
      const where = subscriptionId ? `sub:${subscriptionId.toLowerCase()}` : 'tenant';
      const own = level(`${where}|${principal}|${kind}`, limit, t);
      const globalLimit = { size: limit.size * limits.globalMultiplier, refillPerSecond: limit.refillPerSecond * limits.globalMultiplier };
      const shared = subscriptionId ? level(`${where}|*|${kind}`, globalLimit, t) : undefined;
      const code = subscriptionId ? 'SubscriptionRequestsThrottled' : 'TenantRequestsThrottled';
      const blocked = own.tokens < 1 ? { b: own, l: limit } : shared && shared.tokens < 1 ? { b: shared, l: globalLimit } : undefined;
      if (blocked) {
        const seconds = waitSeconds(blocked.b, blocked.l);
        const what = subscriptionId ? `subscription '${subscriptionId}'` : 'tenant';
        return {
          ok: false,
          retryAfterSeconds: seconds,
          code,
          message: `Number of '${kind}' requests for ${what} actor '${principalId}' exceeded. Please try again after '${seconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
        };
      }
      own.tokens -= 1;
      if (shared) shared.tokens -= 1;
      const headers: Record<string, string> = subscriptionId
        ? {
            [`x-ms-ratelimit-remaining-subscription-${PLURAL[kind]}`]: String(Math.floor(own.tokens)),
            [`x-ms-ratelimit-remaining-subscription-global-${PLURAL[kind]}`]: String(Math.floor(shared!.tokens)),
          }
        : { [`x-ms-ratelimit-remaining-tenant-${PLURAL[kind]}`]: String(Math.floor(own.tokens)) };
      return { ok: true, headers };
    },
    limits: () => limits,
    setLimits(next) {
      limits = next;
      buckets = new Map();
    },
  };
}
