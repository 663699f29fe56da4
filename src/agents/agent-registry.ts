import { randomUUID } from 'node:crypto';
import type { AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { Database } from '../store/database.ts';
import type { PermissionLevel, RunMode } from '../policies/policy-types.ts';
import { agentName, guid, MAX_RESOURCE_GROUPS, permissionLevel, resourceGroupRef, resourceGroupRefs, runMode, shown } from './agent-input.ts';
import * as repo from './agent-repository.ts';
import { isUniqueViolation } from '../store/unique-violation.ts';
import {
  AgentConflictError,
  AgentInputError,
  AgentNotFoundError,
  agentSnapshot,
  type Agent,
  type NewAgentInput,
  type RegistryActor,
} from './agent-types.ts';
import type { ResourceGroupRef } from './resource-group-id.ts';

/** The audit log's append; it rejects when the entry was not stored. */
export interface AuditAppender {
  append(input: AuditInput): Promise<unknown>;
}

/**
 * Confirms a resource group belongs to the agent's tenant (and exists), throwing AgentInputError
 * with the reason when not. Backed by ARM reads with Elevate's governance credential.
 */
export interface ResourceGroupVerifier {
  verify(ref: ResourceGroupRef, tenantId: string): Promise<void>;
}

export interface AgentRegistryDeps {
  db: Database;
  audit: AuditAppender;
  verifier: ResourceGroupVerifier;
  /** The tenant Elevate is configured for; agents live there and nowhere else. */
  tenantId: string;
  clock?: () => Date;
  newId?: () => string;
}

export interface AgentRegistry {
  list(): Promise<Agent[]>;
  /** By id or name; throws AgentNotFoundError. */
  get(ref: string): Promise<Agent>;
  find(ref: string): Promise<Agent | undefined>;
  findByPrincipalId(principalId: string): Promise<Agent | undefined>;
  create(input: NewAgentInput, actor: RegistryActor): Promise<Agent>;
  setLevel(ref: string, level: unknown, actor: RegistryActor): Promise<Agent>;
  setRunModeCeiling(ref: string, mode: unknown, actor: RegistryActor): Promise<Agent>;
  addResourceGroup(ref: string, resourceGroupId: unknown, actor: RegistryActor): Promise<Agent>;
  removeResourceGroup(ref: string, resourceGroupId: unknown, actor: RegistryActor): Promise<Agent>;
  /** Groups removed from the agent whose Elevate-made assignments may still be in ARM. */
  releasedResourceGroups(agentId: string): Promise<string[]>;
  /** Called by apply once nothing of Elevate's is left in those groups. */
  forgetReleasedResourceGroups(agentId: string, resourceGroupIds: string[]): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The agent registry. Every change is audited with the agent's before and after state, and the
 * audit entry is written first: if it cannot be stored the change is not made.
 */
export function createAgentRegistry(deps: AgentRegistryDeps): AgentRegistry {
  const { db, audit } = deps;
  const clock = deps.clock ?? (() => new Date());
  const newId = deps.newId ?? randomUUID;
  const tenantId = guid(deps.tenantId, 'configured tenant id');

  async function find(ref: string): Promise<Agent | undefined> {
    if (typeof ref !== 'string' || ref.length === 0 || ref.length > 200) return undefined;
    return (UUID.test(ref) ? await repo.findAgentById(db, ref.toLowerCase()) : undefined) ?? (await repo.findAgentByName(db, ref));
  }

  async function get(ref: string): Promise<Agent> {
    const agent = await find(ref);
    if (!agent) throw new AgentNotFoundError(`unknown agent ${shown(ref)}`);
    return agent;
  }

  async function audited(eventType: string, actor: RegistryActor, before: Agent | null, after: Agent, extra: JsonObject = {}): Promise<void> {
    await audit.append({
      actor: { kind: actor.kind, id: actor.id, name: actor.name ?? null },
      eventType,
      subject: after.id,
      agentId: after.id,
      outcome: 'requested',
      details: { before: before ? agentSnapshot(before) : null, after: agentSnapshot(after), ...extra },
    });
  }

  async function failed(eventType: string, actor: RegistryActor, agentId: string, err: unknown): Promise<void> {
    // Best effort: the first entry already says what was attempted; this one says it did not happen.
    await audit
      .append({
        actor: { kind: actor.kind, id: actor.id, name: actor.name ?? null },
        eventType,
        subject: agentId,
        agentId,
        outcome: 'failed',
        details: { error: err instanceof Error ? err.message.split('\n')[0]! : 'unknown error' },
      })
      .catch(() => undefined);
  }

  async function verifyAll(refs: ResourceGroupRef[]): Promise<void> {
    for (const ref of refs) await deps.verifier.verify(ref, tenantId);
  }

  /** Audit, then write; the write is a compare-and-set so a concurrent change is not overwritten. */
  async function change(
    eventType: string,
    actor: RegistryActor,
    before: Agent,
    after: Agent,
    write: () => Promise<boolean>,
    extra?: JsonObject,
  ): Promise<Agent> {
    await audited(eventType, actor, before, after, extra);
    let ok: boolean;
    try {
      ok = await write();
    } catch (err) {
      await failed(`${eventType}-failed`, actor, before.id, err);
      throw err;
    }
    if (!ok) {
      const err = new AgentConflictError(`agent '${before.name}' was changed by someone else meanwhile; nothing was changed, try again`);
      await failed(`${eventType}-failed`, actor, before.id, err);
      throw err;
    }
    return get(before.id);
  }

  return {
    list: () => repo.listAgents(db),
    get,
    find,
    findByPrincipalId: (principalId) => repo.findAgentByPrincipal(db, guid(principalId, 'principal id')),

    async create(input, actor) {
      if (typeof input !== 'object' || input === null) throw new AgentInputError('agent: expected name, UAMI client id, UAMI principal id and level');
      const name = agentName(input.name);
      const uamiClientId = guid(input.uamiClientId, 'UAMI client id');
      const uamiPrincipalId = guid(input.uamiPrincipalId, 'UAMI principal id');
      const agentTenant = input.tenantId === undefined || input.tenantId === null ? tenantId : guid(input.tenantId, 'tenant id');
      if (agentTenant !== tenantId) throw new AgentInputError(`tenant ${agentTenant} is not the tenant Elevate is configured for (${tenantId})`);
      const level = permissionLevel(input.level);
      const ceiling = input.runModeCeiling === undefined || input.runModeCeiling === null ? 'Review' : runMode(input.runModeCeiling);
      const groups = resourceGroupRefs(input.resourceGroupIds);
      if (await repo.findAgentByName(db, name)) throw new AgentConflictError(`an agent named '${name}' already exists`);
      const samePrincipal = await repo.findAgentByPrincipal(db, uamiPrincipalId);
      if (samePrincipal) throw new AgentConflictError(`UAMI principal ${uamiPrincipalId} is already registered as agent '${samePrincipal.name}'`);
      await verifyAll(groups);
      const now = clock().toISOString();
      const agent: Agent = {
        id: newId().toLowerCase(),
        name,
        uamiClientId,
        uamiPrincipalId,
        tenantId: agentTenant,
        level,
        runModeCeiling: ceiling,
        resourceGroupIds: groups.map((g) => g.id).sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())),
        createdAt: now,
        updatedAt: now,
      };
      await audited('agent.created', actor, null, agent);
      try {
        await db.transaction((tx) => repo.insertAgent(tx, agent));
      } catch (err) {
        await failed('agent.created-failed', actor, agent.id, err);
        if (isUniqueViolation(err)) throw new AgentConflictError(`agent '${name}' or its UAMI is already registered`);
        throw err;
      }
      return get(agent.id);
    },

    async setLevel(ref, level, actor) {
      const before = await get(ref);
      const next: PermissionLevel = permissionLevel(level);
      if (next === before.level) return before;
      const now = clock().toISOString();
      return change('agent.level-changed', actor, before, { ...before, level: next }, () =>
        repo.updateAgentFields(db, before.id, before.updatedAt, { level: next }, now),
      );
    },

    async setRunModeCeiling(ref, mode, actor) {
      const before = await get(ref);
      const next: RunMode = runMode(mode);
      if (next === before.runModeCeiling) return before;
      const now = clock().toISOString();
      return change('agent.run-mode-ceiling-changed', actor, before, { ...before, runModeCeiling: next }, () =>
        repo.updateAgentFields(db, before.id, before.updatedAt, { runModeCeiling: next }, now),
      );
    },

    async addResourceGroup(ref, resourceGroupId, actor) {
      const before = await get(ref);
      const rg = resourceGroupRef(resourceGroupId);
      if (before.resourceGroupIds.some((id) => id.toLowerCase() === rg.id.toLowerCase())) {
        throw new AgentConflictError(`agent '${before.name}' already manages ${rg.id}`);
      }
      if (before.resourceGroupIds.length >= MAX_RESOURCE_GROUPS) throw new AgentInputError(`agent '${before.name}' already manages ${MAX_RESOURCE_GROUPS} resource groups, the most allowed`);
      await deps.verifier.verify(rg, before.tenantId);
      const after = { ...before, resourceGroupIds: [...before.resourceGroupIds, rg.id].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())) };
      const now = clock().toISOString();
      return change(
        'agent.resource-group-added',
        actor,
        before,
        after,
        () =>
          db.transaction(async (tx) => {
            if (!(await repo.updateAgentFields(tx, before.id, before.updatedAt, {}, now))) return false;
            await repo.insertResourceGroup(tx, before.id, rg.id);
            return true;
          }),
        { resourceGroupId: rg.id },
      );
    },

    async removeResourceGroup(ref, resourceGroupId, actor) {
      const before = await get(ref);
      const rg = resourceGroupRef(resourceGroupId);
      const existing = before.resourceGroupIds.find((id) => id.toLowerCase() === rg.id.toLowerCase());
      if (!existing) throw new AgentInputError(`agent '${before.name}' does not manage ${rg.id}`);
      const after = { ...before, resourceGroupIds: before.resourceGroupIds.filter((id) => id !== existing) };
      const now = clock().toISOString();
      return change(
        'agent.resource-group-removed',
        actor,
        before,
        after,
        () =>
          db.transaction(async (tx) => {
            if (!(await repo.updateAgentFields(tx, before.id, before.updatedAt, {}, now))) return false;
            return repo.deleteResourceGroup(tx, before.id, existing, now);
          }),
        { resourceGroupId: existing },
      );
    },

    releasedResourceGroups: (agentId) => repo.listReleasedResourceGroups(db, agentId),
    forgetReleasedResourceGroups: (agentId, ids) => db.transaction((tx) => repo.forgetReleasedResourceGroups(tx, agentId, ids)),
  };
}
