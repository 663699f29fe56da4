/**
 * The vocabulary the policy files speak. The names are fixed by the product (the agent's two
 * permission levels, the trigger kinds an agent run can carry, the three run modes); the files
 * only decide what each one means.
 */

export const PERMISSION_LEVELS = ['Reader', 'Privileged'] as const;
/** Ordered: each level includes everything the levels before it grant. */
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export const TRIGGER_KINDS = ['chat', 'incident', 'scheduled', 'manual'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

/** Ordered from least to most latitude; a ceiling caps a mode by this order. */
export const RUN_MODES = ['ReadOnly', 'Review', 'Autonomous'] as const;
export type RunMode = (typeof RUN_MODES)[number];

export const APPROVAL_KINDS = ['elevation', 'consent'] as const;
/** `elevation`: granting the agent a higher permission level. `consent`: letting one write run. */
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];

export function isPermissionLevel(value: unknown): value is PermissionLevel {
  return typeof value === 'string' && (PERMISSION_LEVELS as readonly string[]).includes(value);
}

export function isTriggerKind(value: unknown): value is TriggerKind {
  return typeof value === 'string' && (TRIGGER_KINDS as readonly string[]).includes(value);
}

export function isRunMode(value: unknown): value is RunMode {
  return typeof value === 'string' && (RUN_MODES as readonly string[]).includes(value);
}

export function isApprovalKind(value: unknown): value is ApprovalKind {
  return typeof value === 'string' && (APPROVAL_KINDS as readonly string[]).includes(value);
}
