/**
 * Binds the decision pipeline to the foundation: ARM path -> RBAC action (rbac), guardrails and
 * run modes (policies), and the permission cache (RBAC evaluator over ARM's assignments).
 */
import type { Policies } from '../policies/policies.ts';
import { findGuardrail } from '../policies/find-guardrail.ts';
import { findContentRules, needsCurrentResource } from '../policies/find-content-rules.ts';
import type { ContentRuleHit } from './operation-types.ts';
import { resolveRunMode, runModeAllows } from '../policies/resolve-run-mode.ts';
import { loadProviderOperationIndex } from '../rbac/provider-operations.ts';
import { resolveArmOperation } from '../rbac/resolve-arm-operation.ts';
import type { DecisionDeps } from './decision-pipeline.ts';
import type { PermissionCache } from './permission-cache.ts';

export function createDecisionDeps(
  policies: Pick<Policies, 'guardrails' | 'runModes'>,
  permissions: Pick<PermissionCache, 'check'>,
  /** reads the resource a PATCH applies to (current-resource-read.ts); without it, rules reading `merged` hold PATCHes */
  options: Pick<DecisionDeps, 'readCurrentResource'> = {},
): DecisionDeps {
  return {
    ...options,
    needsCurrentResource: (request) => needsCurrentResource(request, policies),
    deriveAction(method, path) {
      const derived = resolveArmOperation(method, path, loadProviderOperationIndex());
      // The API carries ARM (control-plane) operations only.
      return {
        action: derived.action,
        scope: derived.scope,
        isDataAction: false,
        operationStatus: derived.operationStatus,
        ...(derived.operationNote ? { operationNote: derived.operationNote } : {}),
        ...(derived.derivedAction ? { derivedAction: derived.derivedAction } : {}),
        resourceType: derived.resourceType,
      };
    },
    findGuardrail(action, isDataAction) {
      const rule = findGuardrail(action, isDataAction, policies);
      return rule ? { rule: rule.id, reason: rule.reason, ...(rule.link ? { link: rule.link } : {}) } : undefined;
    },
    findContentRules(request) {
      return findContentRules(request, policies).map((m): ContentRuleHit => {
        const hit: ContentRuleHit = { rule: m.rule.id, reason: m.rule.reason, effect: m.effect.kind };
        if (m.condition) hit.condition = m.condition;
        if (m.rule.link) hit.link = m.rule.link;
        if (m.effect.kind === 'require') {
          if (m.effect.elevation) hit.elevation = true;
          if (m.effect.approvers !== undefined) hit.approvers = m.effect.approvers;
        }
        if (m.failedClosed) hit.failedClosed = m.failedClosed;
        return hit;
      });
    },
    resolveRunMode: (triggerKind, ceiling) => resolveRunMode(triggerKind, ceiling, policies),
    runModeAllows,
    checkPermission: (principalId, action, scope) => permissions.check(principalId, action, scope),
  };
}
