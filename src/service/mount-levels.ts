import type { AuditLog } from '../audit/audit-log.ts';
import type { RequestHandler } from 'express';
import type { AppAction, AppSubject } from '../access/app-permissions.ts';
import type { AuditAppender } from '../agents/agent-registry.ts';
import { seedSandboxAgent } from '../agents/seed-sandbox-agent.ts';
import type { ServiceContext } from './service-context.ts';
import type { WebRoute } from '../web/create-web-app.ts';
import { agentRoutes } from '../web/pages/agents-routes.ts';
import { createLevelsRuntime, type LevelsRuntime } from '../levels/levels-runtime.ts';
import type { UserDirectory } from '../directory/requester-identity.ts';

export interface MountLevelsDeps {
  audit: AuditAppender;
  /** For doctor: recent sign-ins and whether they carried auth_time. */
  auditReader?: Pick<AuditLog, 'list'>;
  requireAbility: (action: AppAction, subject: AppSubject) => RequestHandler;
  csrfProtection: RequestHandler;
  /** The operations permission cache's invalidate, so its checks see applied roles at once. */
  onRolesChanged?: (principalId: string) => void;
  /** Where a raise's "asked by" is resolved (the operations API's Graph directory). */
  userDirectory?: UserDirectory;
}

export interface LevelsMount {
  runtime: LevelsRuntime;
  /** For WebAppDeps.routes: /agents (registry, plan, apply, test connection). */
  routes: WebRoute[];
  /** Settles once the sandbox's seeded agent is registered (sandbox mode); never rejects. */
  ready: Promise<void>;
}

/**
 * The agent registry and level enforcement, mounted into the service: the runtime over the
 * service's store, governance credential and policies; the pages; the inventory schedule
 * (stopped at shutdown); and, in sandbox mode, the seeded agent registered if absent.
 */
export function mountLevels(ctx: ServiceContext, deps: MountLevelsDeps): LevelsMount {
  const source = ctx.serviceCredentialSource;
  const runtime = createLevelsRuntime({
    mode: ctx.config.mode,
    store: ctx.store,
    audit: deps.audit,
    endpoints: ctx.endpoints,
    governanceCredential: ctx.serviceCredential,
    governance: {
      kind: source.kind,
      clientId: ctx.endpoints.clientId,
      ...(source.kind === 'workload-identity' ? { federatedTokenFile: source.tokenFile } : {}),
    },
    policies: ctx.policies,
    roleCatalog: ctx.roleCatalog,
    inventoryRefreshSeconds: ctx.config.inventoryRefreshSeconds,
    raisePendingTtlSeconds: ctx.config.requests.ttlSeconds,
    ...(ctx.clock ? { clock: ctx.clock } : {}),
    logger: ctx.logger.child({ component: 'levels' }),
    metrics: ctx.metrics,
    ...(deps.onRolesChanged ? { onRolesChanged: deps.onRolesChanged } : {}),
    ...(deps.auditReader ? { auditReader: deps.auditReader } : {}),
    ...(deps.userDirectory ? { userDirectory: deps.userDirectory } : {}),
    leases: ctx.leases,
  });
  const stopSchedule = runtime.startInventorySchedule();
  ctx.onShutdown(stopSchedule);
  // Ends time-bound raises on time (and checks Azure did), resumes what a stop interrupted.
  const stopRaises = runtime.startRaiseSweeper(ctx.config.raiseSweepSeconds);
  ctx.onShutdown(stopRaises);

  const sandbox = ctx.sandbox;
  const ready = sandbox
    ? seedSandboxAgent(runtime.registry, sandbox.tenant).then(
        ({ created, agent }) => {
          if (created) ctx.logger.info({ agent: agent.name }, 'registered the sandbox agent');
        },
        (err: unknown) => ctx.logger.warn({ reason: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'could not register the sandbox agent'),
      )
    : Promise.resolve();

  return {
    runtime,
    routes: agentRoutes({ runtime, requireAbility: deps.requireAbility, csrfProtection: deps.csrfProtection }),
    ready,
  };
}
