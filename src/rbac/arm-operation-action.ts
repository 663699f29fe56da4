/**
 * Maps an ARM REST call (method + path) to the RBAC action Azure checks for it and the scope
 * it checks it at:
 *   GET/HEAD -> {type}/read, PUT/PATCH -> {type}/write, DELETE -> {type}/delete,
 *   POST .../{name} -> {type}/{name}/action (provider level: {namespace}/{name}/action).
 * Nested child types concatenate (`containerApps/x/revisions/y/restart` ->
 * `Microsoft.App/containerApps/revisions/restart/action`), the last `/providers/{ns}` wins for
 * extension resources, and paths under a subscription or resource group without a provider
 * are Microsoft.Resources operations, as is `GET /tenants`. A `providers` segment right after a
 * namespace is a resource type of that namespace, not a new frame
 * (`Microsoft.Features/providers/{ns}/features/{f}` -> `Microsoft.Features/providers/features`).
 * This is the structural rule only: resolve-arm-operation.ts checks the result against Azure's
 * provider operations list, where some calls are listed differently. The path is hostile input: anything that is not a plain
 * ARM path (traversal, empty segments, any percent-encoding, backslashes, wildcards) is
 * rejected with ArmPathError rather than normalised.
 */
import { ArmPathError } from './rbac-errors.ts';
import { parseScope } from './scope-path.ts';

export interface ArmOperationAction {
  action: string;
  /** e.g. Microsoft.App/containerApps/revisions; the namespace alone for provider-level actions */
  resourceType: string;
  /** the scope the check applies to: the resource id, or the nearest enclosing scope for collections and provider-level calls */
  scope: string;
}

