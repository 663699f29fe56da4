/**
 * Wires the incidents capability: the store, the alert intake, the follower that moves incidents
 * when their alert's changestate runs, the agent API use cases with their long-poll, and the
 * trigger check the operations API calls. No HTTP here (src/web) and no composition (src/service).
 */
import type { Logger } from '../observability/logger.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import { createRequestNotifier } from '../operations/request-notifier.ts';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import type { Database } from '../store/database.ts';
import { createAlertIntake } from './alert-intake.ts';
import { agentWaitKey, createIncidentApi } from './incident-api.ts';
import { createIncidentFollower } from './incident-follow-operations.ts';
import type { RoutableAgent } from './incident-routing.ts';
import { createIncidentStore } from './incident-store.ts';
import { createIncidentTriggerCheck } from './incident-trigger-check.ts';
import type { ChangeBus } from '../store/change-bus.ts';

export interface IncidentsModuleDeps {
  db: Database;
  audit: AuditSink;
  refusalAudit: AuditSink;
  agents: { list(): Promise<RoutableAgent[]> };
  clock?: () => Date;
  logger?: Logger | undefined;
  /** bound on parked long-poll readers (default 1000) */
  maxWaiters?: number;
  /** Carries alerts to agents long-polling on other instances (default: this process only). */
  changes?: ChangeBus | undefined;
}

export function createIncidentsModule(deps: IncidentsModuleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const store = createIncidentStore(deps.db);
  const notifier = createRequestNotifier({ maxWaiters: deps.maxWaiters ?? 1000, changes: deps.changes, channel: 'elevate_incidents', logger: deps.logger });
  const notify = (agentId: string | undefined) => {
    if (agentId) notifier.notify(agentWaitKey(agentId));
  };
  const intake = createAlertIntake({
    store,
    audit: deps.audit,
    refusalAudit: deps.refusalAudit,
    agents: deps.agents,
    notify,
    clock,
    logger: deps.logger,
  });
  const follower = createIncidentFollower({ store, audit: deps.audit, clock, notify, logger: deps.logger });
  const pending = new Set<Promise<unknown>>();
  return {
    store,
    intake,
    api: createIncidentApi({ store, notifier }),
    checkTrigger: createIncidentTriggerCheck(store),
    /** For the operations lifecycle's onTransition: never throws, never blocks the transition. */
    onRequestChanged(request: OperationRequest): void {
      const p = follower
        .onRequestChanged(request)
        .catch((err: unknown) => deps.logger?.error({ err, requestId: request.id }, 'following an incident operation failed'))
        .finally(() => pending.delete(p));
      pending.add(p);
    },
    /** Settles when every incident update started by a request change is done (shutdown, tests). */
    settled: () => Promise.all([...pending]).then(() => undefined),
    async close(): Promise<void> {
      await Promise.all([...pending]);
      notifier.close();
    },
  };
}

export type IncidentsModule = ReturnType<typeof createIncidentsModule>;
