import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import type { Directory, ManagedIdentityRecord } from '../state/directory.ts';
import type { SandboxStats } from '../state/sandbox-stats.ts';

/**
 * The managed-identity token endpoint, IMDS style (GET /metadata/identity/oauth2/token), for the
 * sandbox's user-assigned identities. msal-node (inside @azure/identity's
 * ManagedIdentityCredential) calls `${AZURE_POD_IDENTITY_AUTHORITY_HOST}/metadata/identity/oauth2/token`
 * with `Metadata: true`, `api-version=2018-02-01`, `resource` and `client_id` (or `object_id` /
 * `msi_res_id`), so pointing that variable at the sandbox's https origin is all it takes. Errors
 * and the response (all values strings) are shaped like IMDS's.
 */

export interface ImdsContext {
  directory: Directory;
  issuer: TokenIssuer;
  stats: SandboxStats;
  logger: Logger;
}

const API_VERSIONS = new Set(['2018-02-01', '2019-08-01', '2019-11-01', '2020-06-01', '2021-02-01', '2025-04-07']);

function imdsError(res: Response, status: number, error: string, description: string): void {
  res.status(status).json({ error, error_description: description });
}

function single(q: Request['query'], name: string): string | undefined | null {
  const v = q[name];
  if (v === undefined) return undefined;
  return typeof v === 'string' && v.length <= 2048 ? v : null;
}

export function imdsRouter(ctx: ImdsContext): Router {
  const router = Router();
  router.all('/metadata/identity/oauth2/token', async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (req.method !== 'GET') return imdsError(res, 405, 'invalid_request', 'The request method is not supported.');
    if (req.get('metadata')?.toLowerCase() !== 'true') return imdsError(res, 400, 'invalid_request', 'Required metadata header not specified');
    if (req.get('x-forwarded-for') !== undefined) return imdsError(res, 400, 'invalid_request', 'Request not allowed: forwarded requests are refused');
    const apiVersion = single(req.query, 'api-version');
    if (!apiVersion) return imdsError(res, 400, 'invalid_request', "Required query variable 'api-version' is missing");
    if (!API_VERSIONS.has(apiVersion)) return imdsError(res, 400, 'invalid_request', `Invalid api-version '${apiVersion.slice(0, 30)}'`);
    const resourceId = single(req.query, 'resource');
    if (!resourceId) return imdsError(res, 400, 'invalid_request', "Required query variable 'resource' is missing");

    const clientId = single(req.query, 'client_id');
    const objectId = single(req.query, 'object_id') ?? single(req.query, 'principal_id');
    const miResId = single(req.query, 'msi_res_id') ?? single(req.query, 'mi_res_id');
    if (clientId === null || objectId === null || miResId === null) return imdsError(res, 400, 'invalid_request', 'Malformed identity parameter');
    const selectors = [clientId, objectId, miResId].filter((v) => v !== undefined);
    if (selectors.length > 1) return imdsError(res, 400, 'invalid_request', 'Multiple identities specified; give only one of client_id, object_id, msi_res_id');
    let identity: ManagedIdentityRecord | undefined;
    if (selectors.length === 0) {
      if (ctx.directory.managedIdentities.length !== 1) {
        return imdsError(res, 400, 'invalid_request', 'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request');
      }
      identity = ctx.directory.managedIdentities[0];
    } else {
      identity = ctx.directory.managedIdentity({ clientId, principalId: objectId, resourceId: miResId });
    }
    if (!identity) return imdsError(res, 400, 'invalid_request', 'Identity not found');

    const resource = ctx.directory.resource(resourceId);
    if (!resource) {
      return imdsError(
        res,
        400,
        'invalid_resource',
        `AADSTS500011: The resource principal named ${resourceId.slice(0, 200)} was not found in the tenant named ${ctx.directory.tenantDomain}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
      );
    }
    ctx.stats.countImds(identity.clientId);
    const roles = resource.app ? ctx.directory.appRolesOf(identity.principalId, resource.appId) : [];
    const token = await ctx.issuer.appAccessToken(
      { appId: identity.clientId, principalId: identity.principalId, clientAuth: '2', resource, roles, managedIdentityResourceId: identity.resourceId },
      ctx.directory.tenantId,
    );
    ctx.logger.info({ identity: identity.name, resource: resource.displayName }, 'sandbox imds: managed identity token issued');
    res.json({
      access_token: token.token,
      client_id: identity.clientId,
      expires_in: String(token.expiresIn),
      expires_on: String(token.expiresOn),
      ext_expires_in: String(token.expiresIn),
      not_before: String(token.claims.nbf),
      resource: resourceId,
      token_type: 'Bearer',
    });
  });
  return router;
}
