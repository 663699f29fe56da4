import type { RequestHandler } from 'express';
import type { AppAction, AppSubject } from '../../access/app-permissions.ts';
import type { LevelsRuntime } from '../../levels/levels-runtime.ts';
import type { WebRoute } from '../create-web-app.ts';
import { agentPages } from './agents-pages.ts';
import { levelPages } from './levels-pages.ts';

/** The /agents pages (registry, plan, apply, test connection) for WebAppDeps.routes. */
export function agentRoutes(deps: {
  runtime: LevelsRuntime;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
}): WebRoute[] {
  const common = { requireAbility: deps.requireAbility, csrfProtection: deps.csrfProtection };
  return [
    {
      path: '/agents',
      handlers: [agentPages({ registry: deps.runtime.registry, raises: deps.runtime.raises, ...common }), levelPages({ runtime: deps.runtime, ...common })],
      nav: { label: 'Agents', href: '/agents' },
    },
  ];
}
