import { createHash, randomBytes } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKeyStore } from '../keys/signing-keys.ts';
import type { DirectoryApplication, DirectoryUser, OptionalClaimName, ResourceServer } from '../state/directory.ts';
import type { SignInAuthentication } from '../state/entra-sessions.ts';
import { CONSUMERS_TENANT_ID } from '../state/first-party-apps.ts';

/** Entra's backdating of `iat` and `nbf`, in seconds (see times()); the sandbox's own figure, not Elevate's. */
const ENTRA_IAT_BACKDATE_SECONDS = 300;

/**
 * Mints tokens shaped like Entra's: v2 ID tokens, v2 access tokens for resources whose
 * registration asks for v2, and v1 access tokens for the others (ARM, Graph, and Elevate's API as
 * a new registration leaves it), each signed RS256 with the current key and its `kid`/`x5t` in
 * the header.
 */

export interface IssuedToken {
  token: string;
  expiresIn: number;
  expiresOn: number;
  claims: JWTPayload;
}

/** How the client proved itself (`appidacr`/`azpacr`): 0 public, 1 secret, 2 certificate or assertion. */
export type ClientAuthLevel = '0' | '1' | '2';

export interface UserTokenRequest {
  user: DirectoryUser;
  client: DirectoryApplication;
  clientAuth: ClientAuthLevel;
  resource: ResourceServer;
  /** delegated scope values, e.g. ['user_impersonation'] */
  scopes: string[];
  roles: string[];
  /** `groups`, or the overage indicator, per the resource's registration (group-claims.ts); {} for none. */
  groupClaims: JWTPayload;
  authTime: number;
  sessionId: string;
  /** what the sign-in behind the token established (`amr`, `acrs`) */
  authentication: SignInAuthentication;
}

export interface AppTokenRequest {
  /** the calling client's app id (a managed identity's client id) */
  appId: string;
  /** the service principal's object id */
  principalId: string;
  clientAuth: ClientAuthLevel;
  resource: ResourceServer;
  roles: string[];
  /** managed identities: their ARM resource id */
  managedIdentityResourceId?: string;
}

export interface IdTokenRequest {
  user: DirectoryUser;
  client: DirectoryApplication;
  nonce: string | undefined;
  authTime: number;
  sessionId: string;
  roles: string[];
  /** `groups`, or the overage indicator, per the client's registration (group-claims.ts); {} for none. */
  groupClaims: JWTPayload;
}

/**
 * First-party resources (ARM, Graph) are Microsoft's registrations, not the tenant's, so no seed
 * setting applies; the sandbox keeps auth_time in their v1 tokens. Elevate never reads it there.
 */
const FIRST_PARTY_OPTIONAL: ReadonlySet<OptionalClaimName> = new Set(['auth_time']);

const uti = () => randomBytes(16).toString('base64url').slice(0, 22);
const nowSeconds = () => Math.floor(Date.now() / 1000);

export class TokenIssuer {
  constructor(
    private readonly keys: SigningKeyStore,
    private readonly origin: string,
    readonly lifetimeSeconds: number,
  ) {}

  v2Issuer(tenantId: string): string {
    return `${this.origin}/${tenantId}/v2.0`;
  }

  v1Issuer(tenantId: string): string {
    return `https://sts.windows.net/${tenantId}/`;
  }

  /** Entra's `sub` is pairwise: stable for a user and an app, different across apps. */
  pairwiseSubject(oid: string, appId: string): string {
    return createHash('sha256').update(`${oid}|${appId}`).digest('base64url').slice(0, 43);
  }

  /**
   * Claims about who the user is. `idp` is a default claim, present when the account's home is
   * not the issuing tenant: the home tenant's STS URI for a guest, `live.com` for a personal
   * Microsoft account invited as a guest. `acct` (0 member, 1 guest) is an optional claim, sent
   * only when the app registration asks for it.
   * https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference
   * https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
   */
  private identityClaims(user: DirectoryUser, optional: ReadonlySet<OptionalClaimName>): JWTPayload {
    const claims: JWTPayload = { oid: user.oid, tid: user.tokenTenantId, name: user.displayName };
    if (user.kind === 'personal') claims.idp = 'live.com';
    if (user.kind === 'guest') claims.idp = `https://sts.windows.net/${user.homeTenantId}/`;
    if (optional.has('acct')) claims.acct = user.kind === 'work' ? 0 : 1;
    return claims;
  }

