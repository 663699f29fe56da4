import { randomUUID } from 'node:crypto';
import type { AuditActor } from '../audit/audit-types.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';
import type { AuditAppender } from '../agents/agent-registry.ts';
import type { Agent } from '../agents/agent-types.ts';
import type { InventoryService } from '../levels/inventory-service.ts';
import type { Logger } from '../observability/logger.ts';
import { DEFAULT_LEVEL_RAISE_RULE, type LevelRaiseRule } from '../policies/approvals-schema.ts';
import { desiredRolesFor } from '../policies/desired-roles.ts';
import type { Policies } from '../policies/policies.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { AsyncMutex } from '../store/async-mutex.ts';
import { GrantRefusedError, PimUnavailableError, type GrantWindow, type RaiseGrantGateway } from './arm-raise-grants.ts';
import { grantsFacts, raiseEntry, SYSTEM_ACTOR } from './raise-audit.ts';
import { createGrantRemoval, oneLine, windowOf } from './raise-grant-removal.ts';
import { checkOnBehalfOf, checkRaiseRequest, type RaiseInput } from './raise-request-check.ts';
import { raiseGrants } from './raise-roles.ts';
import { applyRaiseEvent, holdsGrants, isDue, retryDelayMs, type RaiseEvent } from './raise-state-machine.ts';
import type { RaiseStore } from './raise-store.ts';
import { RaiseConflictError, RaiseInputError, RaiseNotFoundError, type LevelRaise, type RaiseGrant, type RaiseMode, type RaiseRequester } from './raise-types.ts';

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

export interface RaiseApprover {
  id: string;
  name: string | null;
}

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
  /** One pass over the open raises: expire, resume grants, end due windows, retry revokes. */
  sweep(): Promise<void>;
  /** Assignments raises hold for this agent now. */
  heldGrants(agentId: string): Promise<HeldGrant[]>;
  rule(): LevelRaiseRule;
  /** The last mode a grant used or a probe found, and why. */
  lastMode(): ModeObservation | undefined;
  observeMode(o: ModeObservation): void;
}

const PIM_REASON = 'PIM for Azure resources is available: Azure ends the assignments at the end of the window';

