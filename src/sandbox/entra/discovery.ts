import { Router, type Request, type Response } from 'express';
import { knownTenant, type EntraContext } from './entra-context.ts';
import { entraErrorBody, entraErrors } from './entra-errors.ts';

/**
 * OpenID discovery and JWKS, as Entra serves them per tenant, with Entra's field set and nothing
 * more (Entra publishes neither grant_types_supported nor code_challenge_methods_supported). The
 * authorization and logout endpoints point at the plain-http browser origin (only a browser visits
 * them); everything an SDK calls is on the https origin. The sandbox's origin stands in for both
 * login.microsoftonline.com and graph.microsoft.com (userinfo).
 * https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc#find-your-apps-openid-configuration-document-uri
 */
function endpoints(ctx: EntraContext, segment: string) {
  const { origin } = ctx;
  return {
    token_endpoint: `${origin}/${segment}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${origin}/${segment}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
  };
}

const CLAIMS_SUPPORTED = [
  'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host', 'aud', 'exp', 'iat',
  'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email',
];

function document(ctx: EntraContext, segment: string, issuer: string, tenantRegionScope: string | null): Record<string, unknown> {
  const { origin, browserOrigin } = ctx;
  return {
    ...endpoints(ctx, segment),
    issuer,
    request_uri_parameter_supported: false,
    userinfo_endpoint: `${origin}/oidc/userinfo`,
    authorization_endpoint: `${browserOrigin}/${segment}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${origin}/${segment}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${browserOrigin}/${segment}/oauth2/v2.0/logout`,
    claims_supported: CLAIMS_SUPPORTED,
    kerberos_endpoint: `${origin}/${segment}/kerberos`,
    tenant_region_scope: tenantRegionScope,
    cloud_instance_name: 'sandbox.elevate.local',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
    rbac_url: 'https://pas.windows.net',
  };
}

/** A tenant's own document: its issuer, its endpoints. */
export function openIdConfiguration(ctx: EntraContext, tenantId: string): Record<string, unknown> {
  return document(ctx, tenantId, ctx.issuer.v2Issuer(tenantId), 'EU');
}

/**
 * /common and /organizations: multi-tenant documents whose issuer is a template with a literal
 * `{tenantid}`, which a multi-tenant relying party fills from each token's `tid`.
 */
export function multiTenantConfiguration(ctx: EntraContext, segment: 'common' | 'organizations'): Record<string, unknown> {
  return document(ctx, segment, ctx.issuer.v2Issuer('{tenantid}'), null);
}

export function discoveryRouter(ctx: EntraContext): Router {
  const router = Router();
  const noStore = (res: Response) => res.set('Cache-Control', 'max-age=86400, private');

  router.get('/:tenant/v2.0/.well-known/openid-configuration', (req: Request<{ tenant: string }>, res) => {
    const segment = req.params.tenant.toLowerCase();
    if (segment === 'common' || segment === 'organizations') {
      noStore(res).json(multiTenantConfiguration(ctx, segment));
      return;
    }
    const tenantId = knownTenant(ctx, req.params.tenant);
    if (!tenantId) {
      res.status(400).json(entraErrorBody(entraErrors.tenantNotFound(req.params.tenant.slice(0, 100)), req.get('client-request-id'), ctx.origin));
      return;
    }
    noStore(res).json(openIdConfiguration(ctx, tenantId));
  });

  const keys = (req: Request<{ tenant: string }>, res: Response) => {
    const t = req.params.tenant.toLowerCase();
    if (!knownTenant(ctx, t) && !['common', 'organizations', 'consumers'].includes(t)) {
      res.status(400).json(entraErrorBody(entraErrors.tenantNotFound(req.params.tenant.slice(0, 100)), req.get('client-request-id'), ctx.origin));
      return;
    }
    // short cache: a relying party that meets an unknown kid refetches, as with Entra's rollover
    res.set('Cache-Control', 'max-age=60, public').json(ctx.keys.jwks());
  };
  router.get('/:tenant/discovery/v2.0/keys', keys);
  router.get('/:tenant/discovery/keys', keys);

  // Only a browser belongs on /authorize; an SDK that builds the URL from the https authority
  // instead of discovery is sent to the browser origin.
  router.get('/:tenant/oauth2/v2.0/authorize', (req, res) => {
    res.redirect(302, `${ctx.browserOrigin}${req.originalUrl}`);
  });
  return router;
}
