/**
 * Azure RBAC action patterns (the strings in Actions / NotActions / DataActions / NotDataActions).
 *
 * Matching follows what Azure does, not glob semantics:
 * - case-insensitive (the operation catalogue itself spells the same operation in several cases);
 * - a `*` matches any run of characters, `/` included;
 * - a `/*` matches nothing or a `/` followed by any run, so `Microsoft.App/containerApps/*\/write`
 *   covers `Microsoft.App/containerApps/write` (many built-in roles only list the `X/*\/verb` form),
 *   while `Microsoft.Compute/*` still stops at the provider boundary and never covers
 *   `Microsoft.ComputeSchedule/...`.
 */
import { RbacInputError } from './rbac-errors.ts';

/** Tests an action that is already lower-cased. */
export type LowerActionTest = (actionLower: string) => boolean;

const MAX_PATTERN_LENGTH = 1024;
// Operation names use these characters only (checked over all 24,680 provider operations).
const ACTION_NAME = /^[a-z0-9$._:{}-]+(?:\/[a-z0-9$._:{}-]+)+$/i;
const MAX_ACTION_LENGTH = 512;

/** Trims and lower-cases a pattern, rejecting empty ones and ones with whitespace or control characters inside. */
export function normalizeActionPattern(pattern: string): string {
  const p = pattern.trim();
  if (p.length === 0) throw new RbacInputError('empty action pattern');
  if (p.length > MAX_PATTERN_LENGTH) throw new RbacInputError('action pattern too long');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(p)) throw new RbacInputError(`action pattern contains whitespace or control characters: ${JSON.stringify(p)}`);
  return p.toLowerCase();
}

/**
 * Compiles a normalized (lower-case) pattern into a test over lower-case actions. Single-star
 * patterns, which are all that real roles use, become prefix/suffix checks; anything else
 * falls back to an anchored regular expression built from the same rules.
 */
export function compileLowerPattern(p: string): LowerActionTest {
  const star = p.indexOf('*');
  if (star < 0) return (a) => a === p;
  if (p.indexOf('*', star + 1) < 0) {
    const slashStar = star > 0 && p.charCodeAt(star - 1) === 47; // '/'
    const prefix = p.slice(0, slashStar ? star - 1 : star);
    const suffix = p.slice(star + 1);
    const pl = prefix.length;
    const sl = suffix.length;
    if (slashStar) {
      // prefix + ('' | '/' + any) + suffix
      return (a) =>
        a.startsWith(prefix) &&
        a.endsWith(suffix) &&
        (a.length === pl + sl || (a.length >= pl + 1 + sl && a.charCodeAt(pl) === 47));
    }
    return (a) => a.length >= pl + sl && a.startsWith(prefix) && a.endsWith(suffix);
  }
  const re = new RegExp(`^${patternToRegexSource(p)}$`, 's');
  return (a) => re.test(a);
}

/** The regular-expression form of a normalized pattern (exported for documentation and tests). */
export function patternToRegexSource(p: string): string {
  let out = '';
  const parts = p.split('*');
  for (let i = 0; i < parts.length; i++) {
    let lit = parts[i]!;
    const last = i === parts.length - 1;
    const slashStar = !last && lit.endsWith('/');
    if (slashStar) lit = lit.slice(0, -1);
    out += lit.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    if (!last) out += slashStar ? '(?:/.*)?' : '.*';
  }
  return out;
}

/**
 * The provider namespace every action this pattern matches must have (lower-case), or
 * undefined when the pattern can match across providers (`*`, `*\/read`, `Microsoft.Comp*`...).
 * Used to bucket patterns so a check only looks at the ones that can apply.
 */
export function patternProvider(p: string): string | undefined {
  const slash = p.indexOf('/');
  const star = p.indexOf('*');
  if (star < 0) return slash < 0 ? p : p.slice(0, slash);
  if (slash < 0 || star < slash) return undefined;
  if (star === slash + 1) {
    // `ns/*...`: the `/` is optional, so what follows the star must itself start a segment
    const next = p.charAt(star + 1);
    if (next !== '' && next !== '/') return undefined;
  }
  return p.slice(0, slash);
}

/**
 * Compiles a pattern as written in a role or policy into a test over actions the caller has
 * already lower-cased, for callers that test one action against many patterns and lower-case it
 * once. Throws RbacInputError on an empty or malformed pattern.
 */
export function compileLowerActionPattern(pattern: string): LowerActionTest {
  return compileLowerPattern(normalizeActionPattern(pattern));
}

/** Compiles a pattern into a case-insensitive test over actions. Throws RbacInputError on an empty or malformed pattern. */
export function compileActionPattern(pattern: string): (action: string) => boolean {
  const test = compileLowerActionPattern(pattern);
  return (action) => test(action.toLowerCase());
}

const compiledCache = new Map<string, LowerActionTest>();

/** One-off match of a pattern against an action (compiled patterns are memoised, bounded). */
export function matchesAction(pattern: string, action: string): boolean {
  let test = compiledCache.get(pattern);
  if (!test) {
    test = compileLowerActionPattern(pattern);
    if (compiledCache.size >= 2048) compiledCache.clear();
    compiledCache.set(pattern, test);
  }
  return test(action.toLowerCase());
}

/** True when `action` is a concrete operation name (no wildcard, no whitespace, at least provider/x). */
export function isValidActionName(action: string): boolean {
  return action.length <= MAX_ACTION_LENGTH && ACTION_NAME.test(action);
}

/** The provider namespace of a lower-case action: everything before the first `/`. */
export function actionProvider(actionLower: string): string {
  const slash = actionLower.indexOf('/');
  return slash < 0 ? actionLower : actionLower.slice(0, slash);
}
