import type { Request } from 'express';
import * as client from 'openid-client';
import '../sessions/session-data.ts';
import type { PendingSignIn, SessionUser, SignInBinding } from '../sessions/session-data.ts';
import { runAccountChecks } from './account-checks/account-check-pipeline.ts';
import { claimString, type AccountRefusal, type SignInClaims } from './account-checks/account-check.ts';
import { PENDING_SIGN_IN_SECONDS } from './begin-sign-in.ts';
import { claimsOfIssuerMismatch, classifyCallbackError, protocolFailure, type ProtocolFailure } from './callback-failure.ts';
import type { ApiTokenValidator } from '../azure/api-token-validator.ts';
import { ApiTokenError, delegatedApiTokenFrom, type DelegatedApiToken } from './delegated-api-token.ts';
import type { OidcProvider } from './oidc-provider.ts';
import { authenticationEvidence, type AuthenticationSource } from './authentication-evidence.ts';
import { parseClientInfo, type HomeAccount } from './client-info.ts';
import { rolesFromClaims } from '../access/roles-from-claims.ts';
import { tokenGroups } from '../access/token-groups.ts';
import type { MemberGroupsCheck } from '../azure/graph-member-groups.ts';
import type { Logger } from '../observability/logger.ts';
import type { ServiceRolesPolicy } from '../policies/service-roles-schema.ts';
import { groupMemberships, type GroupMemberships } from './group-memberships.ts';
import { sessionUserFromClaims } from './session-user-from-claims.ts';

export interface CompleteSignInDeps {
  provider: OidcProvider;
  /** The service-roles policy: which app roles and groups grant which Elevate role. */
  policies: { serviceRoles: ServiceRolesPolicy };
  /** Validates access tokens for Elevate's API (the same validator the API uses). */
  validateApiToken: ApiTokenValidator;
  /** Microsoft Graph's checkMemberGroups, for an ID token with the group overage indicator (group-memberships.ts). */
  memberGroups: MemberGroupsCheck;
  logger?: Logger | undefined;
  /** Epoch milliseconds. */
  now: () => number;
}

/** What a successful callback yields. The session has already been regenerated and holds `user`. */
export interface CompletedSignIn {
  user: SessionUser;
  /** What the sign-in was started for, if it was bound (see `beginSignIn`'s `boundTo`). */
  boundTo: SignInBinding | undefined;
  /** Epoch seconds when this flow was started. */
  startedAt: number;
  /** `prompt=login` was sent with this flow. */
  promptedLogin: boolean;
  /** The tenant authenticated the user during this flow (see authentication-evidence.ts). */
  authenticatedDuringFlow: boolean;
  /**
   * Epoch seconds: when the tenant authenticated the user (`auth_time`), or, without that
   * optional claim, the start of a `prompt=login` flow, the earliest it can have been. Null when
   * neither proves anything.
   */
  authenticatedAt: number | null;
  /** What `authenticatedAt` rests on. */
  authenticationSource: AuthenticationSource;
  /** Only when the flow asked for Elevate's API scope; valid for this callback only. */
  apiToken: DelegatedApiToken | undefined;
  returnTo: string;
  /** Who this browser was signed in as before, when that was another account (the session is now `user`'s). */
  previousUser?: Pick<SessionUser, 'oid' | 'upn' | 'name'> | undefined;
}

export type SignInFailure = ProtocolFailure | { kind: 'account'; refusal: AccountRefusal };

export type SignInOutcome =
  | { ok: true; signIn: CompletedSignIn }
  | { ok: false; failure: SignInFailure; claims: SignInClaims | undefined; boundReturnTo?: string | undefined };

/**
 * Handles `/auth/callback`: exchanges the code (PKCE, state, nonce, and max_age when one was
 * sent, all checked by openid-client; client_info asked for), runs the account checks, and on success regenerates the session id before
 * storing the identity. The pending flow is removed first, so a replayed callback finds nothing.
 */