const VERBS: Record<string, string> = { GET: 'read', HEAD: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete', POST: 'action' };
const MAX_PATH = 4096;
const ORIGIN = /^https:\/\/management\.azure\.com(?=\/)/i;
// names may hold plain spaces and `*` (alert rules, DNS records); types and actions are checked below
// eslint-disable-next-line no-control-regex
const BAD_CHARS = /[\\%#\u0000-\u001f\u007f]|[^\S ]/;
const NAMESPACE = /^[A-Za-z][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+$/;
const TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ACTION_NAME = /^[A-Za-z0-9$_:.-]+$/;
const CANONICAL: Record<string, string> = { subscriptions: 'subscriptions', resourcegroups: 'resourceGroups', providers: 'providers' };

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b;

function fail(path: string, why: string): never {
  throw new ArmPathError(`invalid ARM path ${JSON.stringify(path.slice(0, 200))}: ${why}`);
}

/** The nearest scope enclosing `segs` that is an RBAC scope (drops collection and provider segments). */
function enclosingScope(segs: string[]): string {
  for (let n = segs.length; n > 0; n--) {
    try {
      return parseScope(`/${segs.slice(0, n).join('/')}`).scope;
    } catch {
      // not a scope shape yet; drop one more segment
    }
  }
  return '/';
}

export function armOperationToAction(method: string, path: string): ArmOperationAction {
  const m = typeof method === 'string' ? method.toUpperCase() : '';
  const verb = VERBS[m];
  if (!verb) throw new ArmPathError(`unsupported HTTP method ${JSON.stringify(String(method).slice(0, 20))}`);
  if (typeof path !== 'string' || path.length === 0) throw new ArmPathError('invalid ARM path: empty');
  if (path.length > MAX_PATH) fail(path, 'too long');
  let p = path.replace(ORIGIN, '');
  const q = p.indexOf('?');
  if (q >= 0) p = p.slice(0, q);
  if (!p.startsWith('/')) fail(path, 'must be an absolute ARM path starting with /subscriptions/ or /providers/');
  if (BAD_CHARS.test(p)) fail(path, 'percent-encoding, backslashes, fragments, control characters and whitespace other than spaces are not accepted');
  const segs = p.slice(1).split('/');
  for (const s of segs) {
    if (s.length === 0) fail(path, 'empty path segment');
    if (s === '.' || s === '..') fail(path, 'relative path segment');
  }

  // Find the last provider frame: its namespace, where its type/name pairs start, and the
  // resource id it extends (segments before `providers`).
  let ns = 'Microsoft.Resources';
  let start = 0;
  let parentEnd = 0;
  if (eq(segs[0], 'tenants')) {
    // https://learn.microsoft.com/rest/api/resources/tenants/list: Microsoft.Resources/tenants/read
    if (segs.length !== 1 || verb !== 'read') fail(path, 'only GET /tenants (the list) is served for tenants');
    return { action: 'Microsoft.Resources/tenants/read', resourceType: 'Microsoft.Resources/tenants', scope: '/' };
  }
  if (eq(segs[0], 'providers')) {
    if (segs.length === 1) {
      if (verb !== 'read') fail(path, 'only GET lists providers');
      return { action: 'Microsoft.Resources/providers/read', resourceType: 'Microsoft.Resources/providers', scope: '/' };
    }
    ns = segs[1]!;
    start = 2;
  } else if (!eq(segs[0], 'subscriptions')) {
    fail(path, 'must start with /subscriptions/, /providers/ or be /tenants');
  }
  // keywords are recognised (and spelled canonically) only at type positions of their frame
  const canonical = [...segs];
  canonical[0] = canonical[0]!.toLowerCase();
  for (let j = start; j < segs.length; j += 2) {
    const key = segs[j]!.toLowerCase();
    // a new (extension) frame follows a resource id or a subscription/group, never a bare namespace
    if (key === 'providers' && j + 1 < segs.length && (start === 0 || j > start)) {
      canonical[j] = 'providers';
      parentEnd = j;
      ns = segs[j + 1]!;
      start = j + 2;
    } else if (start === 0 && CANONICAL[key]) {
      canonical[j] = CANONICAL[key]!;
    }
  }
  if (!NAMESPACE.test(ns)) fail(path, `malformed provider namespace ${JSON.stringify(ns)}`);
  const rest = segs.slice(start);

  if (rest.length === 0) {
    // `/providers/{ns}` or `/subscriptions/{s}/providers/{ns}`: reading a provider's registration
    const parent = canonical.slice(0, parentEnd);
    const atSubscription = parent.length === 2 && eq(parent[0], 'subscriptions');
    if (verb !== 'read' || !(parent.length === 0 || atSubscription)) fail(path, 'a provider namespace alone only supports GET at tenant or subscription level');
    const type = atSubscription ? 'Microsoft.Resources/subscriptions/providers' : 'Microsoft.Resources/providers';
    return { action: `${type}/read`, resourceType: type, scope: atSubscription ? `/${parent.join('/')}` : '/' };
  }

  const odd = rest.length % 2 === 1;
  const typeSegs = rest.filter((_, idx) => idx % 2 === 0);
  const restCanonical = canonical.slice(start);
  // for POST the last segment is the action name, checked below
  for (const t of verb === 'action' && odd ? typeSegs.slice(0, -1) : typeSegs) {
    if (!TYPE.test(t)) fail(path, `malformed resource type segment ${JSON.stringify(t)}`);
  }

  if (verb === 'action') {
    if (!odd) fail(path, 'POST must end with an action name after a resource id');
    const name = rest[rest.length - 1]!;
    if (!ACTION_NAME.test(name)) fail(path, `malformed action name ${JSON.stringify(name)}`);
    const types = restCanonical.filter((_, idx) => idx % 2 === 0).slice(0, -1);
    const resourceType = [ns, ...types].join('/');
    const target = types.length === 0 ? canonical.slice(0, parentEnd) : canonical.slice(0, -1);
    return { action: `${resourceType}/${name}/action`, resourceType, scope: enclosingScope(target) };
  }

  const types = restCanonical.filter((_, idx) => idx % 2 === 0);
  const resourceType = [ns, ...types].join('/');
  if (odd) {
    // a collection: only listing makes sense; the check applies at the enclosing scope
    if (verb !== 'read') fail(path, `${m} needs a resource name, not a collection`);
    return { action: `${resourceType}/read`, resourceType, scope: enclosingScope(canonical.slice(0, -1)) };
  }
  return { action: `${resourceType}/${verb}`, resourceType, scope: enclosingScope(canonical) };
}
