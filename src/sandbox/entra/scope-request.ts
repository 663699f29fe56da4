import type { Directory, DirectoryApplication, ResourceServer } from '../state/directory.ts';
import { GRAPH_APP_ID, OIDC_SCOPES } from '../state/first-party-apps.ts';
import { entraErrors } from './entra-errors.ts';

/**
 * A v2 `scope` parameter resolved against the directory: the OpenID scopes, the single resource
 * the other scopes name, and their values on it. v2 scopes are `{resource}/{value}`; a bare value
 * is a Microsoft Graph scope; `{resource}/.default` means whatever has been consented.
 */
export interface ScopeRequest {
  oidc: Set<string>;
  resource: ResourceServer;
  values: string[];
  isDefault: boolean;
  /** false when only OpenID scopes were asked for (the access token is then for Graph) */
  explicitResource: boolean;
}

const MAX_SCOPES = 50;
const SCOPE_ITEM = /^[\x21-\x7e]{1,512}$/;

export function parseScopeRequest(scope: string | undefined, directory: Directory): ScopeRequest {
  if (!scope || scope.trim().length === 0) throw entraErrors.missingParameter('scope', 'invalid_request');
  const items = scope.trim().split(/\s+/);
  if (items.length > MAX_SCOPES) throw entraErrors.invalidScope(scope.slice(0, 200));
  const oidc = new Set<string>();
  let resource: ResourceServer | undefined;
  const values: string[] = [];
  for (const item of items) {
    if (!SCOPE_ITEM.test(item)) throw entraErrors.invalidScope(item.slice(0, 200));
    if (OIDC_SCOPES.has(item.toLowerCase())) {
      oidc.add(item.toLowerCase());
      continue;
    }
    const slash = item.lastIndexOf('/');
    const resourceId = slash > 0 ? item.slice(0, slash) : GRAPH_APP_ID;
    const value = slash > 0 ? item.slice(slash + 1) : item;
    const found = directory.resource(resourceId);
    if (!found) throw entraErrors.resourceNotFound(resourceId, directory.tenantDomain);
    if (resource && resource.appId !== found.appId) throw entraErrors.multipleResources(scope.slice(0, 500));
    resource = found;
    if (value !== '.default' && !found.scopes.some((s) => s.toLowerCase() === value.toLowerCase())) throw entraErrors.invalidScope(item);
    values.push(value === '.default' ? value : found.scopes.find((s) => s.toLowerCase() === value.toLowerCase())!);
  }
  if (values.includes('.default') && values.length > 1) throw entraErrors.invalidScope(scope.slice(0, 500));
  return {
    oidc,
    resource: resource ?? directory.graph(),
    values: resource ? values : ['User.Read'],
    isDefault: values.includes('.default'),
    explicitResource: resource !== undefined,
  };
}

/**
 * The delegated scopes `client` may obtain on the requested resource for a user: its own API,
 * Graph's user-consentable scopes, or what an administrator consented. Throws AADSTS65001 when
 * consent is missing.
 */
export function consentedScopes(client: DirectoryApplication, req: ScopeRequest, directory: Directory): string[] {
  const r = req.resource;
  if (r.app && r.app.clientId === client.clientId) return req.isDefault ? [...r.scopes] : req.values;
  const granted = new Set(r.userConsentable);
  for (const g of client.grantedPermissions) {
    if (directory.resource(g.resource)?.appId === r.appId) for (const s of g.scopes) granted.add(s);
  }
  if (req.isDefault) {
    const all = [...granted].filter((s) => !OIDC_SCOPES.has(s.toLowerCase()));
    if (all.length === 0) throw entraErrors.consentRequired(client.clientId, client.displayName);
    return all;
  }
  for (const v of req.values) if (!granted.has(v)) throw entraErrors.consentRequired(client.clientId, client.displayName);
  return req.values;
}

/** The `scope` of a token response: resource scopes spelled in full, then the OpenID scopes asked for. */
export function grantedScopeString(resource: ResourceServer, scopes: string[], oidc: Set<string>): string {
  const prefix = resource.appId === GRAPH_APP_ID ? '' : `${(resource.identifierUris[0] ?? resource.appId).replace(/\/+$/, '')}/`;
  return [...scopes.map((s) => `${prefix}${s}`), ...[...oidc].filter((s) => s !== 'offline_access')].join(' ');
}
