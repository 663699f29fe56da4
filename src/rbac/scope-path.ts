/**
 * Azure scopes: `/`, management groups, subscriptions, resource groups and resources
 * (including nested child types and extension resources under `/providers/`).
 *
 * Comparison is case-insensitive and on whole path segments: `.../resourceGroups/rg1` is an
 * ancestor of `.../resourceGroups/rg1/providers/...` but never of `.../resourceGroups/rg10`.
 * Anything that is not an ARM scope shape (traversal, empty segments, encoded characters,
 * wildcards) is rejected with RbacInputError rather than guessed at.
 */
import { RbacInputError } from './rbac-errors.ts';

export type ScopeKind = 'root' | 'managementGroup' | 'subscription' | 'resourceGroup' | 'resource';

export interface ParsedScope {
  /** canonical form: keywords in canonical case, names as given, no trailing slash */
  scope: string;
  /** lower-cased canonical form, the comparison key */
  key: string;
  kind: ScopeKind;
  subscriptionId?: string;
  resourceGroup?: string;
  managementGroupId?: string;
}

const MAX_SCOPE_LENGTH = 2048;
// Names in ARM ids: no separators, escapes or control characters. Plain spaces and `*` occur in
// real names (alert rules, DNS records); other whitespace does not.
// eslint-disable-next-line no-control-regex
const BAD_SEGMENT_CHARS = /[\\%?#\u0000-\u001f\u007f]|[^\S ]/;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+$/;
const RESOURCE_GROUP_NAME = /^[\p{L}\p{N}_.()-]+$/u;
const MG_PREFIX_KEY = '/providers/microsoft.management/managementgroups/';

function fail(scope: string, why: string): never {
  throw new RbacInputError(`invalid scope ${JSON.stringify(scope.slice(0, 200))}: ${why}`);
}

/** Scopes parsed recently, kept by the process-wide parseScope (see createScopeParser). */
export const PARSED_SCOPES_KEPT = 1024;

/**
 * A parseScope that remembers what it parsed, by the text given and by the canonical scope, up to
 * `maxEntries` texts (cleared when full, as the evaluator's own memos are). One decision parses
 * the same scope several times over: the operation's path (arm-operation-action.ts), the
 * evaluator's look-up of the canonical scope, and the sandbox's ARM, each on its own. Results are
 * frozen, since every caller shares them. A text that is not a scope is never kept: it throws
 * every time.
 */
export function createScopeParser(maxEntries: number): (input: string) => Readonly<ParsedScope> {
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 2) throw new RangeError('maxEntries must be a whole number of at least 2');
  const kept = new Map<string, Readonly<ParsedScope>>();
  return (input) => {
    const hit = kept.get(input);
    if (hit !== undefined) return hit;
    const parsed = Object.freeze(parseScopeText(input));
    if (kept.size + 2 > maxEntries) kept.clear();
    kept.set(input, parsed);
    kept.set(parsed.scope, parsed);
    return parsed;
  };
}

/** Parses and validates a scope. Throws RbacInputError on anything that is not an ARM scope. */
export const parseScope = createScopeParser(PARSED_SCOPES_KEPT);

/**
 * Whether `segment` is the keyword `lower` (given in lower case) in any letter case. The length
 * is compared first: most segments are names, and lower-casing each of them was most of a
 * parse's cost (issue 18).
 */
function isKeyword(segment: string | undefined, lower: string): boolean {
  return segment !== undefined && segment.length === lower.length && (segment === lower || segment.toLowerCase() === lower);
}

/** Puts the keyword at `segs[i]` in its canonical spelling; true if that changed it. */
function respell(segs: string[], i: number, spelling: string): boolean {
  if (segs[i] === spelling) return false;
  segs[i] = spelling;
  return true;
}

