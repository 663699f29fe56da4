import { randomUUID } from 'node:crypto';
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { Agent } from '../agents/agent-types.ts';
import type { AuditActor } from '../audit/audit-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { InventoryService } from '../levels/inventory-service.ts';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_LEVEL_RAISE_RULE, type LevelRaiseRule } from '../policies/approvals-schema.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { AsyncMutex } from '../store/async-mutex.ts';
import type { RaiseGrantGateway } from './arm-raise-grants.ts';
import { raiseEntry } from './raise-audit.ts';
import { createRaiseDecisions, type RaiseApprover } from './raise-decisions.ts';
import { createGrantRuns } from './raise-grant-runs.ts';
import { oneLine } from './raise-grant-removal.ts';
import { checkOnBehalfOf, checkRaiseRequest, overlappingRaise, type RaiseInput } from './raise-request-check.ts';
import { holdsGrants } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import { createRaiseSweep } from './raise-sweep.ts';
import { createRaiseTransitions } from './raise-transition.ts';
import { isConcurrentChange, RaiseConflictError, RaiseInputError, RaiseNotFoundError, type LevelRaise, type RaiseGrant, type RaiseMode, type RaiseRequester } from './raise-types.ts';

export interface RaiseServiceDeps {
  store: RaiseStore;
  agents: { get(ref: string): Promise<Agent> };
  inventory: Pick<InventoryService, 'get'>;
  /** levels.yaml; approvals.yaml's levelRaise (its defaults when absent). */
  policies: Pick<Policies, 'levels'> & { approvals?: { levelRaise?: LevelRaiseRule | undefined } };
  catalog: readonly RoleDefinition[];
  gateway: RaiseGrantGateway;
  audit: AuditAppender;
  /** Elevate's clock: windows start, end and are swept on it. */
  clock: () => Date;
  /** How long a raise may wait for approval (ELEVATE_REQUEST_TTL_SECONDS). */
  pendingTtlSeconds: number;
  /** The operations permission cache's invalidate: the agent's checks see a grant or a revoke at once. */
  onRolesChanged?: (principalId: string) => void;
  logger?: Logger;
  newId?: () => string;
  /** Resolves the person an agent names as having asked (Microsoft Graph); without it, unresolved. */
  resolveRequester?: (spelling: string) => Promise<RequesterIdentity>;
}

export type { RaiseApprover };

export interface ModeObservation {
  mode: RaiseMode;
  reason: string;
  at: string;
}

/** An assignment a raise holds now: the plan treats it as expected, not as drift. */
export interface HeldGrant {
  raiseId: string;
  principalId: string;
  roleGuid: string;
  scope: string;
  endsAt: string;
}

export interface RaiseService {
  request(agentRef: string, input: RaiseInput, requester: RaiseRequester): Promise<LevelRaise>;
  approve(raiseId: string, approver: RaiseApprover, reason: string | null): Promise<LevelRaise>;
  deny(raiseId: string, approver: RaiseApprover, reason: string | null): Promise<LevelRaise>;
  /** An administrator ends the raise early. */
  end(raiseId: string, actor: RaiseApprover): Promise<LevelRaise>;
  /** The agent hands its raise back ("permissions not retained"). */
  handBack(agentId: string, raiseId: string): Promise<LevelRaise>;
  get(raiseId: string): Promise<LevelRaise>;
  /** The agent's own raise; NotFound for another agent's. */
  getForAgent(agentId: string, raiseId: string): Promise<LevelRaise>;
  listByAgent(agentId: string): Promise<LevelRaise[]>;
  listRecent(limit?: number): Promise<LevelRaise[]>;
  /** One pass over the open raises: expire, resume grants, end due windows, retry revokes, end approvals that never reached the record. */
  sweep(): Promise<void>;
  /** Assignments raises hold for this agent now. */
  heldGrants(agentId: string): Promise<HeldGrant[]>;
  rule(): LevelRaiseRule;
  /** The last mode a grant used or a probe found, and why. */
  lastMode(): ModeObservation | undefined;
  observeMode(o: ModeObservation): void;
}

