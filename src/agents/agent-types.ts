import type { PermissionLevel, RunMode } from '../policies/policy-types.ts';

/** An SRE agent as the registry holds it. */
export interface Agent {
  id: string;
  name: string;
  uamiClientId: string;
  uamiPrincipalId: string;
  tenantId: string;
  level: PermissionLevel;
  runModeCeiling: RunMode;
  /** Canonical ARM ids (see resource-group-id.ts), sorted. */
  resourceGroupIds: string[];
  createdAt: string;
  updatedAt: string;
}

export interface NewAgentInput {
  name: unknown;
  uamiClientId: unknown;
  uamiPrincipalId: unknown;
  /** Defaults to the configured tenant. */
  tenantId?: unknown;
  level: unknown;
  /** Defaults to Review: the agent proposes, a person approves. */
  runModeCeiling?: unknown;
  resourceGroupIds?: unknown;
}

/** Who made a registry change, as the audit log records it. */
export interface RegistryActor {
  kind: 'user' | 'system';
  id: string;
  name?: string | null;
}

export class AgentNotFoundError extends Error {
  override name = 'AgentNotFoundError';
}

/** Bad input: the message is one line, fit for a 400 page or `elevate: ...`. */
export class AgentInputError extends Error {
  override name = 'AgentInputError';
}

/** The change collides with the registry's current state (duplicate name, concurrent edit). */
export class AgentConflictError extends Error {
  override name = 'AgentConflictError';
}

/** The fields that appear in an audit entry's before/after: everything but timestamps. */
export function agentSnapshot(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    uamiClientId: agent.uamiClientId,
    uamiPrincipalId: agent.uamiPrincipalId,
    tenantId: agent.tenantId,
    level: agent.level,
    runModeCeiling: agent.runModeCeiling,
    resourceGroupIds: [...agent.resourceGroupIds],
  };
}
