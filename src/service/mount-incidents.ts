/**
 * The incidents capability mounted into the running service (src/incidents): the alert intake
 * under /api/v1/alerts, the agent's /api/v1/incidents (authenticated and rate-limited like the
 * operations API), and the /incidents pages.
 */
import type { AppAction, AppSubject } from '../access/app-permissions.ts';
import { createIncidentActivity } from '../incidents/incident-activity.ts';
import type { IncidentsModule } from '../incidents/incidents-module.ts';
import type { RequestHandler } from 'express';
import type { WebRoute } from '../web/create-web-app.ts';
import { ALERTS_PATH, alertBodyErrorHandler, alertIntakeRouter } from '../web/api/alert-intake-routes.ts';
import { API_BASE_PATH } from '../web/api/agent-api-paths.ts';
import { incidentsApiRouter } from '../web/api/incidents-routes.ts';
import type { OperationsApi } from '../web/api/operations-api.ts';
import { incidentPages } from '../web/pages/incident-pages.ts';
import type { ServiceContext } from './service-context.ts';

export interface IncidentsMount {
  /** The agent-facing API and the intake: mount before the operations API (same /api/v1 prefix). */
  apiRoutes: WebRoute[];
  pageRoutes: WebRoute[];
}

export function mountIncidents(
  ctx: ServiceContext,
  deps: {
    module: IncidentsModule;
    operations: Pick<OperationsApi, 'authenticate' | 'rateLimit'>;
    requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
    agentNames: () => Promise<ReadonlyMap<string, string>>;
  },
): IncidentsMount {
  ctx.onShutdown(() => deps.module.close());
  const intake = { intake: deps.module.intake };
  return {
    apiRoutes: [
      {
        path: ALERTS_PATH,
        // Express calls a four-argument handler only for errors; WebRoute's type does not name that kind.
        handlers: [
          alertBodyErrorHandler(intake) as unknown as RequestHandler,
          alertIntakeRouter({
            ...intake,
            secureWebhook: { validateToken: ctx.tokenValidator, actionGroupAppId: ctx.config.alerts.actionGroupAppId, appRole: ctx.config.alerts.appRole },
            sharedSecrets: ctx.config.alerts.sharedSecrets,
          }),
        ],
      },
      { path: `${API_BASE_PATH}/incidents`, handlers: [incidentsApiRouter({ api: deps.module.api, authenticate: deps.operations.authenticate, rateLimit: deps.operations.rateLimit })] },
    ],
    pageRoutes: [
      {
        path: '/incidents',
        handlers: [incidentPages({ store: deps.module.store, activity: createIncidentActivity(ctx.store), agentNames: deps.agentNames, requireAbility: deps.requireAbility })],
        nav: { label: 'Incidents', href: '/incidents' },
      },
    ],
  };
}
