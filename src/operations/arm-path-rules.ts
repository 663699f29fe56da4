/**
 * What an ARM resource path from an agent may look like. The path is hostile input that ends up
 * in a URL Elevate calls with a real token, so the rules are an allow-list of shapes ARM uses,
 * not a deny-list of tricks: one canonical spelling per resource, nothing a URL parser or a
 * proxy could read differently from us.
 */

export const MAX_PATH_LENGTH = 2048;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Letters and digits of any script, plus the punctuation ARM resource names use. */
const SEGMENT = /^[\p{L}\p{N}_.()@-]+$/u;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
/** C0/C1 controls, and format characters (bidi overrides, zero-width joiners) that hide text. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;

/**
 * Returns why `path` is not an acceptable ARM resource path below a resource group, or
 * undefined when it is. Messages are one line and safe to echo (they never quote the input).
 */
export function armPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (INVISIBLE.test(path)) return 'must not contain control or invisible formatting characters';
  if (path.includes('%')) return 'must not contain percent-encoding (encoded slashes, dots or other characters)';
  if (path.includes('?') || path.includes('#')) return 'must not contain a query string or fragment (api-version goes in apiVersion)';
  if (path.includes('\\')) return 'must not contain backslashes';
  if (path.includes('..')) return "must not contain '..'";
  if (!path.startsWith('/')) return "must start with '/subscriptions/'";
  if (path.endsWith('/')) return "must not end with '/'";
  if (path.includes('//')) return 'must not contain empty segments';

  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '.') return "must not contain '.' segments";
    if (!SEGMENT.test(segment)) return `segment ${i + 1} contains characters ARM resource names do not use`;
  }
  if (segments[0]?.toLowerCase() !== 'subscriptions' || !GUID.test(segments[1] ?? '')) {
    return "must start with '/subscriptions/{subscription GUID}'";
  }
  if (segments[2]?.toLowerCase() !== 'resourcegroups' || segments[3] === undefined) {
    return "must name a resource group ('/subscriptions/{id}/resourceGroups/{name}/...')";
  }
  for (let i = 4; i < segments.length; i++) {
    if (segments[i]!.toLowerCase() !== 'providers') continue;
    const namespace = segments[i + 1];
    if (namespace === undefined || !NAMESPACE.test(namespace)) {
      return "each 'providers' segment must be followed by a resource provider namespace such as Microsoft.App";
    }
    if (segments[i + 2] === undefined) return 'must name a resource type after the provider namespace';
  }
  return undefined;
}

/** `/subscriptions/{id}/resourcegroups/{name}` in lower case, the form scopes are compared in. */
export function normalizeResourceGroupId(resourceGroupId: string): string {
  return resourceGroupId.replace(/\/+$/, '').toLowerCase();
}

/** The resource group the path lies in, normalized; undefined when it names none. */
export function resourceGroupOfPath(path: string): string | undefined {
  const segments = path.split('/');
  // ['', 'subscriptions', id, 'resourceGroups', name, ...]
  if (segments.length < 5 || segments[1]?.toLowerCase() !== 'subscriptions' || segments[3]?.toLowerCase() !== 'resourcegroups') {
    return undefined;
  }
  return normalizeResourceGroupId(segments.slice(0, 5).join('/'));
}

/** ARM names are case-insensitive, so containment is decided on normalized ids. */
export function isInsideResourceGroups(path: string, resourceGroupIds: readonly string[]): boolean {
  const group = resourceGroupOfPath(path);
  if (group === undefined) return false;
  return resourceGroupIds.some((id) => normalizeResourceGroupId(id) === group);
}

/** Subscription GUID (lower case) of a path that passed `armPathProblem`. */
export function subscriptionOfPath(path: string): string | undefined {
  const segments = path.split('/');
  return segments[1]?.toLowerCase() === 'subscriptions' ? segments[2]?.toLowerCase() : undefined;
}

/**
 * The scope a permission is checked at: the resource the operation addresses, i.e. the longest
 * prefix of the path made of whole `type/name` pairs. A trailing odd segment is a collection
 * (`GET .../containerApps`) or an action (`POST .../revisions/r1/restart`) on what precedes it.
 * Expects a path that passed `armPathProblem`.
 */
export function permissionScopeOf(path: string): string {
  const segments = path.slice(1).split('/');
  // subscriptions/{id}/resourceGroups/{name}
  let end = 4;
  let i = 4;
  while (i < segments.length && segments[i]!.toLowerCase() === 'providers') {
    i += 2; // providers/{namespace}
    while (i + 1 < segments.length && segments[i]!.toLowerCase() !== 'providers') {
      i += 2;
      end = i;
    }
    if (i < segments.length && segments[i]!.toLowerCase() !== 'providers') break;
  }
  return `/${segments.slice(0, end).join('/')}`;
}
