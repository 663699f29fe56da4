/**
 * The audit pages and API inside the real web app, with the real access control, CSRF check,
 * policies and token validator; only the session is stood in for (a header names the signed-in
 * user), because sign-in itself is covered by the signin and browser tests.
 */
import { join } from 'node:path';
import type { RequestHandler } from 'express';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { createAuditModule, type AuditModule } from '../../src/audit/audit-module.ts';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { loadPolicies } from '../../src/policies/load-policies.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import type { SessionUser } from '../../src/sessions/session-data.ts';
import { csrfProtection, provideCsrfToken } from '../../src/sessions/csrf-protection.ts';
import { exposeSignedInUser, requireAbility } from '../../src/signin/access-control.ts';
import { sendDenial } from '../../src/signin/deny-response.ts';
import type { Database } from '../../src/store/database.ts';
import { openTestStore } from '../support/test-store.ts';
import { createWebApp, type WebRoute } from '../../src/web/create-web-app.ts';
import { mountAuditWeb } from '../../src/web/pages/audit-mount.ts';

export const TENANT = 'aaaaaaaa-0000-4000-8000-000000000001';
export const AUDIENCE = 'api://elevate-test';
export const ISSUER = `https://login.example.test/${TENANT}/v2.0`;
export const CSRF = 'csrf-token-for-tests-0123456789abcdef';

const user = (oid: string, upn: string, roles: string[]): SessionUser => ({ oid, tid: TENANT, upn, name: upn.split('@')[0]!, roles: roles as SessionUser['roles'], authTime: null, signedInAt: 0 });

export const USERS = {
  auditor: user('00000000-0000-4000-8000-0000000000a1', 'auditor@sandbox.test', ['auditor']),
  admin: user('00000000-0000-4000-8000-0000000000a2', 'admin@sandbox.test', ['administrator']),
  standard: user('00000000-0000-4000-8000-0000000000a3', 'standard@sandbox.test', ['standardUser']),
  reader: user('00000000-0000-4000-8000-0000000000a4', 'reader@sandbox.test', ['reader']),
};

/** Signs the user named by the x-test-user header in, for this request only. */
const stubSession: RequestHandler = (req, _res, next) => {
  const name = req.get('x-test-user') as keyof typeof USERS | undefined;
  const signedIn = name ? USERS[name] : undefined;
  (req as unknown as { session: object }).session = signedIn ? { user: signedIn, csrfToken: CSRF } : {};
  next();
};

export interface AuditWebRig {
  app: ReturnType<typeof createWebApp>;
  db: Database;
  module: AuditModule;
  token(claims: Record<string, unknown>, options?: { key?: 'trusted' | 'stranger'; expiresIn?: string | number; audience?: string }): Promise<string>;
  close(): Promise<void>;
}

export async function auditWebRig(options: { dir?: string; extraRoutes?: WebRoute[] } = {}): Promise<AuditWebRig> {
  const db = await openTestStore(options.dir ? join(options.dir, 'elevate.db') : ':memory:');
  const catalog = loadBuiltinCatalog();
  const policies = loadPolicies('./policies', { hasRole: (name) => catalog.byName(name) !== undefined });
  const module = createAuditModule({
    db,
    config: {
      checkpointKeyPath: options.dir ? join(options.dir, 'keys', 'checkpoint.pem') : undefined,
      checkpointEvery: 5,
      checkpointIntervalSeconds: 60,
      checkpointDir: undefined,
      checkpointBlobUrl: undefined,
      retentionDays: undefined,
      archiveDir: options.dir ? join(options.dir, 'archive') : '/nonexistent',
    },
  });

  const trusted = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(trusted.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const validateToken = createApiTokenValidator({ issuers: [ISSUER], tenantId: TENANT, audiences: [AUDIENCE], jwksUri: 'http://127.0.0.1:9/unused', keySet: createLocalJWKSet({ keys: [jwk] }) });

  const csrf = csrfProtection((req, res) => sendDenial(req, res, { status: 403, error: 'csrf_token_invalid', message: 'This form has expired.', view: 'errors/csrf-failed.njk' }));
  const web = mountAuditWeb(module, { signIn: { requireAbility, csrfProtection: csrf }, validateToken, policies });
  const app = createWebApp({
    mode: 'sandbox',
    logger: createLogger('silent'),
    metrics: createMetrics(),
    trustProxy: false,
    https: false,
    authorizeOrigin: 'http://127.0.0.1:8080',
    readiness: [],
    middleware: [...web.middleware, stubSession, provideCsrfToken, exposeSignedInUser(policies)],
    routes: [...web.routes, ...(options.extraRoutes ?? [])],
  });

  return {
    app,
    db,
    module,
    async token(claims, opts = {}) {
      const key = opts.key === 'stranger' ? stranger.privateKey : trusted.privateKey;
      return new SignJWT({ tid: TENANT, oid: '99999999-0000-4000-8000-000000000001', sub: 'siem', azp: '99999999-0000-4000-8000-0000000000cc', idtyp: 'app', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
        .setIssuer(ISSUER)
        .setAudience(opts.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '10m')
        .sign(key);
    },
    async close() {
      await module.close();
      await db.close();
    },
  };
}
