import type { AuthenticatedClient } from './client-authentication.ts';
import type { EntraContext } from './entra-context.ts';
import { entraErrors } from './entra-errors.ts';
import { requiredParam, type FormBody } from './form-params.ts';

/**
 * client_credentials: an app-only token (`idtyp: app`, no `scp`) for `{resource}/.default`,
 * carrying the app roles the client's service principal was assigned on that resource.
 */
export async function clientCredentialsGrant(body: FormBody, client: AuthenticatedClient, ctx: EntraContext): Promise<Record<string, unknown>> {
  const scope = requiredParam(body, 'scope').trim();
  if (/\s/.test(scope) || !scope.endsWith('/.default')) throw entraErrors.clientCredentialScope(scope.slice(0, 300));
  const resourceId = scope.slice(0, -'/.default'.length);
  const resource = ctx.directory.resource(resourceId);
  if (!resource) throw entraErrors.resourceNotFound(resourceId.slice(0, 300), ctx.directory.tenantDomain);
  // App roles on Elevate's own apps, or admin-consented application permissions on Microsoft's (Graph).
  const roles = ctx.directory.appRolesOf(client.app.servicePrincipalId, resource.appId);
  const token = await ctx.issuer.appAccessToken(
    { appId: client.app.clientId, principalId: client.app.servicePrincipalId, clientAuth: client.level, resource, roles },
    ctx.directory.tenantId,
  );
  return { token_type: 'Bearer', expires_in: token.expiresIn, ext_expires_in: token.expiresIn, access_token: token.token };
}
