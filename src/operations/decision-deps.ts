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
import { createRecentSightings, type RecentSightings } from './recent-sightings.ts';

/** Distinct ARM calls whose action is remembered; past it the oldest is forgotten first. */
export const DERIVED_ACTIONS_REMEMBERED = 10_000;

type Derived = ReturnType<DecisionDeps['deriveAction']>;

function deriveArmAction(method: string, path: string): Derived {
  const derived = resolveArmOperation(method, path, loadProviderOperationIndex());
  // The API carries ARM (control-plane) operations only.
  return Object.freeze({
    action: derived.action,
    scope: derived.scope,
    isDataAction: false,
    operationStatus: derived.operationStatus,
    ...(derived.operationNote ? { operationNote: derived.operationNote } : {}),
    ...(derived.derivedAction ? { derivedAction: derived.derivedAction } : {}),
    resourceType: derived.resourceType,
  });
}

/**
 * The action of a method and path depends on nothing else: the provider operations index is
 * read once per process and never changes. Resolving one parses the path and looks through the
 * index (the largest pure step of a decision, issue 18), so an agent polling the same call pays
 * for it once. Bounded by `max` entries, the oldest forgotten first; refusals (a shape ARM does
 * not serve) are not remembered and throw each time. A call is remembered from the second time
 * it is resolved recently (recent-sightings.ts): an agent at work names each resource once, and
 * remembering those only kept objects alive for the collector to copy until newer ones pushed
 * them out.
 */
export function rememberedDeriveAction(
  derive: (method: string, path: string) => Derived = deriveArmAction,
  max = DERIVED_ACTIONS_REMEMBERED,
  sightings: Pick<RecentSightings, 'sightText'> = createRecentSightings(),
): DecisionDeps['deriveAction'] {
  const known = new Map<string, Derived>();
  return (method, path) => {
    const key = `${method} ${path}`;
    const hit = known.get(key);
    if (hit) return hit;
    const derived = derive(method, path);
    if (!sightings.sightText(key)) return derived;
    if (known.size >= max) known.delete(known.keys().next().value!);
    known.set(key, derived);
    return derived;
  };
}

export function createDecisionDeps(
  policies: Pick<Policies, 'guardrails' | 'runModes'>,
  permissions: Pick<PermissionCache, 'check'>,
  /** reads the resource a PATCH applies to (current-resource-read.ts); without it, rules reading `merged` hold PATCHes */
  options: Pick<DecisionDeps, 'readCurrentResource'> & { sightings?: Pick<RecentSightings, 'sightText'> } = {},
): DecisionDeps {
  const { sightings, ...readers } = options;
  return {
    ...readers,
    needsCurrentResource: (request) => needsCurrentResource(request, policies),
    deriveAction: rememberedDeriveAction(deriveArmAction, DERIVED_ACTIONS_REMEMBERED, sightings),
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
