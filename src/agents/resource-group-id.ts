/**
 * Resource group ids as the registry stores them. Input is hostile: anything that is not exactly
 * `/subscriptions/{guid}/resourceGroups/{name}` is refused, and accepted ids are put in one
 * canonical spelling so the same group is never registered twice under different casings.
 */

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Azure: 1-90 characters, letters, digits, underscores, hyphens, periods, parentheses; no trailing period.
const RG_NAME = /^[\p{L}\p{N}_().-]{1,90}$/u;

export class ResourceGroupIdError extends Error {
  override name = 'ResourceGroupIdError';
}

export interface ResourceGroupRef {
  /** Canonical: /subscriptions/{lower-case guid}/resourceGroups/{name as given} */
  id: string;
  subscriptionId: string;
  name: string;
}

export function parseResourceGroupId(input: unknown): ResourceGroupRef {
  if (typeof input !== 'string') throw new ResourceGroupIdError('resource group id: expected a string such as /subscriptions/{subscription-id}/resourceGroups/{name}');
  const shown = JSON.stringify(input.length > 200 ? `${input.slice(0, 200)}...` : input);
  const parts = input.trim().replace(/\/+$/, '').split('/');
  if (parts.length !== 5 || parts[0] !== '' || parts[1]!.toLowerCase() !== 'subscriptions' || parts[3]!.toLowerCase() !== 'resourcegroups') {
    throw new ResourceGroupIdError(`resource group id ${shown} is malformed: expected /subscriptions/{subscription-id}/resourceGroups/{name}`);
  }
  const sub = parts[2]!;
  const name = parts[4]!;
  if (!GUID.test(sub)) throw new ResourceGroupIdError(`resource group id ${shown}: subscription id must be a GUID`);
  if (!RG_NAME.test(name) || name.endsWith('.')) {
    throw new ResourceGroupIdError(`resource group id ${shown}: resource group name must be 1-90 letters, digits, '_', '-', '.', '(' or ')' and not end with '.'`);
  }
  const subscriptionId = sub.toLowerCase();
  return { id: `/subscriptions/${subscriptionId}/resourceGroups/${name}`, subscriptionId, name };
}

/** ARM treats group names case-insensitively; so do comparisons. */
export function sameResourceGroup(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

export function subscriptionScope(subscriptionId: string): string {
  return `/subscriptions/${subscriptionId.toLowerCase()}`;
}
