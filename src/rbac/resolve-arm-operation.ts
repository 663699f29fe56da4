/**
 * The operation Azure checks for an ARM call, looked up in Azure's provider operations list.
 * armOperationToAction gives the structural answer ("resource type + verb"); most calls are
 * listed exactly so. Some are not, and the list says what they are instead:
 *   - a POST that only reads is listed as `{type}/{name}/read`
 *     (`POST .../Microsoft.Storage/checkNameAvailability` -> `Microsoft.Storage/checknameavailability/read`,
 *     `POST /providers/Microsoft.ResourceGraph/resources` -> `Microsoft.ResourceGraph/resources/read`);
 *   - a POST on a child resource is listed on its parent as `{parent}/{name}/{child}/action`, the
 *     child type singular or plural (`POST .../jobs/{job}/executions/{e}/stop` ->
 *     `microsoft.app/jobs/stop/execution/action`).
 * Each rewrite is only a candidate: it is taken when, and only when, the list has it, and the
 * decision says so. When nothing matches, the structural action is kept and flagged as not a
 * listed operation rather than guessed at silently.
 */
import { armOperationToAction, type ArmOperationAction } from './arm-operation-action.ts';
import type { ProviderOperationIndex } from './provider-operations.ts';

export type OperationStatus = 'listed' | 'resolved' | 'unlisted';

export interface ResolvedArmOperation extends ArmOperationAction {
  /**
   * listed: the structural action is an operation Azure lists; resolved: Azure lists the call
   * under another operation, which `action` now is; unlisted: no listed operation matches, so
   * `action` is the structural one and Azure may check something else
   */
  operationStatus: OperationStatus;
  /** the structural "resource type + verb" action, when it differs from `action` */
  derivedAction?: string;
  /** one line for people (decision, CLI, approval page) when the status is not `listed` */
  operationNote?: string;
}

/** Candidate operations for an unlisted structural action, most specific rewrite first. */
function candidates(action: string, resourceType: string): string[] {
  const suffix = action.slice(resourceType.length + 1);
  if (!suffix.endsWith('/action')) return [];
  const name = suffix.slice(0, -'/action'.length);
  const out = [`${resourceType}/${name}/read`];
  const types = resourceType.split('/');
  if (types.length >= 3) {
    const child = types[types.length - 1]!;
    const parent = types.slice(0, -1).join('/');
    const singular = child.length > 1 && /s$/i.test(child) ? child.slice(0, -1) : child;
    out.push(`${parent}/${name}/${singular}/action`);
    if (singular !== child) out.push(`${parent}/${name}/${child}/action`);
  }
  return out;
}

export function resolveArmOperation(method: string, path: string, operations: ProviderOperationIndex): ResolvedArmOperation {
  const derived = armOperationToAction(method, path);
  if (operations.find(derived.action) !== undefined) return withStatus(derived, derived.action, 'listed');
  for (const candidate of candidates(derived.action, derived.resourceType)) {
    const listed = operations.find(candidate);
    if (listed === undefined) continue;
    const out = withStatus(derived, listed, 'resolved');
    out.derivedAction = derived.action;
    out.operationNote = `Azure lists no operation ${derived.action}; this call is its listed operation ${listed}`;
    return out;
  }
  const namespace = derived.resourceType.split('/')[0]!;
  const why = operations.hasProvider(namespace)
    ? `${derived.action} is not an operation Azure lists for ${namespace}`
    : `provider ${namespace} is not in Azure's provider operations list`;
  const out = withStatus(derived, derived.action, 'unlisted');
  out.operationNote = `${why}; the action Azure checks for this call may differ`;
  return out;
}

/**
 * The derived operation's fields, named rather than spread into a literal: in Node 20's V8, each
 * property added to an object made by a leading spread costs a runtime call (issue 18).
 */
function withStatus(derived: ArmOperationAction, action: string, operationStatus: OperationStatus): ResolvedArmOperation {
  return { action, resourceType: derived.resourceType, scope: derived.scope, operationStatus };
}
