import { z } from 'zod';

/**
 * The level-raise resources of the agent API, for the OpenAPI document. The raise service checks
 * input itself (raise-request-check.ts); these describe the same fields for the agent's client.
 */
export const raiseSubmissionSchema = z
  .strictObject({
    resourceGroupIds: z.array(z.string().max(300)).min(1).max(50).describe("Managed resource groups to raise on: a subset of the agent's own"),
    targetLevel: z.enum(['Privileged']).describe('The level for the window'),
    durationMinutes: z.number().int().min(1).describe('Length of the window; capped by approvals.yaml levelRaise.maxDurationMinutes'),
    justification: z.string().min(1).max(500).describe('Why; shown to approvers and recorded'),
    trigger: z
      .object({
        kind: z.string().max(40).optional(),
        ref: z.string().max(100).optional().describe('The incident or trigger, e.g. INC-1042'),
        requestedBy: z.string().max(256).optional().describe('The person who asked the agent (UPN or object id): they may not approve the raise'),
      })
      .optional(),
  })
  .describe('A time-bound level raise the agent asks for. It waits for approval by an administrator; the window starts at approval.');

const nullableTime = z.string().nullable();

export const raiseResourceSchema = z.object({
  id: z.string(),
  agentId: z.string(),
  state: z.enum(['pending', 'granting', 'active', 'revoking', 'ended', 'denied', 'cancelled', 'expired']),
  targetLevel: z.string(),
  resourceGroupIds: z.array(z.string()),
  durationMinutes: z.number().int(),
  justification: z.string(),
  triggerRef: z.string().nullable(),
  requestedBy: z.object({ kind: z.enum(['agent', 'user']), name: z.string().nullable(), onBehalfOf: z.string().nullable() }),
  mode: z.enum(['pim', 'fallback']).nullable().describe('pim: Azure ends the assignments itself; fallback: Elevate removes them'),
  modeReason: z.string().nullable(),
  createdAt: z.string(),
  pendingUntil: z.string(),
  window: z.object({ startsAt: nullableTime, endsAt: nullableTime }),
  approvals: z.array(z.object({ approver: z.string(), at: z.string() })),
  endReason: z.enum(['expired', 'ended-by-admin', 'handed-back', 'grant-failed']).nullable(),
  endedAt: nullableTime,
  verifiedGoneAt: nullableTime.describe('When Elevate read Azure after the end and found none of the role assignments left'),
  grants: z.array(z.object({ role: z.string(), scope: z.string(), status: z.enum(['planned', 'granted', 'preexisting', 'removed']) })),
});

export const raiseListSchema = z.object({ value: z.array(raiseResourceSchema) });