function parseScopeText(input: string): ParsedScope {
  if (typeof input !== 'string' || input.length === 0) fail(String(input), 'empty');
  if (input.length > MAX_SCOPE_LENGTH) fail(input, 'too long');
  if (input === '/') return { scope: '/', key: '/', kind: 'root' };
  if (!input.startsWith('/')) fail(input, 'must start with /');
  // a single trailing slash is tolerated (people paste ids that way); anything else empty is not
  const body = input.endsWith('/') ? input.slice(1, -1) : input.slice(1);
  const segs = body.split('/');
  for (const s of segs) {
    if (s.length === 0) fail(input, 'empty path segment');
    if (s === '.' || s === '..') fail(input, 'relative path segment');
  }
  // One test over the whole text: no forbidden character is a `/`, so this is every segment's test.
  if (BAD_SEGMENT_CHARS.test(body)) fail(input, 'forbidden character in path segment');
  // Keywords are put in canonical case in place; the text is joined again only if one changed.
  let respelled = false;
  const result: Omit<ParsedScope, 'scope' | 'key'> = { kind: 'root' };
  let i = 0;
  if (isKeyword(segs[0], 'subscriptions')) {
    if (segs[1] === undefined) fail(input, 'subscription id missing');
    respelled = respell(segs, 0, 'subscriptions') || respelled;
    result.subscriptionId = segs[1];
    result.kind = 'subscription';
    i = 2;
    if (isKeyword(segs[i], 'resourcegroups')) {
      if (segs[i + 1] === undefined) fail(input, 'resource group name missing');
      // resource group names are narrower than resource names: no spaces, `*` or other punctuation
      if (!RESOURCE_GROUP_NAME.test(segs[i + 1]!)) fail(input, 'forbidden character in resource group name');
      respelled = respell(segs, i, 'resourceGroups') || respelled;
      result.resourceGroup = segs[i + 1];
      result.kind = 'resourceGroup';
      i += 2;
    }
    if (i < segs.length && !isKeyword(segs[i], 'providers')) fail(input, `unexpected segment ${JSON.stringify(segs[i])}`);
  } else if (!isKeyword(segs[0], 'providers')) {
    fail(input, 'must start with /subscriptions/ or /providers/');
  }
  let frames = 0;
  while (i < segs.length) {
    // at a type position: only `providers/{namespace}` may start a (possibly extension) resource chain
    if (!isKeyword(segs[i], 'providers')) fail(input, `unexpected segment ${JSON.stringify(segs[i])}`);
    const ns = segs[i + 1];
    if (ns === undefined || !NAMESPACE.test(ns)) fail(input, 'provider namespace missing or malformed');
    respelled = respell(segs, i, 'providers') || respelled;
    i += 2;
    let pairs = 0;
    while (i < segs.length && !isKeyword(segs[i], 'providers')) {
      const type = segs[i]!;
      const name = segs[i + 1];
      if (name === undefined) fail(input, `resource name missing after ${JSON.stringify(type)}`);
      if (frames === 0 && pairs === 0 && result.kind === 'root' && isKeyword(ns, 'microsoft.management') && isKeyword(type, 'managementgroups')) {
        result.managementGroupId = name;
        result.kind = 'managementGroup';
      } else {
        result.kind = 'resource';
      }
      i += 2;
      pairs++;
    }
    if (pairs === 0) fail(input, 'provider namespace without a resource type and name');
    frames++;
  }
  const scope = respelled ? `/${segs.join('/')}` : `/${body}`;
  // Added to the object rather than spread from it into a new one: in Node 20's V8, each
  // property an object made by a leading spread does not already have costs a runtime call to
  // add (issue 18).
  const parsed = result as ParsedScope;
  parsed.scope = scope;
  parsed.key = scope.toLowerCase();
  return parsed;
}

/** The lower-cased canonical comparison key of a scope. */
export function normalizeScope(scope: string): string {
  return parseScope(scope).key;
}

/** The scope of a management group. */
export function managementGroupScope(id: string): string {
  return `/providers/Microsoft.Management/managementGroups/${id}`;
}

