/**
 * Classifies an ARM path (already stripped of duplicate slashes and a trailing slash) into the
 * operation families the sandbox implements. Keywords match case-insensitively, as in ARM.
 */
export type ArmRoute =
  | { kind: 'subscriptions.list' }
  | { kind: 'subscriptions.get'; subscriptionId: string }
  | { kind: 'resourceGroups.list'; subscriptionId: string }
  | { kind: 'resourceGroups.get'; subscriptionId: string; resourceGroup: string }
  | { kind: 'resources.listByResourceGroup'; subscriptionId: string; resourceGroup: string }
  | { kind: 'resources.listBySubscription'; subscriptionId: string }
  | { kind: 'authorization'; scope: string; collection: string; name: string | undefined; action?: string }
  | { kind: 'managementGroups.list' }
  | { kind: 'managementGroups.get'; id: string }
  | { kind: 'managementGroups.descendants'; id: string }
  | { kind: 'operations.status'; subscriptionId: string; namespace: string; location: string; operationId: string; result: boolean }
  | { kind: 'activityLog.list'; subscriptionId: string }
  | { kind: 'resource'; subscriptionId: string; resourceGroup: string; segments: string[] }
  /** {scope}/providers/Microsoft.AlertsManagement/alerts[/{alertId}[/changestate|history]]: scope is a subscription, resource group or resource */
  | { kind: 'alerts'; scope: string; subscriptionId: string; alertId: string | undefined; action: string | undefined }
  | { kind: 'unknown' };

const eq = (a: string | undefined, b: string) => a !== undefined && a.toLowerCase() === b.toLowerCase();

export function classifyArmPath(path: string): ArmRoute {
  const segs = path.split('/').slice(1);
  // extension: {scope}/providers/Microsoft.Authorization/{collection}[/{name}]
  for (let i = segs.length - 2; i >= 0; i--) {
    if (eq(segs[i], 'providers') && eq(segs[i + 1], 'Microsoft.Authorization')) {
      const rest = segs.slice(i + 2);
      if (rest.length === 1 || rest.length === 2) {
        const scope = i === 0 ? '/' : `/${segs.slice(0, i).join('/')}`;
        return { kind: 'authorization', scope, collection: rest[0]!, name: rest[1] };
      }
      // {collection}/{name}/{action}, e.g. roleAssignmentScheduleRequests/{name}/cancel
      if (rest.length === 3) {
        const scope = i === 0 ? '/' : `/${segs.slice(0, i).join('/')}`;
        return { kind: 'authorization', scope, collection: rest[0]!, name: rest[1], action: rest[2]! };
      }
      break;
    }
  }
  // extension: {scope}/providers/Microsoft.AlertsManagement/alerts[/{id}[/{action}]]
  for (let i = segs.length - 2; i >= 2; i--) {
    if (eq(segs[i], 'providers') && eq(segs[i + 1], 'Microsoft.AlertsManagement') && eq(segs[i + 2], 'alerts') && eq(segs[0], 'subscriptions')) {
      const rest = segs.slice(i + 3);
      if (rest.length > 2) return { kind: 'unknown' };
      return { kind: 'alerts', scope: `/${segs.slice(0, i).join('/')}`, subscriptionId: segs[1]!, alertId: rest[0], action: rest[1] };
    }
  }
  if (eq(segs[0], 'providers') && eq(segs[1], 'Microsoft.Management') && eq(segs[2], 'managementGroups')) {
    if (segs.length === 3) return { kind: 'managementGroups.list' };
    if (segs.length === 4) return { kind: 'managementGroups.get', id: segs[3]! };
    if (segs.length === 5 && eq(segs[4], 'descendants')) return { kind: 'managementGroups.descendants', id: segs[3]! };
    return { kind: 'unknown' };
  }
  if (!eq(segs[0], 'subscriptions')) return { kind: 'unknown' };
  if (segs.length === 1) return { kind: 'subscriptions.list' };
  const subscriptionId = segs[1]!;
  if (segs.length === 2) return { kind: 'subscriptions.get', subscriptionId };
  if (segs.length === 3 && eq(segs[2], 'resourceGroups')) return { kind: 'resourceGroups.list', subscriptionId };
  if (segs.length === 3 && eq(segs[2], 'resources')) return { kind: 'resources.listBySubscription', subscriptionId };
  if (eq(segs[2], 'providers')) {
    // /subscriptions/{s}/providers/{ns}/locations/{loc}/operations|operationResults/{id}
    if (segs.length === 8 && eq(segs[4], 'locations') && (eq(segs[6], 'operations') || eq(segs[6], 'operationResults'))) {
      return { kind: 'operations.status', subscriptionId, namespace: segs[3]!, location: segs[5]!, operationId: segs[7]!, result: eq(segs[6], 'operationResults') };
    }
    if (segs.length === 7 && eq(segs[3], 'Microsoft.Insights') && eq(segs[4], 'eventtypes') && eq(segs[5], 'management') && eq(segs[6], 'values')) {
      return { kind: 'activityLog.list', subscriptionId };
    }
    return { kind: 'unknown' };
  }
  if (!eq(segs[2], 'resourceGroups') || segs[3] === undefined) return { kind: 'unknown' };
  const resourceGroup = segs[3];
  if (segs.length === 4) return { kind: 'resourceGroups.get', subscriptionId, resourceGroup };
  if (segs.length === 5 && eq(segs[4], 'resources')) return { kind: 'resources.listByResourceGroup', subscriptionId, resourceGroup };
  if (eq(segs[4], 'providers') && segs.length >= 8) return { kind: 'resource', subscriptionId, resourceGroup, segments: segs.slice(5) };
  return { kind: 'unknown' };
}