export async function completeSignIn(deps: CompleteSignInDeps, req: Request): Promise<SignInOutcome> {
  const nowSeconds = Math.floor(deps.now() / 1000);
  const { settings } = deps.provider;
  const previous = req.session?.user;

  const callbackUrl = new URL(settings.redirectUri);
  callbackUrl.search = new URL(req.originalUrl, 'http://callback.invalid').search;
  const state = callbackUrl.searchParams.get('state');
  const pending = takePending(req, state);
  // A bound sign-in (an approval's) was started from a page the user can go back to.
  const fail = (failure: SignInFailure, claims?: SignInClaims): SignInOutcome => ({
    ok: false,
    failure,
    claims,
    ...(pending?.boundTo ? { boundReturnTo: pending.returnTo } : {}),
  });
  if (!state || !pending) return fail(protocolFailure('unknown-state'));
  // Persist the removal before doing anything slow, so a concurrent replay cannot use it too.
  await saveSession(req);
  if (nowSeconds - pending.startedAt >= PENDING_SIGN_IN_SECONDS) return fail(protocolFailure('expired-flow'));
  if (!pending.codeVerifier || !pending.nonce) return fail(protocolFailure('missing-pkce-verifier'));

  let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
  try {
    tokens = await client.authorizationCodeGrant(
      deps.provider.configuration,
      callbackUrl,
      {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
        ...(pending.maxAge !== undefined ? { maxAge: pending.maxAge } : {}),
      },
      // the account's home directory comes back as client_info (see client-info.ts)
      { client_info: '1' },
    );
  } catch (err) {
    const foreign = claimsOfIssuerMismatch(err);
    if (!foreign) return fail(classifyCallbackError(err));
    // Another issuer: always refused, but the account checks say why (personal account, guest).
    // Its groups are not looked up: Graph is not asked about an account of another directory.
    const refusal = checkAccount(deps, foreign, undefined, NOT_LOOKED_UP).refusal ?? { reason: 'wrong-issuer' as const, explanation: classifyCallbackError(err).explanation };
    return fail({ kind: 'account', refusal }, foreign);
  }
  const claims = tokens.claims() as SignInClaims | undefined;
  if (!claims) return fail(protocolFailure('token-validation-failed'));

  const home = parseClientInfo(tokens.client_info);
  // The ID token's groups, or, when it carries the overage indicator instead, Graph's answer.
  const memberships = await groupMemberships(tokenGroups(claims), { oid: claimString(claims, 'oid') ?? '', appRoles: claims.roles as string[] | undefined }, deps);
  const { roles, refusal } = checkAccount(deps, claims, home, memberships);
  if (refusal) return fail({ kind: 'account', refusal }, claims);

  // the home-tenant check passed, so home is set
  const user = { ...sessionUserFromClaims(claims, roles.map((r) => r.id), nowSeconds), ...(home ? { homeTenantId: home.tenantId } : {}) };
  const evidence = authenticationEvidence({ authTime: user.authTime, issuedAt: claims.iat, startedAt: pending.startedAt, promptedLogin: pending.promptedLogin, nowSeconds });
  let apiToken: DelegatedApiToken | undefined;
  if (pending.apiScopeRequested) {
    try {
      apiToken = await delegatedApiTokenFrom(tokens.access_token, deps.validateApiToken, {
        oid: user.oid,
        requiredScope: settings.apiScope.slice(settings.apiScope.lastIndexOf('/') + 1),
      });
    } catch (err) {
      if (err instanceof ApiTokenError) return fail(protocolFailure('api-token-invalid'), claims);
      throw err;
    }
  }

  await regenerateSession(req);
  req.session.user = user;
  await saveSession(req);

  return {
    ok: true,
    signIn: {
      user,
      boundTo: pending.boundTo,
      startedAt: pending.startedAt,
      promptedLogin: pending.promptedLogin,
      authenticatedDuringFlow: evidence.duringFlow,
      authenticatedAt: evidence.authenticatedAt,
      authenticationSource: evidence.source,
      apiToken,
      returnTo: pending.returnTo,
      previousUser: previous && previous.oid.toLowerCase() !== user.oid.toLowerCase() ? { oid: previous.oid, upn: previous.upn, name: previous.name } : undefined,
    },
  };
}

const NOT_LOOKED_UP: GroupMemberships = { groups: [], reading: { source: 'unmapped' } };

function checkAccount(deps: CompleteSignInDeps, claims: SignInClaims, home: HomeAccount | undefined, memberships: GroupMemberships) {
  // Only `roles` and the groups are passed: the principal type stays `user`, so app-only roles
  // (the SIEM reader's) can never be held by a person who signs in.
  const roles = rolesFromClaims({ roles: claims.roles as string[] | undefined, groups: memberships.groups }, deps.policies);
  const refusal = runAccountChecks({
    claims,
    home,
    tenantId: deps.provider.settings.tenantId,
    issuer: deps.provider.settings.issuer,
    roles: roles.map((r) => r.id),
    roleNames: deps.policies.serviceRoles.roles.filter((r) => r.principalType === 'user').map((r) => r.displayName),
    groups: memberships.reading,
  });
  return { roles, refusal };
}

function takePending(req: Request, state: string | null): PendingSignIn | undefined {
  const all = req.session?.pendingSignIns;
  if (!all || !state || !Object.hasOwn(all, state)) return undefined;
  const pending = all[state];
  delete all[state];
  if (Object.keys(all).length === 0) delete req.session.pendingSignIns;
  return pending;
}

function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

/** A new session id at sign-in: a cookie planted or observed before sign-in is worth nothing after. */
function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}