export function createRaiseService(deps: RaiseServiceDeps): RaiseService {
  const locks = new Map<string, AsyncMutex>();
  const lockFor = (id: string) => {
    let m = locks.get(id);
    if (!m) locks.set(id, (m = new AsyncMutex()));
    return m;
  };
  const rule = () => deps.policies.approvals?.levelRaise ?? DEFAULT_LEVEL_RAISE_RULE;
  const { removeGrant, takeBackLateGrant } = createGrantRemoval(deps);
  const now = () => deps.clock();
  const iso = () => now().toISOString();
  let observed: ModeObservation | undefined;
  let sweeping: Promise<void> | undefined;
  const catalogByName = new Map<string, RoleDefinition>();
  for (const r of deps.catalog) if (!catalogByName.has(r.roleName.toLowerCase())) catalogByName.set(r.roleName.toLowerCase(), r);

  /** Applies an event: audit first (no entry, no change), then the version-checked write. */
  async function step(raise: LevelRaise, event: RaiseEvent, eventType: string, actor: AuditActor, extra: Record<string, unknown> = {}): Promise<LevelRaise> {
    const next = applyRaiseEvent(raise, event);
    await deps.audit.append(raiseEntry(eventType, next, actor, extra as never));
    return deps.store.update(next);
  }

  /** Who asked, as the directory knows them: an administrator by object id; a person an agent named as resolved then. */
  const requesterOf = (r: LevelRaise): RequesterIdentity | undefined =>
    r.requestedBy.kind === 'user'
      ? { status: 'resolved', objectId: r.requestedBy.id.toLowerCase() }
      : r.requestedBy.onBehalfOf === undefined
        ? undefined
        : (r.requestedBy.onBehalfOfIdentity ?? { status: 'unresolved', reason: 'directory_unavailable' });
  const resolveNamed = async (spelling: string): Promise<RequesterIdentity> =>
    deps.resolveRequester ? deps.resolveRequester(spelling).catch((): RequesterIdentity => ({ status: 'unresolved', reason: 'directory_unavailable' })) : { status: 'unresolved', reason: 'directory_unavailable' };
  const userActor = (a: RaiseApprover): AuditActor => ({ kind: 'user', id: a.id, name: a.name });

  async function runGrant(start: LevelRaise): Promise<LevelRaise> {
    let r = start;
    if (r.endsAt && Date.parse(r.endsAt) <= now().getTime()) return runRevoke(await step(r, { type: 'end', reason: 'expired', at: iso() }, 'level-raise.ended', SYSTEM_ACTOR, { reason: 'expired' }));
    if (r.grants.length === 0) {
      const agent = await deps.agents.get(r.agentId);
      const inventory = await deps.inventory.get(r.resourceGroupIds);
      const { grants, unknownScopes } = raiseGrants({
        raiseId: r.id,
        agent,
        resourceGroupIds: r.resourceGroupIds,
        targetLevel: r.targetLevel,
        inventory,
        desiredRoles: (level, types) => desiredRolesFor(level, types, deps.policies),
        roleByName: (name) => catalogByName.get(name.toLowerCase()),
      });
      // Without the groups' resource types the grants are unknown: try again on the next sweep.
      if (unknownScopes.length > 0) throw new Error(`resource types unknown in ${unknownScopes.join(', ')}; the grant is retried`);
      r = await deps.store.update({ ...r, grants });
    }
    if (!r.mode) r = await deps.store.update({ ...r, mode: 'pim', modeReason: PIM_REASON });
    const grants = r.grants.map((g) => ({ ...g }));
    for (let i = 0; i < grants.length; i++) {
      if (grants[i]!.status !== 'planned') continue;
      try {
        grants[i] = await deps.gateway.grant(r.mode!, grants[i]!, windowOf(r));
      } catch (err) {
        if (err instanceof PimUnavailableError && r.mode === 'pim' && !grants.some((g) => g.status === 'granted')) {
          // Nothing was made through PIM: the whole raise falls back to plain assignments Elevate revokes.
          observed = { mode: 'fallback', reason: err.message, at: iso() };
          deps.logger?.warn({ raise: r.id, reason: err.message }, 'PIM unavailable: the raise uses plain role assignments with a revoke schedule');
          r = await deps.store.update({ ...r, mode: 'fallback', modeReason: err.message, grants });
          i--;
          continue;
        }
        if (err instanceof GrantRefusedError || err instanceof PimUnavailableError) {
          deps.logger?.warn({ raise: r.id, reason: err.message }, 'level raise: Azure refused a grant; removing what was made');
          const failed = await step(r, { type: 'grant-failed', mode: r.mode, modeReason: r.modeReason, grants, error: err.message, at: iso() }, 'level-raise.grant-failed', SYSTEM_ACTOR, {
            error: err.message,
            grants: grantsFacts(grants),
          });
          return runRevoke(failed);
        }
        await deps.store.update({ ...r, grants, lastError: oneLine(err) }).catch(() => undefined);
        throw err;
      }
      try {
        r = await deps.store.update({ ...r, grants });
      } catch (err) {
        // Another instance may have ended the raise while this grant was on its way to Azure.
        if (err instanceof RaiseConflictError) await takeBackLateGrant(r, grants[i]!);
        throw err;
      }
    }
    if (r.mode === 'pim') observed = { mode: 'pim', reason: PIM_REASON, at: iso() };
    const granted = await step(r, { type: 'granted', mode: r.mode!, modeReason: r.modeReason ?? '', grants, at: iso() }, 'level-raise.granted', SYSTEM_ACTOR, {
      grants: grantsFacts(grants),
      modeReason: r.modeReason,
    });
    deps.onRolesChanged?.(r.principalId);
    return granted;
  }

  async function runRevoke(start: LevelRaise): Promise<LevelRaise> {
    const r = start;
    const early = r.endsAt !== null && Date.parse(r.endsAt) > now().getTime();
    const grants = r.grants.map((g) => ({ ...g }));
    const problems: string[] = [];
    for (const g of grants) {
      if (g.status === 'preexisting' || g.status === 'removed') continue;
      const problem = await removeGrant(r, g, early);
      if (problem !== undefined) problems.push(problem);
      else g.status = 'removed';
    }
    deps.onRolesChanged?.(r.principalId);
    if (problems.length > 0) {
      const error = problems.join('; ').slice(0, 1000);
      const retryAt = new Date(now().getTime() + retryDelayMs(r.revokeAttempts)).toISOString();
      deps.logger?.warn({ raise: r.id, attempts: r.revokeAttempts + 1, error }, 'level raise: revoke incomplete; retried');
      return step(r, { type: 'revoke-failed', grants, error, retryAt }, 'level-raise.revoke-failed', SYSTEM_ACTOR, { error, retryAt, grants: grantsFacts(grants) }).catch((err: unknown) => {
        deps.logger?.error({ raise: r.id, reason: oneLine(err) }, 'level raise: could not record a failed revoke');
        return r;
      });
    }
    return step(r, { type: 'verified-gone', grants, at: iso() }, 'level-raise.verified-gone', SYSTEM_ACTOR, { grants: grantsFacts(grants), endReason: r.endReason });
  }

  async function endNow(raiseId: string, reason: 'ended-by-admin' | 'handed-back' | 'expired', actor: AuditActor, agentId?: string): Promise<LevelRaise> {
    return lockFor(raiseId).runExclusive(async () => {
      const r = await deps.store.get(raiseId);
      if (agentId !== undefined && r.agentId !== agentId) throw new RaiseNotFoundError(`no level raise ${JSON.stringify(raiseId.slice(0, 80))}`);
      if (r.state === 'revoking' || r.state === 'ended') return r;
      const ended = await step(r, { type: 'end', reason, at: iso() }, 'level-raise.ended', actor, { reason });
      return runRevoke(ended);
    });
  }

  /**
   * A raise whose pending window has passed is expired here and now, not left to the sweeper: only
   * the leader sweeps, every few seconds, and the CLI never does, so a stale raise would otherwise
   * stay approvable (and approving grants real roles). Called inside the raise's lock.
   */
  async function refuseIfPendingExpired(r: LevelRaise, verb: 'approved' | 'denied'): Promise<void> {
    const t = now();
    if (r.state !== 'pending' || Date.parse(r.pendingUntil) > t.getTime()) return;
    await step(r, { type: 'pending-expired', at: t.toISOString() }, 'level-raise.expired', SYSTEM_ACTOR);
    throw new RaiseConflictError('invalid_state', `the raise expired before it was ${verb}`);
  }

  async function sweepOnce(): Promise<void> {
    for (const open of await deps.store.listOpen()) {
      try {
        await lockFor(open.id).runExclusive(async () => {
          const r = await deps.store.get(open.id);
          const t = now();
          if (r.state === 'pending' && Date.parse(r.pendingUntil) <= t.getTime()) await step(r, { type: 'pending-expired', at: t.toISOString() }, 'level-raise.expired', SYSTEM_ACTOR);
          else if (r.state === 'granting') await runGrant(r);
          else if (isDue(r, t)) await runRevoke(await step(r, { type: 'end', reason: 'expired', at: t.toISOString() }, 'level-raise.ended', SYSTEM_ACTOR, { reason: 'expired' }));
          else if (r.state === 'revoking' && (r.nextAttemptAt === null || Date.parse(r.nextAttemptAt) <= t.getTime())) await runRevoke(r);
        });
      } catch (err) {
        deps.logger?.warn({ raise: open.id, reason: oneLine(err) }, 'level raise sweep: retried on the next pass');
      }
    }
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
      const overlapping = (open: LevelRaise[]) => open.find((r) => r.resourceGroupIds.some((g) => checked.resourceGroupIds.some((c) => c.toLowerCase() === g.toLowerCase())));
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
    async approve(raiseId, approver, reason) {
      const granting = await lockFor(raiseId).runExclusive(async () => {
        const r = await deps.store.get(raiseId);
        await refuseIfPendingExpired(r, 'approved');
        if (r.state !== 'pending') throw new RaiseConflictError('invalid_state', `the raise is ${r.state}: it cannot be approved`);
        // Four eyes by object id, as for requests; the agent's own spelling also counts (stricter, never looser).
        const requester = requesterOf(r);
        const spelled = r.requestedBy.kind === 'agent' ? r.requestedBy.onBehalfOf?.toLowerCase() : undefined;
        const isRequester =
          (requester?.status === 'resolved' && requester.objectId === approver.id.toLowerCase()) ||
          (spelled !== undefined && [approver.id, approver.name].some((x) => x?.toLowerCase() === spelled));
        if (isRequester && !rule().requesterMayApprove) throw new RaiseInputError('requester_may_not_approve', 'whoever asked for the raise cannot approve it (approvals.yaml levelRaise.requesterMayApprove)');
        if (r.approvals.some((a) => a.approverId.toLowerCase() === approver.id.toLowerCase())) throw new RaiseConflictError('already_approved', 'you have already approved this raise');
        const approvals = [...r.approvals.map((a) => a.approverId), approver.id];
        // Someone the directory could not pin down may be among the approvers: one more is needed.
        const approversRequired = rule().approversRequired + (requester?.status === 'unresolved' ? 1 : 0);
        const enough = approvals.length >= approversRequired;
        const at = iso();
        const next = await step(r, { type: 'approve', approval: { approverId: approver.id, approverName: approver.name, at, reason }, enough, at }, 'level-raise.approved', userActor(approver), {
          reason,
          approvals: approvals.length,
          approversRequired,
          ...(requester?.status === 'unresolved' ? { requesterUnresolved: requester.reason } : {}),
        });
        return next.state === 'granting' ? runGrant(next).catch(async (err: unknown) => {
          deps.logger?.warn({ raise: raiseId, reason: oneLine(err) }, 'level raise: grant interrupted; the sweeper resumes it');
          return deps.store.get(raiseId);
        }) : next;
      });
      return granting;
    },
    async deny(raiseId, approver, reason) {
      return lockFor(raiseId).runExclusive(async () => {
        const r = await deps.store.get(raiseId);
        await refuseIfPendingExpired(r, 'denied');
        return step(r, { type: 'deny', at: iso() }, 'level-raise.denied', userActor(approver), { reason });
      });
    },
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
