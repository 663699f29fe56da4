import { Router, type Request, type Response } from 'express';
import { knownTenant, type EntraContext } from './entra-context.ts';
import { entraErrorBody, entraErrors } from './entra-errors.ts';

/**
 * OpenID discovery and JWKS, as Entra serves them per tenant. The authorization and logout
 * endpoints point at the plain-http browser origin (only a browser visits them); everything an SDK
 * calls is on the https origin.
 */
export function openIdConfiguration(ctx: EntraContext, tenantId: string): Record<string, unknown> {
  const { origin, browserOrigin } = ctx;
  return {
    token_endpoint: `${origin}/${tenantId}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
    response_modes_supported: ['query', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['code'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: ctx.issuer.v2Issuer(tenantId),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${browserOrigin}/${tenantId}/oauth2/v2.0/authorize`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${browserOrigin}/${tenantId}/oauth2/v2.0/logout`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    code_challenge_methods_supported: ['S256'],
    claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'oid', 'roles', 'email', 'sid', 'idp'],
    tenant_region_scope: 'EU',
    cloud_instance_name: 'sandbox.elevate.local',
    cloud_graph_host_name: 'graph.windows.net',
    msgraph_host: 'graph.microsoft.com',
  };
}

export function discoveryRouter(ctx: EntraContext): Router {
  const router = Router();
  const noStore = (res: Response) => res.set('Cache-Control', 'max-age=86400, private');

  router.get('/:tenant/v2.0/.well-known/openid-configuration', (req: Request<{ tenant: string }>, res) => {
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
