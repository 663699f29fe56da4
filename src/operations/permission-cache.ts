/**
 * What the agent's UAMI may do, answered from memory. Entries hold the authorization state ARM
 * reported for one principal in one subscription (its role assignments, the groups they reach it
 * through, deny assignments, role definitions) with an evaluator built over it.
 *
 * - Entries live `ttlMs`; past 80% of it a read triggers a background refresh and is answered
 *   from the current entry, so steady traffic never waits on ARM. Past `ttlMs` the read waits
 *   for fresh state and fails (closed) if ARM cannot be read.
 * - Loads are single-flight per key: concurrent misses share one set of ARM reads.
 * - `invalidate(principalId)` drops a principal's entries (after its roles change, or when ARM
 *   contradicted us with AuthorizationFailed); a load already in flight then does not repopulate.
 */
import type { AuthorizationState, CheckRequest, Decision } from '../rbac/rbac-types.ts';
import { subscriptionOfPath } from './arm-path-rules.ts';
import { createRecentSightings, type RecentSightings } from './recent-sightings.ts';

export interface PermissionSource {
  /** Reads the principal's authorization state for one subscription from ARM. */
  load(principalId: string, subscriptionId: string): Promise<AuthorizationState>;
}

export interface PermissionEvaluator {
  check(request: CheckRequest): Decision;
}

export interface PermissionCacheOptions {
  source: PermissionSource;
  /** createEvaluator from the RBAC foundation */
  makeEvaluator(state: AuthorizationState): PermissionEvaluator;
  ttlMs: number;
  now?: () => number;
  /** Told when a background refresh fails (the entry keeps serving until it expires). */
  onRefreshError?: (err: unknown, principalId: string, subscriptionId: string) => void;
  /** Which questions were asked recently: an answer is remembered from the second time (default: a table of its own). */
  sightings?: Pick<RecentSightings, 'sightText'>;
}

export interface PermissionCacheStats {
  hits: number;
  misses: number;
  loads: number;
  loadFailures: number;
}

export interface PermissionCache {
  check(principalId: string, action: string, scope: string, dataAction?: boolean): Promise<Decision>;
  invalidate(principalId: string): void;
  stats(): PermissionCacheStats;
}

export class PermissionStateUnavailableError extends Error {
  override name = 'PermissionStateUnavailableError';
  constructor(
    message: string,
    /** ARM throttled the read (429): the seconds its Retry-After asked for, passed on to the agent. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/**
 * The Retry-After of a 429 from ARM, as the Azure SDK's RestError carries it once its own retries
 * gave up. https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 */
function throttledFor(err: unknown): number | undefined {
  const e = err as { statusCode?: unknown; response?: { headers?: { get?(name: string): string | undefined } } } | null;
  if (e?.statusCode !== 429) return undefined;
  const seconds = Number(e.response?.headers?.get?.('retry-after'));
  return Number.isSafeInteger(seconds) && seconds >= 1 && seconds <= 3600 ? seconds : 1;
}

interface Entry {
  evaluator: PermissionEvaluator;
  loadedAt: number;
  /**
   * The evaluator's answers over this entry's state, by action and scope: an agent polling the
   * same question gets the same answer without evaluating again. They live and die with the
   * entry (a refresh or `invalidate` replaces it), so they are never staler than the state they
   * were computed from; at most ANSWERS_PER_ENTRY, the oldest forgotten first. A question is
   * remembered the second time it is asked recently (recent-sightings.ts), not the first: most
   * distinct queries ask theirs once.
   */
  answers: Map<string, Decision>;
}

/** Answers remembered per entry (principal and subscription). */
export const ANSWERS_PER_ENTRY = 1000;

const REFRESH_AHEAD = 0.8;

export function createPermissionCache(options: PermissionCacheOptions): PermissionCache {
  const now = options.now ?? (() => Date.now());
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<Entry>>();
  /** Bumped by invalidate; a load started under an older generation is not stored. */
  const generations = new Map<string, number>();
  const stats: PermissionCacheStats = { hits: 0, misses: 0, loads: 0, loadFailures: 0 };
  const sightings = options.sightings ?? createRecentSightings();

  const keyOf = (principalId: string, subscriptionId: string) => `${principalId.toLowerCase()}|${subscriptionId.toLowerCase()}`;
  const generationOf = (principalId: string) => generations.get(principalId.toLowerCase()) ?? 0;

  function load(principalId: string, subscriptionId: string): Promise<Entry> {
    const key = keyOf(principalId, subscriptionId);
    const running = inflight.get(key);
    if (running) return running;
    const generation = generationOf(principalId);
    stats.loads += 1;
    const promise = options.source
      .load(principalId, subscriptionId)
      .then((state) => {
        const entry: Entry = { evaluator: options.makeEvaluator(state), loadedAt: now(), answers: new Map() };
        if (generationOf(principalId) === generation) entries.set(key, entry);
        return entry;
      })
      .catch((err: unknown) => {
        stats.loadFailures += 1;
        throw err;
      })
      .finally(() => {
        if (inflight.get(key) === promise) inflight.delete(key);
      });
    inflight.set(key, promise);
    return promise;
  }

  async function entryFor(principalId: string, subscriptionId: string): Promise<Entry> {
    const key = keyOf(principalId, subscriptionId);
    const entry = entries.get(key);
    const age = entry ? now() - entry.loadedAt : Infinity;
    if (entry && age < options.ttlMs) {
      stats.hits += 1;
      if (age >= options.ttlMs * REFRESH_AHEAD && !inflight.has(key)) {
        load(principalId, subscriptionId).catch((err: unknown) => options.onRefreshError?.(err, principalId, subscriptionId));
      }
      return entry;
    }
    stats.misses += 1;
    try {
      return await load(principalId, subscriptionId);
    } catch (err) {
      const why = err instanceof Error ? err.message.split('\n')[0] : 'unknown error';
      throw new PermissionStateUnavailableError(`the agent's role assignments could not be read from ARM: ${why}`, throttledFor(err));
    }
  }

  return {
    async check(principalId, action, scope, dataAction = false) {
      const subscriptionId = subscriptionOfPath(scope);
      if (!subscriptionId) throw new PermissionStateUnavailableError(`no subscription in scope ${scope.slice(0, 200)}`);
      const entry = await entryFor(principalId, subscriptionId);
      // Keyed by the question exactly as asked: another spelling of the same action is only a miss.
      const key = `${dataAction ? 'data' : 'control'}\u0000${principalId}\u0000${action}\u0000${scope}`;
      const known = entry.answers.get(key);
      if (known) return known;
      // shared by every caller that asks the same: frozen, so none can change it for the others
      const answer = Object.freeze(entry.evaluator.check({ principalId, action, scope, dataAction }));
      if (!sightings.sightText(key)) return answer;
      if (entry.answers.size >= ANSWERS_PER_ENTRY) entry.answers.delete(entry.answers.keys().next().value!);
      entry.answers.set(key, answer);
      return answer;
    },
    invalidate(principalId) {
      const lower = principalId.toLowerCase();
      generations.set(lower, generationOf(lower) + 1);
      for (const key of [...entries.keys()]) if (key.startsWith(`${lower}|`)) entries.delete(key);
      for (const key of [...inflight.keys()]) if (key.startsWith(`${lower}|`)) inflight.delete(key);
    },
    stats: () => ({ ...stats }),
  };
}
