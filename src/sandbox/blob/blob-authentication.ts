import type { Request } from 'express';
import { verifySandboxToken } from '../entra/token-verifier.ts';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { TokenIssuer } from '../entra/token-issuer.ts';
import { STORAGE_ACCEPTED_AUDIENCES } from '../state/first-party-apps.ts';
import type { BlobError } from './blob-errors.ts';

/**
 * Bearer-token (Microsoft Entra) authentication at the sandbox's Blob service: the token must be
 * the sandbox's, unexpired, for the storage audience and from the sandbox tenant. Failures are 401
 * with a `WWW-Authenticate: Bearer authorization_uri=… resource_id=https://storage.azure.com`
 * challenge (which @azure/storage-blob's challenge policy reads) and the service's codes:
 * NoAuthenticationInformation without a token, InvalidAuthenticationInfo with a bad one.
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-azure-active-directory
 * Shared Key and SAS are not offered: Elevate's identity authenticates with Entra only.
 */

export interface BlobCaller {
  principalId: string;
  appId: string;
}

export interface BlobAuthContext {
  origin: string;
  tenantId: string;
  keys: SigningKeyStore;
  issuer: TokenIssuer;
}

const SERVER_FAILED = 'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.';

export async function authenticateBlobRequest(req: Request, ctx: BlobAuthContext): Promise<BlobCaller | BlobError> {
  const challenge = { 'WWW-Authenticate': `Bearer authorization_uri=${ctx.origin}/${ctx.tenantId}/oauth2/authorize resource_id=https://storage.azure.com` };
  const header = req.get('authorization');
  if (!header) return { status: 401, code: 'NoAuthenticationInformation', message: SERVER_FAILED, headers: challenge };
  const fail = (detail: string): BlobError => ({ status: 401, code: 'InvalidAuthenticationInfo', message: SERVER_FAILED, detail: { AuthenticationErrorDetail: detail }, headers: challenge });
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!m) return fail('Authentication scheme is not supported; use Bearer.');
  const v = await verifySandboxToken(m[1]!, ctx.keys);
  if (!v.ok) {
    if (v.reason === 'expired') return fail('Lifetime validation failed. The token is expired.');
    if (v.reason === 'not_yet_valid') return fail('Lifetime validation failed. The token is not yet valid.');
    return fail('Signature validation failed. Signature is invalid.');
  }
  const c = v.claims;
  const aud = typeof c.aud === 'string' ? c.aud : '';
  if (!STORAGE_ACCEPTED_AUDIENCES.includes(aud)) return fail('Audience validation failed. Audience did not match.');
  if (c.tid !== ctx.tenantId || (c.iss !== ctx.issuer.v1Issuer(ctx.tenantId) && c.iss !== ctx.issuer.v2Issuer(ctx.tenantId))) {
    return fail('Issuer validation failed. Issuer did not match.');
  }
  const oid = typeof c.oid === 'string' ? c.oid.toLowerCase() : '';
  if (!/^[0-9a-f-]{36}$/.test(oid)) return fail('The token has no object id.');
  return { principalId: oid, appId: typeof c.appid === 'string' ? c.appid : typeof c.azp === 'string' ? c.azp : '' };
}