/** Accepts a management group id or its full scope and returns the lower-cased id. */
export function managementGroupIdOf(idOrScope: string): string {
  if (idOrScope.startsWith('/')) {
    const p = parseScope(idOrScope);
    if (p.kind !== 'managementGroup') throw new RbacInputError(`not a management group: ${JSON.stringify(idOrScope.slice(0, 200))}`);
    return p.managementGroupId!.toLowerCase();
  }
  if (idOrScope.length === 0 || idOrScope.length > 90 || /[/\\%?#*\s]/.test(idOrScope)) {
    throw new RbacInputError(`invalid management group id ${JSON.stringify(idOrScope.slice(0, 200))}`);
  }
  return idOrScope.toLowerCase();
}

/** Every whole-segment prefix of a scope key, the key itself first and `/` last. */
export function scopeKeyPrefixes(key: string): string[] {
  const out = [key];
  if (key === '/') return out;
  for (let i = key.lastIndexOf('/'); i > 0; i = key.lastIndexOf('/', i - 1)) out.push(key.slice(0, i));
  out.push('/');
  return out;
}

/** Where each subscription and management group sits under the management-group tree. */
export interface ManagementGroupIndex {
  /** lower-cased ids of the management groups above a subscription, nearest first */
  forSubscription(subscriptionIdLower: string): readonly string[];
  /** lower-cased ids of the management groups above a management group, nearest first */
  forManagementGroup(mgIdLower: string): readonly string[];
}

/**
 * Builds the index from `subscription id -> management group ids, nearest first`. A
 * management group's parents are read off the same chains: in [a, b, root], b and root are
 * above a.
 */
export function createManagementGroupIndex(hierarchy: Record<string, readonly string[]>): ManagementGroupIndex {
  const subs = new Map<string, string[]>();
  const mgParents = new Map<string, string[]>();
  for (const [sub, chain] of Object.entries(hierarchy)) {
    const ids = chain.map(managementGroupIdOf);
    subs.set(sub.toLowerCase(), ids);
    ids.forEach((id, idx) => {
      const known = mgParents.get(id) ?? [];
      for (const above of ids.slice(idx + 1)) if (!known.includes(above) && above !== id) known.push(above);
      mgParents.set(id, known);
    });
  }
  return {
    forSubscription: (s) => subs.get(s) ?? [],
    forManagementGroup: (m) => mgParents.get(m) ?? [],
  };
}

/**
 * Keys of every scope whose assignments reach `parsed`, most specific first: the scope, its
 * whole-segment prefixes, the management groups above (from the hierarchy), then `/`.
 */
export function scopeAncestry(parsed: ParsedScope, mgs: ManagementGroupIndex): string[] {
  const prefixes = scopeKeyPrefixes(parsed.key);
  prefixes.pop(); // '/', re-added last
  const chain = parsed.subscriptionId
    ? mgs.forSubscription(parsed.subscriptionId.toLowerCase())
    : parsed.managementGroupId
      ? mgs.forManagementGroup(parsed.managementGroupId.toLowerCase())
      : [];
  for (const mg of chain) {
    const k = MG_PREFIX_KEY + mg;
    if (!prefixes.includes(k)) prefixes.push(k);
  }
  prefixes.push('/');
  return prefixes;
}

/**
 * True when an assignment at `ancestor` reaches `descendant`: same scope, a whole-segment
 * prefix, the root, or (given the hierarchy) a management group above it.
 */
export function isSameOrAncestorScope(
  ancestor: string,
  descendant: string,
  hierarchy: Record<string, readonly string[]> = {},
): boolean {
  const a = parseScope(ancestor);
  const d = parseScope(descendant);
  if (a.kind === 'root' || a.key === d.key || d.key.startsWith(`${a.key}/`)) return true;
  if (a.kind !== 'managementGroup') return false;
  return scopeAncestry(d, createManagementGroupIndex(hierarchy)).includes(a.key);
}