  private async sign(claims: JWTPayload): Promise<IssuedToken> {
    const key = this.keys.current();
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid }).sign(key.privateKey);
    const exp = claims.exp!;
    return { token, expiresIn: exp - nowSeconds(), expiresOn: exp, claims };
  }

  /**
   * As Entra ID stamps them: `iat` and `nbf` five minutes before the token is minted (a buffer for
   * clocks that run behind; Microsoft's identity team: "Azure AD normally includes a 5-minute
   * buffer in both the iat and nbf claims", https://github.com/psignoret/aad-sso-wordpress/issues/34),
   * `exp` the lifetime after it. A relying party that reads `iat` as "minted now" is caught here.
   */
  private times(): { iat: number; nbf: number; exp: number } {
    const now = nowSeconds();
    const backdated = now - ENTRA_IAT_BACKDATE_SECONDS;
    return { iat: backdated, nbf: backdated, exp: now + this.lifetimeSeconds };
  }

  /** `auth_time` only when the app registration lists it under `optionalClaims.idToken`. */
  async idToken(r: IdTokenRequest): Promise<IssuedToken> {
    const optional = r.client.optionalClaims.idToken;
    const claims: JWTPayload = {
      aud: r.client.clientId,
      iss: this.v2Issuer(r.user.tokenTenantId),
      ...this.times(),
      ...this.identityClaims(r.user, optional),
      sub: this.pairwiseSubject(r.user.oid, r.client.clientId),
      preferred_username: r.user.upn,
      // a guest's email is sent by default; a member's only on request
      email: r.user.kind === 'work' ? undefined : r.user.upn,
      sid: r.sessionId,
      uti: uti(),
      ver: '2.0',
    };
    if (optional.has('auth_time')) claims.auth_time = r.authTime;
    if (r.nonce !== undefined) claims.nonce = r.nonce;
    if (r.roles.length > 0) claims.roles = r.roles;
    Object.assign(claims, r.groupClaims);
    if (claims.email === undefined) delete claims.email;
    return this.sign(claims);
  }

  /**
   * For the tenant's own APIs the optional claims come from the resource's registration
   * (`optionalClaims.accessToken`); first-party v1 resources (ARM, Graph) keep their own set.
   */
  async userAccessToken(r: UserTokenRequest): Promise<IssuedToken> {
    const optional = r.resource.app ? r.resource.app.optionalClaims.accessToken : FIRST_PARTY_OPTIONAL;
    const base: JWTPayload = {
      aud: r.resource.audience,
      ...this.times(),
      ...this.identityClaims(r.user, optional),
      sub: this.pairwiseSubject(r.user.oid, r.resource.appId),
      scp: r.scopes.join(' '),
      sid: r.sessionId,
      idtyp: 'user',
      uti: uti(),
    };
    if (optional.has('auth_time')) base.auth_time = r.authTime;
    if (r.roles.length > 0) base.roles = r.roles;
    Object.assign(base, r.groupClaims);
    // The Conditional Access authentication contexts the sign-in satisfied, in both versions.
    if (r.authentication.acrs.length > 0) base.acrs = [...r.authentication.acrs];
    if (r.resource.accessTokenVersion === 2) {
      return this.sign({
        ...base,
        iss: this.v2Issuer(r.user.tokenTenantId),
        azp: r.client.clientId,
        azpacr: r.clientAuth,
        preferred_username: r.user.upn,
        ver: '2.0',
      });
    }
    const v1: JWTPayload = {
      ...base,
      iss: this.v1Issuer(r.user.tokenTenantId),
      appid: r.client.clientId,
      appidacr: r.clientAuth,
      // How the user signed in: ["pwd"], plus "mfa" only when the sign-in performed it (v1 only).
      amr: [...r.authentication.amr],
      acr: '1',
      unique_name: r.user.kind === 'personal' ? `live.com#${r.user.upn}` : r.user.upn,
      ver: '1.0',
    };
    if (r.user.kind === 'work') v1.upn = r.user.upn;
    return this.sign(v1);
  }

  async appAccessToken(r: AppTokenRequest, tenantId: string): Promise<IssuedToken> {
    const base: JWTPayload = {
      aud: r.resource.audience,
      ...this.times(),
      oid: r.principalId,
      sub: r.principalId,
      tid: tenantId,
      idtyp: 'app',
      uti: uti(),
    };
    if (r.roles.length > 0) base.roles = r.roles;
    if (r.managedIdentityResourceId) base.xms_mirid = r.managedIdentityResourceId;
    if (r.resource.accessTokenVersion === 2) {
      return this.sign({ ...base, iss: this.v2Issuer(tenantId), azp: r.appId, azpacr: r.clientAuth, ver: '2.0' });
    }
    return this.sign({ ...base, iss: this.v1Issuer(tenantId), appid: r.appId, appidacr: r.clientAuth, ver: '1.0' });
  }

  /**
   * `client_info` (sent when the token request has client_info=1): the account's HOME identity,
   * `uid` its object id and `utid` its tenant in the home directory, as base64url JSON. For a
   * guest that is the other organisation's tenant, for a personal account the consumers tenant;
   * MSAL builds its home account id from it.
   */
  clientInfo(user: DirectoryUser): string {
    return Buffer.from(JSON.stringify({ uid: user.homeOid, utid: user.homeTenantId })).toString('base64url');
  }
}

export const isConsumersTenant = (tid: unknown) => tid === CONSUMERS_TENANT_ID;
