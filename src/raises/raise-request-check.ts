import { isCleanText } from '../operations/clean-text.ts';
import type { LevelRaiseRule } from '../policies/approvals-schema.ts';
import { PERMISSION_LEVELS, type PermissionLevel } from '../policies/policy-types.ts';
import { RaiseInputError, type LevelRaise } from './raise-types.ts';

/**
 * Checks a raise request against the agent and the policy, before anything is stored. Pure: every
 * field arrives as `unknown` (the agent's JSON, a form, a CLI flag) and is treated as hostile.
 */

export interface RaiseInput {
  resourceGroupIds: unknown;
  targetLevel: unknown;
  durationMinutes: unknown;
  justification: unknown;
  triggerRef?: unknown;
}

export interface CheckedRaise {
  resourceGroupIds: string[];
  targetLevel: PermissionLevel;
  durationMinutes: number;
  justification: string;
  triggerRef: string | null;
}

const MAX_JUSTIFICATION = 500;
/** As an operation request's trigger.requestedBy (src/operations/operation-schema.ts). */
const MAX_ON_BEHALF_OF = 256;
const TRIGGER_REF = /^[A-Za-z0-9][A-Za-z0-9._:#/-]{0,99}$/;

export function checkRaiseRequest(input: RaiseInput, agent: { level: PermissionLevel; resourceGroupIds: readonly string[] }, rule: LevelRaiseRule): CheckedRaise {
  const groups = input.resourceGroupIds;
  if (!Array.isArray(groups) || groups.length === 0 || groups.length > 50 || !groups.every((g) => typeof g === 'string' && g.length <= 300)) {
    throw new RaiseInputError('invalid_resource_groups', 'resourceGroupIds: expected a list of 1 to 50 resource group ids');
  }
  const managed = new Map(agent.resourceGroupIds.map((id) => [id.toLowerCase().replace(/\/+$/, ''), id]));
  const resourceGroupIds: string[] = [];
  for (const g of groups as string[]) {
    const canonical = managed.get(g.trim().toLowerCase().replace(/\/+$/, ''));
    if (!canonical) throw new RaiseInputError('unmanaged_resource_group', `resourceGroupIds: ${JSON.stringify(g.slice(0, 120))} is not one of the agent's managed resource groups`);
    if (!resourceGroupIds.includes(canonical)) resourceGroupIds.push(canonical);
  }
  resourceGroupIds.sort();

  const level = input.targetLevel;
  if (typeof level !== 'string' || !(PERMISSION_LEVELS as readonly string[]).includes(level)) {
    throw new RaiseInputError('invalid_level', `targetLevel: expected one of ${PERMISSION_LEVELS.join(', ')}`);
  }
  if (PERMISSION_LEVELS.indexOf(level as PermissionLevel) <= PERMISSION_LEVELS.indexOf(agent.level)) {
    throw new RaiseInputError('not_a_raise', `targetLevel: the agent is already ${agent.level}; a raise must ask for a higher level`);
  }

  const minutes = input.durationMinutes;
  if (typeof minutes !== 'number' || !Number.isSafeInteger(minutes) || minutes < 1) {
    throw new RaiseInputError('invalid_duration', 'durationMinutes: expected a whole number of minutes, at least 1');
  }
  if (minutes > rule.maxDurationMinutes) {
    throw new RaiseInputError('beyond_policy_cap', `durationMinutes: ${minutes} is beyond the policy's cap of ${rule.maxDurationMinutes} minutes (approvals.yaml levelRaise.maxDurationMinutes)`);
  }

  const why = input.justification;
  // Shown to approvers, never interpreted: line breaks and tabs only, no control or invisible
  // format character (clean-text.ts, as for every other free text).
  if (typeof why !== 'string' || why.trim() === '' || why.length > MAX_JUSTIFICATION || !isCleanText(why, true)) {
    throw new RaiseInputError('invalid_justification', `justification: expected 1 to ${MAX_JUSTIFICATION} printable characters`);
  }

  let triggerRef: string | null = null;
  if (input.triggerRef !== undefined && input.triggerRef !== null && input.triggerRef !== '') {
    if (typeof input.triggerRef !== 'string' || !TRIGGER_REF.test(input.triggerRef)) {
      throw new RaiseInputError('invalid_trigger', 'trigger.ref: expected an incident or trigger reference of letters, digits and ._:#/- (at most 100)');
    }
    triggerRef = input.triggerRef;
  }
  return { resourceGroupIds, targetLevel: level as PermissionLevel, durationMinutes: minutes, justification: why.trim(), triggerRef };
}

/**
 * The person an agent names as having asked (trigger.requestedBy): shown to administrators and
 * compared for four eyes, so it is held to what operations require of the same field: at most 256
 * characters, none of them a control or an invisible format character (a bidi override would show
 * approvers another name than the one compared). Absent or blank: nobody named.
 */
export function checkOnBehalfOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > MAX_ON_BEHALF_OF || !isCleanText(value)) {
    throw new RaiseInputError('invalid_requested_by', `trigger.requestedBy: expected at most ${MAX_ON_BEHALF_OF} characters, none of them control or invisible formatting characters`);
  }
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * One open raise per resource group: the raise among `open` that a raise on `resourceGroupIds` may
 * not sit beside, if any.
 */
export function overlappingRaise(resourceGroupIds: readonly string[]): (open: LevelRaise[]) => LevelRaise | undefined {
  return (open) => open.find((r) => r.resourceGroupIds.some((g) => resourceGroupIds.some((c) => c.toLowerCase() === g.toLowerCase())));
}
