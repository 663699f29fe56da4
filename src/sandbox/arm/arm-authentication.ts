import type { Request } from 'express';
import { verifySandboxToken } from '../entra/token-verifier.ts';
import { ARM_ACCEPTED_AUDIENCES } from '../state/first-party-apps.ts';
import type { ArmCaller, ArmContext } from './arm-context.ts';
import { authenticationError, type ArmError } from './arm-errors.ts';

/**
 * Bearer-token authentication at the sandbox's ARM, with ARM's 401 codes: a missing or malformed
 * header, a token that does not verify against the sandbox's keys, one issued for another
 * audience, an expired one, or one from another tenant.
 */

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export async function authenticateArmRequest(req: Request, ctx: ArmContext): Promise<ArmCaller | ArmError> {
  const authUri = `${ctx.origin}/${ctx.directory.tenantId}`;
  const header = req.get('authorization');
  if (!header) {
    return authenticationError('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", authUri, "The authentication failed because of missing 'Authorization' header.");
  }
  const m = /^Bearer ([^\s]+)$/i.exec(header.trim());
  if (!m) {
    return authenticationError('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.", authUri, "The 'Authorization' header is provided in an invalid format.");
  }
  const now = Math.floor(Date.now() / 1000);
  const v = await verifySandboxToken(m[1]!, ctx.keys, now);
  if (!v.ok) {
    switch (v.reason) {
      case 'expired':
        return authenticationError(
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${typeof v.claims?.exp === 'number' ? iso(v.claims.exp) : 'unknown'}' is earlier than current UTC time '${iso(now)}'.`,
          authUri,
          'The access token is expired.',
        );
      case 'not_yet_valid':
        return authenticationError('InvalidAuthenticationToken', 'The access token is not yet valid.', authUri, 'The access token is not yet valid.');
      default:
        return authenticationError('InvalidAuthenticationToken', 'The access token is invalid.', authUri, 'The access token signature could not be validated.');
    }
  }
  const c = v.claims;
  const aud = typeof c.aud === 'string' ? c.aud : '';
  if (!ARM_ACCEPTED_AUDIENCES.includes(aud)) {
    return authenticationError(
      'InvalidAuthenticationTokenAudience',
      `The access token has been obtained for wrong audience or resource '${aud.slice(0, 200)}'. It should exactly match with one of the allowed audiences ${ARM_ACCEPTED_AUDIENCES.map((a) => `'${a}'`).join(',')}.`,
      authUri,
      'The access token has been obtained for wrong audience or resource.',
    );
  }
  const expectedIssuer = ctx.issuer.v1Issuer(ctx.directory.tenantId);
  if (c.iss !== expectedIssuer || c.tid !== ctx.directory.tenantId) {
    return authenticationError(
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer '${String(c.iss).slice(0, 200)}'. It must match the tenant '${expectedIssuer}' associated with this subscription. Please use the authority (URL) '${authUri}' to get the token.`,
      authUri,
      'The access token is from the wrong issuer.',
    );
  }
  const oid = typeof c.oid === 'string' ? c.oid.toLowerCase() : '';
  if (!/^[0-9a-f-]{36}$/.test(oid)) return authenticationError('InvalidAuthenticationToken', "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present.", authUri, 'The access token is invalid.');
  const isApp = c.idtyp === 'app';
  const upn = typeof c.upn === 'string' ? c.upn : typeof c.unique_name === 'string' ? c.unique_name : undefined;
  return {
    principalId: oid,
    tenantId: String(c.tid),
    appId: typeof c.appid === 'string' ? c.appid : '',
    isApp,
    clientName: isApp || !upn ? oid : upn,
  };
}
