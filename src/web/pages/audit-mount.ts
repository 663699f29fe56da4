/**
 * The audit capability's web parts, for the composition root: the pages under /audit, the API
 * under /api/v1/audit, and the middleware that audits every 401/403.
 *
 *   const auditModule = createAuditModule({ db: ctx.store, config: ctx.config.audit, logger, metrics });
 *   const signIn = mountSignIn(ctx, { audit: auditModule.refusalSink });
 *   const auditWeb = mountAuditWeb(auditModule, { signIn: signIn.signIn, validateToken: ctx.tokenValidator, policies: ctx.policies });
 *   middleware: [...auditWeb.middleware, ...signIn.middleware], routes: [...signIn.routes, ...auditWeb.routes]
 */
import type { RequestHandler } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { AuditModule } from '../../audit/audit-module.ts';
import type { ApiTokenValidator } from '../../azure/api-token-validator.ts';
import type { Logger } from '../../observability/logger.ts';
import type { ServiceRolesPolicy } from '../../policies/service-roles-schema.ts';
import type { WebRoute } from '../create-web-app.ts';
import { auditApiRoutes } from '../api/audit-routes.ts';
import { auditPages } from './audit-pages.ts';
import { auditHttpRefusals } from './audit-refusal-middleware.ts';

export interface AuditWebDeps {
  signIn: { requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler; csrfProtection: RequestHandler };
  validateToken: ApiTokenValidator;
  policies: { serviceRoles: ServiceRolesPolicy };
  logger?: Logger;
  clock?: () => Date;
  /** The registry's agents, so audit pages show agent names beside their ids. */
  agents?: { list(): Promise<ReadonlyArray<{ id: string; name: string }>> };
  /** The incident a request is tied to, for the request timeline's link (src/incidents). */
  incidentOfRequest?: (requestId: string) => Promise<string | undefined>;
}

export interface AuditWeb {
  routes: WebRoute[];
  /** Put first: it watches every response for 401/403. */
  middleware: RequestHandler[];
}

export function mountAuditWeb(module: Pick<AuditModule, 'query' | 'overview' | 'verifier' | 'recorder'>, deps: AuditWebDeps): AuditWeb {
  const agents = deps.agents;
  const agentNames = agents ? async () => new Map((await agents.list()).map((a) => [a.id.toLowerCase(), a.name] as const)) : undefined;
  const common = { ...(deps.logger ? { logger: deps.logger } : {}), ...(deps.clock ? { clock: deps.clock } : {}) };
  return {
    middleware: [auditHttpRefusals(module.recorder, deps.logger)],
    routes: [
      {
        path: '/audit',
        nav: { label: 'Audit', href: '/audit/overview' },
        handlers: auditPages({ query: module.query, overview: module.overview, verifier: module.verifier, requireAbility: deps.signIn.requireAbility, csrfProtection: deps.signIn.csrfProtection, ...(agentNames ? { agentNames } : {}), ...(deps.incidentOfRequest ? { incidentOfRequest: deps.incidentOfRequest } : {}), ...common }),
      },
      { path: '/api/v1/audit', handlers: auditApiRoutes({ query: module.query, validateToken: deps.validateToken, policies: deps.policies, ...common }) },
    ],
  };
}
