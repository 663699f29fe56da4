import { isPermissionLevel, isRunMode, PERMISSION_LEVELS, RUN_MODES, type PermissionLevel, type RunMode } from '../policies/policy-types.ts';
import { parseResourceGroupId, ResourceGroupIdError, type ResourceGroupRef } from './resource-group-id.ts';
import { AgentInputError } from './agent-types.ts';

/**
 * Field checks for registry input. Every value is treated as hostile (it may come from a form or a
 * shell): each check either returns the clean value or throws AgentInputError with one line that
 * names the field and what it expects, echoing at most a bounded, JSON-quoted copy of the input.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const MAX_RESOURCE_GROUPS = 1000;

export function shown(value: unknown): string {
  const s = typeof value === 'string' ? value : String(value);
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);
}

export function agentName(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    throw new AgentInputError(`name ${shown(value)}: expected 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return value;
}

export function guid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !GUID.test(value)) throw new AgentInputError(`${field} ${shown(value)}: expected a GUID such as 0e2d5f3c-7a41-4a9b-9a0e-2c6f4b1d8e7a`);
  return value.toLowerCase();
}

export function permissionLevel(value: unknown): PermissionLevel {
  // Levels are matched exactly as policies/levels.yaml spells them; "reader" is not guessed at.
  if (!isPermissionLevel(value)) throw new AgentInputError(`level ${shown(value)}: not a level in the policy; expected ${PERMISSION_LEVELS.join(' or ')}`);
  return value;
}

export function runMode(value: unknown): RunMode {
  if (!isRunMode(value)) throw new AgentInputError(`run-mode ceiling ${shown(value)}: expected ${RUN_MODES.join(', ')}`);
  return value;
}

export function resourceGroupRef(value: unknown): ResourceGroupRef {
  try {
    return parseResourceGroupId(value);
  } catch (err) {
    if (err instanceof ResourceGroupIdError) throw new AgentInputError(err.message);
    throw err;
  }
}

export function resourceGroupRefs(value: unknown): ResourceGroupRef[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new AgentInputError('resource groups: expected a list of resource group ids');
  if (value.length > MAX_RESOURCE_GROUPS) throw new AgentInputError(`resource groups: at most ${MAX_RESOURCE_GROUPS} per agent`);
  const seen = new Set<string>();
  const out: ResourceGroupRef[] = [];
  for (const v of value) {
    const ref = resourceGroupRef(v);
    if (seen.has(ref.id.toLowerCase())) throw new AgentInputError(`resource group ${ref.id} is listed twice`);
    seen.add(ref.id.toLowerCase());
    out.push(ref);
  }
  return out;
}