export function createRaiseService(deps: RaiseServiceDeps): RaiseService {
  const locks = new Map<string, AsyncMutex>();
  const lockFor = (id: string) => {
    let m = locks.get(id);
    if (!m) locks.set(id, (m = new AsyncMutex()));
    return m;
  };
  const rule = () => deps.policies.approvals?.levelRaise ?? DEFAULT_LEVEL_RAISE_RULE;
  const now = () => deps.clock();
  const iso = () => now().toISOString();
  let observed: ModeObservation | undefined;
  let sweeping: Promise<void> | undefined;
  const transitions = createRaiseTransitions(deps);
  const { step } = transitions;
  const runs = createGrantRuns({ ...deps, step, observeMode: (o) => (observed = o) });
  const { runGrant, runRevoke } = runs;
  const decisions = createRaiseDecisions({ ...deps, rule, lockFor, transitions, runGrant });
  const sweepOnce = createRaiseSweep({ ...deps, lockFor, step, runs });

  const resolveNamed = async (spelling: string): Promise<RequesterIdentity> =>
    deps.resolveRequester ? deps.resolveRequester(spelling).catch((): RequesterIdentity => ({ status: 'unresolved', reason: 'directory_unavailable' })) : { status: 'unresolved', reason: 'directory_unavailable' };
  const userActor = (a: RaiseApprover): AuditActor => ({ kind: 'user', id: a.id, name: a.name });

  async function endNow(raiseId: string, reason: 'ended-by-admin' | 'handed-back' | 'expired', actor: AuditActor, agentId?: string): Promise<LevelRaise> {
    return lockFor(raiseId).runExclusive(async () => {
      const r = await deps.store.get(raiseId);
      if (agentId !== undefined && r.agentId !== agentId) throw new RaiseNotFoundError(`no level raise ${JSON.stringify(raiseId.slice(0, 80))}`);
      if (r.state === 'revoking' || r.state === 'ended') return r;
      let ended: LevelRaise;
      try {
        ended = await step(r, { type: 'end', reason, at: iso() }, 'level-raise.ended', actor, { reason });
      } catch (err) {
        if (!isConcurrentChange(err)) throw err;
        // Ended first by another instance (the sweeper at the window's end, another administrator): that end is the one on record.
        const current = await deps.store.get(raiseId);
        if (current.state === 'revoking' || current.state === 'ended') return current;
        throw err;
      }
      return runRevoke(ended);
    });
  }

  return {
    rule,
    lastMode: () => observed,
    observeMode(o) {
      observed = o;
    },
    async request(agentRef, input, asked) {
      const agent = await deps.agents.get(agentRef);
      const checked = checkRaiseRequest(input, agent, rule());
      // The named person is checked here whoever calls (API, CLI); their identity is only ever resolved here.
      const named = checkOnBehalfOf(asked.onBehalfOf);
      let requester: RaiseRequester = { kind: asked.kind, id: asked.id, name: asked.name };
      const overlapping = overlappingRaise(checked.resourceGroupIds);
      const openRaise = (r: LevelRaise) => new RaiseConflictError('raise_open', `the agent already has an open raise (${r.id}, ${r.state}) on ${r.resourceGroupIds.join(', ')}`);
      // Checked now, before anything is recorded, and again as the raise is stored (below).
      const overlap = overlapping(await deps.store.listOpenByAgent(agent.id));
      if (overlap) throw openRaise(overlap);
      const at = now();
      if (named !== undefined) requester = { ...requester, onBehalfOf: named, onBehalfOfIdentity: await resolveNamed(named) };
      const raise: LevelRaise = {
        id: deps.newId?.() ?? randomUUID(),
        agentId: agent.id,
        principalId: agent.uamiPrincipalId,
        ...checked,
        requestedBy: requester,
        state: 'pending',
        mode: null,
        modeReason: null,
        approvals: [],
        grants: [],
        createdAt: at.toISOString(),
        pendingUntil: new Date(at.getTime() + deps.pendingTtlSeconds * 1000).toISOString(),
        startsAt: null,
        endsAt: null,
        endReason: null,
        endedAt: null,
        verifiedAt: null,
        revokeAttempts: 0,
        nextAttemptAt: null,
        lastError: null,
        version: 0,
      };
      const actor: AuditActor = requester.kind === 'agent' ? { kind: 'agent', id: requester.id, name: requester.name } : { kind: 'user', id: requester.id, name: requester.name };
      await deps.audit.append(raiseEntry('level-raise.requested', raise, actor, { justification: raise.justification, requestedBy: { ...requester, onBehalfOf: requester.onBehalfOf ?? null } }));
      // Another request for the same groups may have been stored since the check above.
      const clash = await deps.store.insertUnlessClashing(raise, overlapping);
      if (clash) {
        await deps.audit.append(raiseEntry('level-raise.refused', raise, actor, { code: 'raise_open', overlaps: clash.id }, 'refused')).catch((err: unknown) => {
          deps.logger?.error({ raise: raise.id, reason: oneLine(err) }, 'level raise: could not record a refused request');
        });
        throw openRaise(clash);
      }
      return raise;
    },
    approve: decisions.approve,
    deny: decisions.deny,
    end: (raiseId, actor) => endNow(raiseId, 'ended-by-admin', userActor(actor)),
    async handBack(agentId, raiseId) {
      const agent = await deps.agents.get(agentId);
      return endNow(raiseId, 'handed-back', { kind: 'agent', id: agent.id, name: agent.name }, agent.id);
    },
    get: (id) => deps.store.get(id),
    async getForAgent(agentId, raiseId) {
      const r = await deps.store.get(raiseId);
      if (r.agentId !== agentId) throw new RaiseNotFoundError(`no level raise ${JSON.stringify(raiseId.slice(0, 80))}`);
      return r;
    },
    listByAgent: (agentId) => deps.store.listByAgent(agentId),
    listRecent: (limit) => deps.store.listRecent(limit),
    sweep() {
      // One pass at a time in this process: a slow pass is not overlapped by the next tick.
      sweeping ??= sweepOnce().finally(() => {
        sweeping = undefined;
      });
      return sweeping;
    },
    async heldGrants(agentId) {
      const t = now();
      return (await deps.store.listByAgent(agentId))
        .filter((r) => holdsGrants(r, t))
        .flatMap((r) => r.grants.filter((g) => g.status === 'granted' || g.status === 'planned').map((g) => ({ raiseId: r.id, principalId: r.principalId, roleGuid: g.roleGuid, scope: g.scope, endsAt: r.endsAt! })));
    },
  };
}

export { RaiseConflictError, RaiseInputError, RaiseNotFoundError };
export type { RaiseGrant };
