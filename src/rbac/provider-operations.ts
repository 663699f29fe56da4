/**
 * The resource-provider operations Azure lists (`az provider operation show`), as an index that
 * answers "is this an operation Azure knows, and how does Azure spell it?". The ARM call to
 * action mapping uses it to resolve calls whose action is not "resource type + verb" and to say
 * so when a derived action is not a listed operation.
 *
 * The shipped index (catalog/provider-operations.json.br) is generated from the real list and
 * read lazily, on first need: `elevate rbac action` pays a few milliseconds for it, start-up
 * nothing. Names are kept sorted by their lower-case form and looked up by binary search, so
 * loading is one decompression and one JSON.parse, with no per-name work.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { decodeCompressedJson } from './compressed-json.ts';
import { RbacDataError } from './rbac-errors.ts';

export interface ProviderOperationIndex {
  /** number of distinct operations (control and data plane) */
  readonly size: number;
  /** Azure's spelling of the operation when it is listed (case-insensitive lookup), else undefined */
  find(name: string, dataAction?: boolean): string | undefined;
  /** whether any operation of the namespace is listed (a provider Elevate has no data for is not "unknown operation") */
  hasProvider(namespace: string): boolean;
}

/** The generated file: names sorted by lower-case form, one spelling per operation. */
export const providerOperationsFileSchema = z.strictObject({
  format: z.literal(1),
  control: z.array(z.string().min(3).max(512)).max(500_000),
  data: z.array(z.string().min(3).max(512)).max(500_000),
});
export type ProviderOperationsFile = z.infer<typeof providerOperationsFileSchema>;

/** One row of `provider-operations.flat.json` (what `az provider operation show` lists, flattened). */
export const providerOperationRowSchema = z.object({ name: z.string().min(3).max(512), isDataAction: z.boolean() });

const lowerCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Sorts and de-duplicates (case-insensitively, first spelling wins) the rows into the file shape. */
export function buildProviderOperationsFile(rows: ReadonlyArray<{ name: string; isDataAction: boolean }>): ProviderOperationsFile {
  const pick = (data: boolean) => {
    const seen = new Map<string, string>();
    for (const r of rows) if (r.isDataAction === data && !seen.has(r.name.toLowerCase())) seen.set(r.name.toLowerCase(), r.name);
    return [...seen.entries()].sort((x, y) => lowerCompare(x[0], y[0])).map(([, spelled]) => spelled);
  };
  return { format: 1, control: pick(false), data: pick(true) };
}

/** Index of a sorted list; the sort order is checked, since lookups depend on it. */
function sortedLookup(names: readonly string[], what: string): { find(lower: string): string | undefined; hasPrefix(lowerPrefix: string): boolean } {
  for (let i = 1; i < names.length; i++) {
    if (lowerCompare(names[i - 1]!.toLowerCase(), names[i]!.toLowerCase()) >= 0) throw new RbacDataError(`${what}: names are not sorted and unique at ${i}`);
  }
  const lowerBound = (key: string) => {
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (names[mid]!.toLowerCase() < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return {
    find(lower) {
      const i = lowerBound(lower);
      return i < names.length && names[i]!.toLowerCase() === lower ? names[i] : undefined;
    },
    hasPrefix(prefix) {
      const i = lowerBound(prefix);
      return i < names.length && names[i]!.toLowerCase().startsWith(prefix);
    },
  };
}

const FIND_CACHE_LIMIT = 16384;

export function createProviderOperationIndex(file: ProviderOperationsFile, what = 'provider operations'): ProviderOperationIndex {
  const control = sortedLookup(file.control, `${what} (control plane)`);
  const data = sortedLookup(file.data, `${what} (data plane)`);
  // every decision looks its action up; agents repeat few actions, so answers are remembered (bounded)
  const found = { control: new Map<string, string | null>(), data: new Map<string, string | null>() };
  const find = (name: string, dataAction = false): string | undefined => {
    const cache = dataAction ? found.data : found.control;
    const hit = cache.get(name);
    if (hit !== undefined) return hit ?? undefined;
    const answer = (dataAction ? data : control).find(name.toLowerCase());
    if (cache.size >= FIND_CACHE_LIMIT) cache.clear();
    cache.set(name, answer ?? null);
    return answer;
  };
  return {
    size: file.control.length + file.data.length,
    find,
    hasProvider(namespace) {
      const prefix = `${namespace.toLowerCase()}/`;
      return control.hasPrefix(prefix) || data.hasPrefix(prefix);
    },
  };
}

export function parseProviderOperationsFile(body: unknown, what: string): ProviderOperationIndex {
  const parsed = providerOperationsFileSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RbacDataError(`${what}: ${issue ? `${issue.path.join('.') || 'file'}: ${issue.message}` : 'invalid'}`);
  }
  return createProviderOperationIndex(parsed.data, what);
}

export const PROVIDER_OPERATIONS_FILE = new URL('./catalog/provider-operations.json.br', import.meta.url);

let shipped: ProviderOperationIndex | undefined;

/** The index generated from Azure's provider operations list, read on first call. */
export function loadProviderOperationIndex(): ProviderOperationIndex {
  if (shipped) return shipped;
  const what = 'provider operations index';
  let body: unknown;
  try {
    body = decodeCompressedJson(readFileSync(PROVIDER_OPERATIONS_FILE), what);
  } catch (err) {
    throw new RbacDataError((err as Error).message);
  }
  shipped = parseProviderOperationsFile(body, what);
  return shipped;
}
