import type { ApprovalsPolicy } from './approvals-schema.ts';
import type { GuardrailsPolicy } from './guardrails-schema.ts';
import type { LevelsPolicy } from './levels-schema.ts';
import type { NotificationsPolicy } from './notifications-schema.ts';
import type { RateLimitsPolicy } from './rate-limits-schema.ts';
import type { RunModesPolicy } from './run-modes-schema.ts';
import type { ServiceRolesPolicy } from './service-roles-schema.ts';

/** Everything in the policies folder, validated. Deeply frozen once loaded. */
export interface Policies {
  levels: LevelsPolicy;
  guardrails: GuardrailsPolicy;
  runModes: RunModesPolicy;
  approvals: ApprovalsPolicy;
  serviceRoles: ServiceRolesPolicy;
  rateLimits: RateLimitsPolicy;
  /** notifications.yaml; absent file: no notifications are sent */
  notifications?: NotificationsPolicy;
}

export const POLICY_FILES = {
  levels: 'levels.yaml',
  guardrails: 'guardrails.yaml',
  runModes: 'run-modes.yaml',
  approvals: 'approvals.yaml',
  serviceRoles: 'service-roles.yaml',
  rateLimits: 'rate-limits.yaml',
  notifications: 'notifications.yaml',
} as const satisfies Record<keyof Policies, string>;

export type PolicyFileName = (typeof POLICY_FILES)[keyof typeof POLICY_FILES];
