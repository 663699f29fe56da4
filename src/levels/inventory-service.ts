import { parseResourceGroupId, type ResourceGroupRef } from '../agents/resource-group-id.ts';
import type { ResourceGroupInventory } from './level-types.ts';

/** One paged ARM list of a resource group's resources, reduced to what the planner needs. */
export interface ResourceLister {
  listResourceTypes(rg: ResourceGroupRef): Promise<{ resourceTypes: string[]; resourceCount: number }>;
}

export interface InventoryOptions {
  lister: ResourceLister;
  /** Entries younger than this are served from the cache (ELEVATE_INVENTORY_REFRESH_SECONDS). */
  maxAgeSeconds: number;
  /** Groups listed at once; ARM throttles per principal, so keep this modest. */
  concurrency?: number;
  now?: () => Date;
}

export interface InventoryProgress {
  done: number;
  total: number;
  resourceGroupId: string;
}

export interface InventoryService {
  /**
   * The inventory of these groups: cached entries when fresh, otherwise one list call per group.
   * `refresh: true` lists every group again. A group that cannot be listed gets an entry with
   * `error` set (its types unknown), and is not cached, so the next pass tries again.
   */
  get(resourceGroupIds: readonly string[], options?: { refresh?: boolean; onProgress?: (p: InventoryProgress) => void }): Promise<Map<string, ResourceGroupInventory>>;
  /** What is cached, without calling ARM. */
  cached(): ResourceGroupInventory[];
  /**
   * Refreshes the groups `groups()` returns every `intervalSeconds` (unref'd timer). Returns a
   * stop function. Failures go to `onError`; the schedule keeps running.
   */
  schedule(groups: () => Promise<string[]>, intervalSeconds: number, onError?: (err: unknown) => void): () => void;
}

export function createInventoryService(options: InventoryOptions): InventoryService {
  const now = options.now ?? (() => new Date());
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const cache = new Map<string, ResourceGroupInventory>();
  const inflight = new Map<string, Promise<ResourceGroupInventory>>();

  function fresh(entry: ResourceGroupInventory | undefined): boolean {
    return !!entry && !entry.error && now().getTime() - Date.parse(entry.fetchedAt) < options.maxAgeSeconds * 1000;
  }

  function list(rg: ResourceGroupRef): Promise<ResourceGroupInventory> {
    const key = rg.id.toLowerCase();
    const running = inflight.get(key);
    if (running) return running;
    const promise = options.lister
      .listResourceTypes(rg)
      .then(
        (r): ResourceGroupInventory => {
          const entry = { resourceGroupId: rg.id, resourceTypes: uniqueSorted(r.resourceTypes), resourceCount: r.resourceCount, fetchedAt: now().toISOString() };
          cache.set(key, entry);
          return entry;
        },
        (err: unknown): ResourceGroupInventory => {
          cache.delete(key);
          return { resourceGroupId: rg.id, resourceTypes: [], resourceCount: 0, fetchedAt: now().toISOString(), error: describeError(err) };
        },
      )
      .finally(() => inflight.delete(key));
    inflight.set(key, promise);
    return promise;
  }

  async function get(ids: readonly string[], opts: { refresh?: boolean; onProgress?: (p: InventoryProgress) => void } = {}) {
    const refs = ids.map((id) => parseResourceGroupId(id));
    const out = new Map<string, ResourceGroupInventory>();
    const todo: ResourceGroupRef[] = [];
    for (const rg of refs) {
      const entry = cache.get(rg.id.toLowerCase());
      if (!opts.refresh && fresh(entry)) out.set(rg.id, { ...entry!, resourceGroupId: rg.id });
      else todo.push(rg);
    }
    let done = refs.length - todo.length;
    let next = 0;
    const worker = async () => {
      while (next < todo.length) {
        const rg = todo[next++]!;
        out.set(rg.id, await list(rg));
        done++;
        opts.onProgress?.({ done, total: refs.length, resourceGroupId: rg.id });
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
    return out;
  }

  return {
    get,
    cached: () => [...cache.values()].map((e) => ({ ...e, resourceTypes: [...e.resourceTypes] })),
    schedule(groups, intervalSeconds, onError) {
      let running = false;
      const timer = setInterval(() => {
        if (running) return;
        running = true;
        groups()
          .then((ids) => get(ids, { refresh: true }))
          .catch((err: unknown) => onError?.(err))
          .finally(() => {
            running = false;
          });
      }, intervalSeconds * 1000);
      timer.unref();
      return () => clearInterval(timer);
    },
  };
}

function uniqueSorted(types: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const t of types) if (typeof t === 'string' && t.length > 0 && !seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
  return [...seen.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
}

/** ARM's error code and first line, as the SDK's RestError carries them; never a token or a stack. */
export function describeError(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; statusCode?: unknown; message?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const status = typeof e.statusCode === 'number' ? e.statusCode : undefined;
    const message = typeof e.message === 'string' ? e.message.split('\n')[0]!.slice(0, 300) : 'unknown error';
    return [code, status ? `(HTTP ${status})` : undefined, message].filter(Boolean).join(' ');
  }
  return String(err).slice(0, 300);
}
