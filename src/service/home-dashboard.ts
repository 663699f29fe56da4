/**
 * The start page's dashboard, composed from the capabilities: pending requests and recent
 * decisions (Approval:read), the agents with their levels and drift state (Agent:read), and
 * shortcuts by role. Signed out, it shows only the sign-in call to action (and, in sandbox mode,
 * the seeded accounts as help). Drift comes from a cached plan; a plan that takes longer than
 * `driftWaitMs` shows as "checking" this time and is ready on the next visit.
 */
import type { Agent } from '../agents/agent-types.ts';
import type { DriftStatus, DriftStatusSource } from '../levels/drift-status.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import { homeAgentItem, homeRequestItem, type HomeModel } from '../web/home-model.ts';
import type { HomeViewer } from '../web/home-route.ts';

export interface HomeDashboardDeps {
  pending: {
    countPending(): Promise<number>;
    listPending(): Promise<Array<{ request: OperationRequest; agent: Agent | undefined }>>;
  };
  recentDecisions: { list(limit?: number): Promise<OperationRequest[]> };
  agents: { list(): Promise<Agent[]> };
  drift: DriftStatusSource;
  signInPath: string;
  clock?: () => Date;
  driftWaitMs?: number;
}

const TITLE = 'Elevate';
const SUMMARY = "Permission governance and one-time on-behalf-of elevation for the SRE agent's managed identity.";
const LISTED = 5;

function boundedDrift(source: DriftStatusSource, agentId: string, waitMs: number, now: Date): Promise<DriftStatus> {
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<DriftStatus>((resolve) => {
    timer = setTimeout(
      () => resolve(source.peek(agentId) ?? { state: 'unknown', driftCount: 0, pendingChanges: 0, checkedAt: now.toISOString(), reason: 'still checking: reload in a moment' }),
      waitMs,
    );
  });
  return Promise.race([source.get(agentId), later]).finally(() => clearTimeout(timer));
}

export function homeDashboard(deps: HomeDashboardDeps): (viewer: HomeViewer) => Promise<HomeModel> {
  const clock = deps.clock ?? (() => new Date());
  const waitMs = deps.driftWaitMs ?? 4000;
  return async (viewer) => {
    const model: HomeModel = { title: TITLE, summary: SUMMARY, signedIn: viewer.signedIn };
    if (!viewer.signedIn) {
      model.signInHref = deps.signInPath;
      return model;
    }
    const now = clock();
    const agents = viewer.can('read', 'Agent') || viewer.can('read', 'Approval') ? await deps.agents.list() : [];
    const names = new Map(agents.map((a) => [a.id, a.name]));
    const jobs: Array<Promise<void>> = [];
    if (viewer.can('read', 'Approval')) {
      jobs.push(
        Promise.all([deps.pending.countPending(), deps.pending.listPending(), deps.recentDecisions.list(LISTED)]).then(([count, pending, decided]) => {
          model.pending = {
            count,
            canDecide: viewer.can('approve', 'Approval'),
            items: pending.slice(0, LISTED).map(({ request, agent }) => homeRequestItem(request, agent?.name, now, 'created')),
          };
          model.decisions = decided.map((r) => homeRequestItem(r, names.get(r.agentId), now, 'updated'));
        }),
      );
    }
    if (viewer.can('read', 'Agent')) {
      jobs.push(
        Promise.all(agents.map(async (a) => homeAgentItem(a, await boundedDrift(deps.drift, a.id, waitMs, now)))).then((items) => {
          model.agents = items;
        }),
      );
    }
    await Promise.all(jobs);
    const links: NonNullable<HomeModel['links']> = [];
    if (viewer.can('read', 'AuditLog')) links.push({ label: 'Audit log', href: '/audit/overview', description: 'Requests per day by outcome, search, export and verify the hash chain.' });
    links.push({ label: 'Agent API reference', href: '/api/v1/docs', description: 'The OpenAPI document of the agent API, browsable.' });
    model.links = links;
    return model;
  };
}
