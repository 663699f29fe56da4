/**
 * The audit API for SIEMs and scripts, under /api/v1/audit:
 *   GET /                 entries matching the filters, JSON, paged with an opaque cursor
 *   GET /entries/:seq     one entry
 *   GET /export           the filtered view as JSON Lines or CSV (streamed, with a trailer)
 * Callers are either a signed-in person whose roles allow AuditLog read/export (session cookie),
 * or an application with an app-only access token carrying the Audit.Read app role, validated
 * like the agent API's tokens. A bearer token, when present, is the only credential considered.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { defineAbilityFor, type AppAbility } from '../../access/define-ability.ts';
import type { AppAction } from '../../access/app-permissions.ts';
import { requiredRoleFor } from '../../access/required-role.ts';
import { rolesFromClaims } from '../../access/roles-from-claims.ts';
import { EXPORT_CONTENT_TYPES, isExportFormat, writeAuditExport } from '../../audit/audit-export.ts';
import type { AuditQuery } from '../../audit/audit-query.ts';
import { parseAuditSearch } from '../../audit/audit-search.ts';
import { TokenValidationError, type ApiTokenValidator } from '../../azure/api-token-validator.ts';
import type { ServiceRolesPolicy } from '../../policies/service-roles-schema.ts';
import { accessOf } from '../../signin/access-control.ts';
import { searchFailure } from '../pages/audit-pages.ts';

export interface AuditApiDeps {
  query: AuditQuery;
  validateToken: ApiTokenValidator;
  policies: { serviceRoles: ServiceRolesPolicy };
  clock?: () => Date;
  logger?: { warn(obj: object, msg: string): void };
}

/** Who is reading, as the refusal recorder and logs name them (never a token). */
export interface AuditCaller {
  kind: 'user' | 'service';
  id: string;
  name: string | null;
  ability: AppAbility;
}

const MAX_AUTHORIZATION_HEADER = 16_384;

function fail(res: Response, status: number, code: string, message: string): void {
  if (status === 401) res.set('WWW-Authenticate', code === 'unauthenticated' ? 'Bearer realm="elevate"' : 'Bearer realm="elevate", error="invalid_token"');
  res.status(status).set('Cache-Control', 'no-store').json({ error: { code, message } });
}

export function auditCallerOf(res: Response): AuditCaller | undefined {
  return res.locals.auditCaller as AuditCaller | undefined;
}

/** Resolves the caller from a bearer token or the session, or answers 401. */
export function auditApiAuthentication(deps: Pick<AuditApiDeps, 'validateToken' | 'policies'>): RequestHandler {
  return (req, res, next) => {
    const header = req.headers.authorization;
    if (header === undefined) {
      let user;
      try {
        user = accessOf(req).user;
      } catch {
        user = undefined; // no session middleware in front: only bearer callers can use the API
      }
      if (!user) return fail(res, 401, 'unauthenticated', 'sign in, or present an app-only access token with the Audit.Read role');
      res.locals.auditCaller = { kind: 'user', id: user.oid, name: user.upn, ability: accessOf(req).ability } satisfies AuditCaller;
      return next();
    }
    const match = typeof header === 'string' && header.length <= MAX_AUTHORIZATION_HEADER ? /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i.exec(header) : null;
    if (!match) return fail(res, 401, 'invalid_token', 'the Authorization header is not a bearer token');
    deps
      .validateToken(match[1]!)
      .then((claims) => {
        if (claims.principalType !== 'app' || (claims.idtyp !== undefined && claims.idtyp !== 'app')) {
          res.locals.auditCaller = { kind: 'user', id: claims.oid, name: claims.upn ?? claims.preferredUsername ?? null, ability: defineAbilityFor([]) } satisfies AuditCaller;
          return fail(res, 403, 'forbidden', 'the audit API accepts app-only tokens; people use the Elevate portal session');
        }
        const roles = rolesFromClaims({ roles: claims.roles, principalType: 'app' }, deps.policies);
        res.locals.auditCaller = { kind: 'service', id: claims.oid, name: claims.clientAppId, ability: defineAbilityFor(roles) } satisfies AuditCaller;
        next();
      })
      .catch((err: unknown) => {
        if (err instanceof TokenValidationError) {
          if (err.reason === 'keys_unavailable') return fail(res, 503, 'keys_unavailable', 'the tenant signing keys could not be loaded; try again');
          return fail(res, 401, 'invalid_token', `invalid token: ${err.message}`);
        }
        next(err);
      });
  };
}

function requireAudit(action: AppAction, policies: { serviceRoles: ServiceRolesPolicy }): RequestHandler {
  return (_req, res, next) => {
    const caller = auditCallerOf(res);
    if (caller?.ability.can(action, 'AuditLog')) return next();
    fail(res, 403, 'forbidden', caller?.kind === 'service' ? `${action === 'read' ? 'Reading' : 'Exporting'} the audit log needs the Audit.Read app role.` : requiredRoleFor(action, 'AuditLog', policies));
  };
}

const route =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch((err: unknown) => {
      const failure = searchFailure(err);
      if (failure && !res.headersSent) return fail(res, 400, failure.code, failure.message);
      next(err);
    });
  };

function limitParam(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[0-9]{1,4}$/.test(value)) return NaN; // the query layer names the valid range
  return Number(value);
}

export function auditApiRoutes(deps: AuditApiDeps): Router {
  const router = Router();
  const clock = deps.clock ?? (() => new Date());
  router.use(auditApiAuthentication(deps));

  router.get(
    '/',
    requireAudit('read', deps.policies),
    route(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const search = parseAuditSearch(q, ['cursor', 'limit', 'order']);
      const limit = limitParam(q.limit);
      const order = q.order === undefined ? undefined : String(q.order);
      const cursor = q.cursor === undefined ? undefined : String(q.cursor);
      const page = await deps.query.page(search, {
        ...(limit !== undefined ? { limit } : {}),
        ...(order !== undefined ? { order: order as 'desc' } : {}),
        ...(cursor !== undefined ? { cursor } : {}),
      });
      res.set('Cache-Control', 'no-store').json({ entries: page.entries, nextCursor: page.nextCursor, search });
    }),
  );

  router.get(
    '/entries/:seq',
    requireAudit('read', deps.policies),
    route(async (req, res) => {
      const raw = String(req.params.seq);
      const entry = /^[1-9][0-9]{0,15}$/.test(raw) ? await deps.query.entry(Number(raw)) : undefined;
      if (!entry) return fail(res, 404, 'not_found', 'no audit entry with that sequence number (it may have been archived)');
      res.set('Cache-Control', 'no-store').json(entry);
    }),
  );

  router.get(
    '/export',
    requireAudit('export', deps.policies),
    route(async (req, res) => {
      const q = req.query as Record<string, unknown>;
      const search = parseAuditSearch(q, ['format', 'order']);
      const format = q.format ?? 'jsonl';
      if (!isExportFormat(format)) return fail(res, 400, 'bad_search', 'format must be jsonl or csv');
      const order = q.order === undefined ? 'desc' : q.order;
      if (order !== 'desc' && order !== 'asc') return fail(res, 400, 'bad_search', 'order must be desc or asc');
      res.status(200).set({ 'Content-Type': EXPORT_CONTENT_TYPES[format], 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' });
      try {
        await writeAuditExport(deps.query, search, res, { format, order, clock });
      } catch (err) {
        deps.logger?.warn({ reason: (err as Error).message }, 'audit export interrupted');
        res.destroy();
      }
    }),
  );

  return router;
}
