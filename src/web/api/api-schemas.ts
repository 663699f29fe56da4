/**
 * Zod schemas of what the /api/v1 endpoints return. They document the responses (the OpenAPI
 * document is generated from them) and let tests check real responses against the document.
 * The request schemas live with the operations core (operation-schema.ts).
 */
import { z } from 'zod';
import { HTTP_METHODS, REQUEST_STATES } from '../../operations/operation-types.ts';
import { RUN_MODES, TRIGGER_KINDS } from '../../policies/policy-types.ts';

const json = z.unknown().meta({ description: 'Any JSON value' });

export const fieldErrorSchema = z.strictObject({
  path: z.string().meta({ description: "Dotted path of the offending field ('' for the whole body)" }),
  message: z.string(),
});

export const roleSuggestionSchema = z.strictObject({
  roleDefinitionId: z.string(),
  roleName: z.string(),
  size: z.number().int().meta({ description: 'Number of action and data action patterns the role grants' }),
  builtIn: z.boolean(),
});

const guardrailHitShape = {
  rule: z.string().meta({ description: 'The guardrails.yaml rule id' }),
  reason: z.string(),
  condition: z.string().optional().meta({ description: 'The CEL condition that matched (content rules)' }),
  link: z.string().optional().meta({ description: 'The Microsoft doc that explains the risk' }),
};

export const guardrailHitSchema = z.strictObject(guardrailHitShape);

export const contentRuleHitSchema = z.strictObject({
  ...guardrailHitShape,
  effect: z.enum(['forbid', 'require']),
  elevation: z.boolean().optional().meta({ description: 'An administrator must run the operation with their own sign-in' }),
  approvers: z.number().int().optional().meta({ description: 'Distinct administrators who must approve' }),
  failedClosed: z.string().optional().meta({ description: 'The rule could not be evaluated (a runtime error, an unreadable body); the request is held for an administrator' }),
});

export const decisionSchema = z
  .strictObject({
    outcome: z.enum(['execute', 'pending_consent', 'pending_elevation', 'forbidden']),
    reasonCode: z
      .enum(['allowed', 'needs_consent', 'missing_permission', 'guardrail', 'run_mode_read_only', 'content_rule'])
      .meta({ description: '`content_rule`: a guardrails.yaml content rule holds the request for an administrator (see contentRules)' }),
    explanation: z.string(),
    action: z.string().meta({ description: 'The Azure RBAC action of the operation' }),
    actionStatus: z
      .enum(['listed', 'resolved', 'unlisted'])
      .optional()
      .meta({ description: "How the action relates to Azure's provider operations list: listed; resolved (the call is listed under another operation than resource type + verb, which action is); unlisted (no listed operation matches: Azure may check a different action)" }),
    actionNote: z.string().optional().meta({ description: 'Why the action is resolved or unlisted, one line' }),
    scope: z.string().meta({ description: 'The ARM scope the permission is checked at' }),
    isWrite: z.boolean(),
    runMode: z.enum(RUN_MODES),
    guardrail: guardrailHitSchema.optional(),
    contentRules: z
      .array(contentRuleHitSchema)
      .optional()
      .meta({ description: 'The guardrails.yaml content and require rules the request matched, each with the condition that matched' }),
    approversRequired: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Distinct administrators who must approve, when a content rule asks for more than the approvals policy' }),
    permission: z
      .strictObject({
        allowed: z.boolean(),
        reason: z.string(),
        message: z.string(),
        grantedBy: z.array(z.strictObject({ roleName: z.string(), scope: z.string(), viaGroup: z.boolean() })),
        deniedBy: z.array(z.strictObject({ denyAssignmentId: z.string(), scope: z.string() })),
      })
      .optional(),
    missingAction: z.string().optional(),
    wouldBeGrantedBy: z.array(roleSuggestionSchema).meta({ description: 'Smallest built-in roles that would grant the missing action' }),
  });

export const requestResourceSchema = z
  .strictObject({
    id: z.string(),
    agentId: z.string(),
    idempotencyKey: z.string(),
    state: z.enum(REQUEST_STATES),
    version: z.number().int(),
    operation: z.strictObject({ method: z.enum(HTTP_METHODS), path: z.string(), apiVersion: z.string(), body: json.optional() }),
    operationHash: z.string().regex(/^[0-9a-f]{64}$/),
    justification: z.string().optional(),
    trigger: z.strictObject({ kind: z.enum(TRIGGER_KINDS), ref: z.string().optional(), requestedBy: z.string().optional() }),
    decision: decisionSchema,
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string().optional(),
    actingIdentity: z.string().optional(),
    stateReason: z.string().optional(),
    arm: z
      .strictObject({
        status: z.number().int(),
        correlationId: z.string().optional(),
        armRequestId: z.string().optional(),
        asyncStatus: z.string().optional(),
        body: json.optional(),
      })
      .optional(),
    error: z.strictObject({ code: z.string(), message: z.string() }).optional(),
    redecision: decisionSchema.optional(),
  });

export const requestPageSchema = z
  .strictObject({
    items: z.array(requestResourceSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  });

export const apiErrorSchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      fields: z.array(fieldErrorSchema).optional(),
      decision: decisionSchema.optional(),
    }),
  });
