import type { ProviderOperationIndex } from './provider-operations.ts';

/**
 * Why an action a person typed (`elevate rbac check --action …`) may not be what Azure checks,
 * or undefined when Azure's operations list names it. Azure matches role patterns against the
 * operation it checks, so a misspelt or invented action answers "not allowed" for the wrong
 * reason; saying so beats a silent no. Wildcards are patterns, not operations: not judged. (pure)
 */
export function typedActionNote(action: string, dataAction: boolean, operations: ProviderOperationIndex): string | undefined {
  if (action.includes('*')) return undefined;
  if (operations.find(action, dataAction)) return undefined;
  const kind = dataAction ? 'a data action' : 'an action';
  if (operations.find(action, !dataAction)) {
    return `${action} is listed by Azure as ${dataAction ? 'a control-plane action' : 'a data action'}, not ${kind}: ${dataAction ? 'drop' : 'add'} --data`;
  }
  const namespace = action.split('/')[0] ?? action;
  if (!operations.hasProvider(namespace)) return `${namespace} is not a provider in Azure's operations list shipped with Elevate; the answer assumes ${action} is ${kind} Azure checks`;
  return `${action} is not ${kind} Azure lists for ${namespace}; Azure never checks it, so no role grants it by name (see elevate rbac action for the action of an ARM call)`;
}
