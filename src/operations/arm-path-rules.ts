/**
 * What an ARM resource path from an agent may look like. The path is hostile input that ends up
 * in a URL Elevate calls with a real token, so the rules are an allow-list of shapes ARM uses,
 * not a deny-list of tricks: one canonical spelling per resource, nothing a URL parser or a
 * proxy could read differently from us.
 */

export const MAX_PATH_LENGTH = 2048;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Resource group names: letters and digits of any script, `_`, `-`, `.`, `(`, `)`. */
const RESOURCE_GROUP = /^[\p{L}\p{N}_.()-]+$/u;
/** Resource types, collections and actions (`containerApps`, `restart`, `listKeys`). */
const TYPE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/**
 * Resource names: what ARM accepts in names beyond letters and digits, e.g. `;` in Recovery
 * Services protected items (`VM;iaasvmcontainerv2;rg;vm`), spaces in alert rule names, `*` and
 * `@` in DNS record names. Never what ARM forbids in any name (`<>%&\?/`, control characters)
 * nor `#`, quotes or other characters a URL parser or proxy could read differently.
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules
 */
const NAME = /^[\p{L}\p{N}_.()@ ;*:+,'!$=~\[\]-]+$/u;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)+$/;
/** C0/C1 controls, and format characters (bidi overrides, zero-width joiners) that hide text. */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
/** Whitespace other than the plain space (tabs, no-break and other Unicode spaces). */
const OTHER_SPACE = /[^\S ]/u;

/**
 * Returns why `path` is not an acceptable ARM resource path below a resource group, or
 * undefined when it is. The path is an ARM resource id: names as ARM shows them (not
 * percent-encoded; Elevate encodes each segment on the wire as the Azure SDKs do), so there is
 * one spelling per resource. Messages are one line and safe to echo (they never quote the input).
 */
export function armPathProblem(path: string): string | undefined {
  if (path.length === 0) return 'must not be empty';
  if (path.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters`;
  if (INVISIBLE.test(path)) return 'must not contain control or invisible formatting characters';
  if (OTHER_SPACE.test(path)) return 'must not contain whitespace other than plain spaces in names';
  if (path.includes('%')) return 'must not contain percent-encoding (give names as ARM shows them; encoded slashes and dots are refused)';
  if (path.includes('?') || path.includes('#')) return 'must not contain a query string or fragment (api-version goes in apiVersion)';
  if (path.includes('\\')) return 'must not contain backslashes';
  if (path.includes('..')) return "must not contain '..'";
  if (!path.startsWith('/')) return "must start with '/subscriptions/'";
  if (path.endsWith('/')) return "must not end with '/'";
  if (path.includes('//')) return 'must not contain empty segments';

  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '.') return "must not contain '.' segments";
    if (segment !== segment.trim()) return `segment ${i + 1} must not start or end with a space`;
  }
  if (segments[0]?.toLowerCase() !== 'subscriptions' || !GUID.test(segments[1] ?? '')) {
    return "must start with '/subscriptions/{subscription GUID}'";
  }
  if (segments[2]?.toLowerCase() !== 'resourcegroups' || segments[3] === undefined) {
    return "must name a resource group ('/subscriptions/{id}/resourceGroups/{name}/...')";
  }
  if (!RESOURCE_GROUP.test(segments[3])) return 'segment 4 contains characters ARM resource group names do not use';
  // after the resource group: providers/{namespace}, then type/name pairs (a trailing type is a
  // collection or an action); a nested providers/{namespace} starts an extension resource
  let expectType = true;
  for (let i = 4; i < segments.length; i++) {
    const segment = segments[i]!;
    if (expectType && segment.toLowerCase() === 'providers') {
      const namespace = segments[i + 1];
      if (namespace === undefined || !NAMESPACE.test(namespace)) {
        return "each 'providers' segment must be followed by a resource provider namespace such as Microsoft.App";
      }
      if (segments[i + 2] === undefined) return 'must name a resource type after the provider namespace';
      i += 1;
      continue;
    }
    if (expectType ? !TYPE.test(segment) : !NAME.test(segment)) {
      return `segment ${i + 1} contains characters ARM resource ${expectType ? 'types and actions' : 'names'} do not use`;
    }
    expectType = !expectType;
  }
  return undefined;
}

/** `/subscriptions/{id}/resourcegroups/{name}` in lower case, the form scopes are compared in. */
export function normalizeResourceGroupId(resourceGroupId: string): string {
  return resourceGroupId.replace(/\/+$/, '').toLowerCase();
}

/** The resource group the path lies in, normalized; undefined when it names none. */
export function resourceGroupOfPath(path: string): string | undefined {
  // ['', 'subscriptions', id, 'resourceGroups', name, ...]: a pattern rather than split('/'),
  // since this runs on every decision (issue 18).
  const prefix = RESOURCE_GROUP_PREFIX.exec(path)?.[0];
  return prefix === undefined ? undefined : normalizeResourceGroupId(prefix);
}
/** Segments 0–4 of a path whose segments 1 and 3 are `subscriptions` and `resourceGroups`, in any case. */
const RESOURCE_GROUP_PREFIX = /^[^/]*\/subscriptions\/[^/]*\/resourcegroups\/[^/]*/i;

/** ARM names are case-insensitive, so containment is decided on normalized ids. */
export function isInsideResourceGroups(path: string, resourceGroupIds: readonly string[]): boolean {
  const group = resourceGroupOfPath(path);
  if (group === undefined) return false;
  return resourceGroupIds.some((id) => normalizeResourceGroupId(id) === group);
}

/** Subscription GUID (lower case) of a path that passed `armPathProblem`. */
export function subscriptionOfPath(path: string): string | undefined {
  // A pattern rather than split('/'): this runs on every permission check (issue 18).
  return SUBSCRIPTION_SEGMENT.exec(path)?.[1]?.toLowerCase();
}
const SUBSCRIPTION_SEGMENT = /^[^/]*\/subscriptions\/([^/]*)/i;

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
