import { rateLimitStoresFor } from './rate-limit-stores.ts';
import type { RequestHandler } from 'express';
import { createMsalClientCredential } from '../azure/service-credential.ts';
import type { ServiceContext } from './service-context.ts';
import { resolveSessionSecret } from '../sessions/session-secret.ts';
import { createSessions, type Sessions } from '../sessions/sessions.ts';
import type { WebRoute } from '../web/create-web-app.ts';
import { clientAuthFor } from '../signin/client-auth.ts';
import { createGroupLookup } from '../signin/group-memberships.ts';
import { lazyOidcProvider } from '../signin/oidc-provider.ts';
import { oidcSettings } from '../signin/oidc-settings.ts';
import type { SignInAuditLog } from '../signin/sign-in-audit.ts';
import { createSignIn, type SignIn, type SignInDeps } from '../signin/sign-in.ts';

export interface SignInMount {
  /** For WebAppDeps.middleware: session, timeouts, CSRF token for templates, user and ability. */
  middleware: RequestHandler[];
  /** For WebAppDeps.routes: the /auth/* routes. */
  routes: WebRoute[];
  /** For WebAppDeps.auth: the layout's sign-in link and sign-out form. */
  auth: { signInPath: string; signOutPath: string };
  signIn: SignIn;
  sessions: Sessions;
  /** Stops the session sweeper (also registered with ctx.onShutdown). */
  close(): void;
}

/**
 * Sign-in and sessions wired from the service context. Elevate's public URL is the configured
 * one, or the listen address (the redirect URI must match what the browser uses, and loopback
 * redirect URIs match on any port).
 */
export interface MountSignInDeps {
  /** Any append-only audit sink: the audit log, or one that collapses refusal floods (createAuditModule().refusalSink). */
  audit: SignInAuditLog;
  /** Epoch milliseconds; defaults to Date.now. */
  now?: () => number;
  rateLimits?: SignInDeps['rateLimits'];
}

export function mountSignIn(ctx: ServiceContext, deps: MountSignInDeps): SignInMount {
  const { config, endpoints } = ctx;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const publicUrl = config.http.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  const settings = oidcSettings({
    authorityHost: endpoints.authorityHost,
    tenantId: endpoints.tenantId,
    clientId: endpoints.clientId,
    apiAudience: endpoints.apiAudience,
    publicUrl,
  });
  const sessions = createSessions({
    db: ctx.store,
    secret: resolveSessionSecret(config.session.secret, config.mode),
    publicUrl,
    trustProxy: config.http.trustProxy,
    timeouts: { idleSeconds: config.session.idleSeconds, absoluteSeconds: config.session.absoluteSeconds },
    logger: ctx.logger.child({ component: 'sessions' }),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const signIn = createSignIn({
    provider: lazyOidcProvider(settings, { clientAuth: clientAuthFor(createMsalClientCredential(ctx.serviceCredentialSource)) }),
    policies: ctx.policies,
    audit: deps.audit,
    logger: ctx.logger.child({ component: 'signin' }),
    sessionCookie: sessions.cookie,
    validateApiToken: ctx.tokenValidator,
    memberGroups: createGroupLookup(ctx.serviceCredential, endpoints),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
    rateLimitStore: rateLimitStoresFor(ctx),
    metrics: ctx.metrics,
  });
  ctx.onShutdown(() => sessions.close());
  return {
    middleware: [...sessions.middleware, signIn.exposeUser],
    routes: [{ path: '/', handlers: signIn.router }],
    auth: { signInPath: '/auth/signin', signOutPath: '/auth/signout' },
    signIn,
    sessions,
    close: () => sessions.close(),
  };
}
