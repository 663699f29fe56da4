import type { ArmRoute } from './arm-route.ts';
import { armErrors, type ArmError } from './arm-errors.ts';

/**
 * The api-versions ARM accepts for each resource type the sandbox serves, taken from the versions
 * Azure publishes in github.com/Azure/azure-rest-api-specs (folder named in each comment,
 * `specification/<service>/resource-manager/<Namespace>/{stable,preview}/<version>`). ARM
 * refuses any other version: for its own types (Microsoft.Resources, and the global
 * Microsoft.Authorization/Management types) with 400 InvalidApiVersionParameter listing the
 * supported versions; for a resource provider's types with 400 NoRegisteredProviderFound naming
 * the location and the supported versions; an unknown namespace is InvalidResourceNamespace and
 * an unknown type InvalidResourceType.
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/error-register-resource-provider
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/troubleshooting/error-invalid-name-segments
 */

const v = (s: string) => s.trim().split(/\s+/);

// specification/resources/resource-manager/Microsoft.Resources/stable (resources.json)
const RESOURCES = v(`2015-11-01 2016-02-01 2016-07-01 2016-09-01 2017-05-10 2018-02-01 2018-05-01 2019-03-01 2019-05-01 2019-05-10
  2019-07-01 2019-08-01 2019-10-01 2020-06-01 2020-08-01 2020-10-01 2021-01-01 2021-04-01 2022-09-01 2023-07-01 2024-03-01 2024-07-01
  2024-11-01 2025-03-01 2025-04-01`);
// specification/resources/resource-manager/Microsoft.Resources/stable (subscriptions.json); ARM also
// routes /subscriptions with its own (resources.json) versions
const SUBSCRIPTIONS = [...new Set([...v('2016-06-01 2018-06-01 2019-06-01 2019-11-01 2020-01-01 2021-01-01 2022-12-01'), ...RESOURCES])];
// specification/authorization/resource-manager/Microsoft.Authorization/{stable,preview}
const ROLE_ASSIGNMENTS = v('2015-07-01 2018-01-01-preview 2018-09-01-preview 2020-03-01-preview 2020-04-01-preview 2020-08-01-preview 2020-10-01-preview 2021-04-01-preview 2022-01-01-preview 2022-04-01');
const ROLE_DEFINITIONS = v('2015-07-01 2018-01-01-preview 2022-04-01 2022-05-01-preview');
const DENY_ASSIGNMENTS = v('2018-07-01-preview 2019-03-01-preview 2022-03-01 2022-04-01 2024-07-01-preview');
// .../Microsoft.Authorization/stable/2020-10-01 and preview (PIM: role assignment schedule requests, schedules, instances)
const ROLE_ASSIGNMENT_SCHEDULES = v('2020-10-01 2020-10-01-preview 2022-04-01-preview 2024-02-01-preview 2024-09-01-preview');
const PERMISSIONS = v('2015-07-01 2018-01-01-preview 2022-04-01 2022-05-01-preview');
// specification/managementgroups/resource-manager/Microsoft.Management/{stable,preview}
const MANAGEMENT_GROUPS = v('2017-11-01-preview 2018-01-01-preview 2018-03-01-preview 2019-11-01 2020-02-01 2020-05-01 2020-10-01 2021-04-01 2023-04-01');
// specification/monitor/resource-manager/Microsoft.Insights/stable/2015-04-01 (activityLogs_API.json)
const ACTIVITY_LOG = v('2015-04-01 2017-03-01-preview');
// specification/app/resource-manager/Microsoft.App/ContainerApps/{stable,preview}
const CONTAINER_APPS = v(`2022-01-01-preview 2022-03-01 2022-06-01-preview 2022-10-01 2022-11-01-preview 2023-04-01-preview 2023-05-01
  2023-05-02-preview 2023-08-01-preview 2023-11-02-preview 2024-02-02-preview 2024-03-01 2024-08-02-preview 2024-10-02-preview 2025-01-01
  2025-02-02-preview`);
// specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable
const COMPUTE = v(`2015-06-15 2016-03-30 2016-04-30-preview 2017-03-30 2017-12-01 2018-04-01 2018-06-01 2018-10-01 2019-03-01 2019-07-01
  2019-12-01 2020-06-01 2020-12-01 2021-03-01 2021-04-01 2021-07-01 2021-11-01 2022-03-01 2022-08-01 2022-11-01 2023-03-01 2023-07-01
  2023-09-01 2024-03-01 2024-07-01 2024-11-01 2025-04-01`);
// specification/containerservice/resource-manager/Microsoft.ContainerService/aks/stable
const AKS = v(`2019-02-01 2019-04-01 2019-06-01 2019-08-01 2019-10-01 2019-11-01 2020-01-01 2020-02-01 2020-03-01 2020-04-01 2020-06-01
  2020-07-01 2020-09-01 2020-11-01 2020-12-01 2021-02-01 2021-03-01 2021-05-01 2021-07-01 2021-08-01 2021-09-01 2021-10-01 2022-01-01
  2022-02-01 2022-03-01 2022-04-01 2022-06-01 2022-07-01 2022-08-01 2022-09-01 2022-11-01 2023-01-01 2023-02-01 2023-03-01 2023-04-01
  2023-05-01 2023-06-01 2023-07-01 2023-08-01 2023-09-01 2023-10-01 2023-11-01 2024-01-01 2024-02-01 2024-05-01 2024-07-01 2024-08-01
  2024-09-01 2024-10-01 2025-01-01`);
// specification/web/resource-manager/Microsoft.Web/AppService/stable
const WEB = v(`2015-08-01 2016-03-01 2016-08-01 2016-09-01 2018-02-01 2018-11-01 2019-08-01 2020-06-01 2020-09-01 2020-10-01 2020-12-01
  2021-01-01 2021-01-15 2021-02-01 2021-03-01 2022-03-01 2022-09-01 2023-01-01 2023-12-01 2024-04-01 2024-11-01`);
// specification/storage/resource-manager/Microsoft.Storage/stable
const STORAGE = v(`2015-06-15 2016-01-01 2016-05-01 2016-12-01 2017-06-01 2017-10-01 2018-02-01 2018-07-01 2018-11-01 2019-04-01 2019-06-01
  2021-01-01 2021-02-01 2021-04-01 2021-06-01 2021-08-01 2021-09-01 2022-05-01 2022-09-01 2023-01-01 2023-04-01 2023-05-01 2024-01-01 2025-01-01`);
// specification/sql/resource-manager/Microsoft.Sql/{stable,preview}
const SQL = v(`2014-04-01 2015-05-01-preview 2017-03-01-preview 2019-06-01-preview 2020-02-02-preview 2020-08-01-preview 2020-11-01-preview
  2021-02-01-preview 2021-05-01-preview 2021-08-01-preview 2021-11-01 2022-02-01-preview 2022-05-01-preview 2022-08-01-preview
  2022-11-01-preview 2023-02-01-preview 2023-05-01-preview 2023-08-01 2024-05-01-preview`);
// specification/keyvault/resource-manager/Microsoft.KeyVault/{stable,preview}
const KEY_VAULT = v('2015-06-01 2016-10-01 2018-02-14 2019-09-01 2020-04-01-preview 2021-04-01-preview 2021-06-01-preview 2021-10-01 2022-07-01 2023-02-01 2023-07-01 2024-04-01-preview 2024-11-01');
// specification/operationalinsights/resource-manager/Microsoft.OperationalInsights/{stable,preview}
const LOG_ANALYTICS = v('2015-11-01-preview 2020-03-01-preview 2020-08-01 2020-10-01 2021-06-01 2021-12-01-preview 2022-10-01 2023-09-01 2025-02-01');
// specification/network/resource-manager/Microsoft.Network/stable
const NETWORK = v(`2015-06-15 2016-03-30 2016-06-01 2016-09-01 2016-12-01 2017-03-01 2017-06-01 2017-08-01 2017-09-01 2017-10-01 2017-11-01
  2018-01-01 2018-02-01 2018-04-01 2018-06-01 2018-07-01 2018-08-01 2018-10-01 2018-11-01 2018-12-01 2019-02-01 2019-04-01 2019-06-01
  2019-07-01 2019-08-01 2019-09-01 2019-11-01 2019-12-01 2020-03-01 2020-04-01 2020-05-01 2020-06-01 2020-07-01 2020-08-01 2020-11-01
  2021-02-01 2021-03-01 2021-05-01 2021-08-01 2022-01-01 2022-05-01 2022-07-01 2022-09-01 2022-11-01 2023-02-01 2023-04-01 2023-05-01
  2023-06-01 2023-09-01 2023-11-01 2024-01-01 2024-03-01 2024-05-01 2024-07-01`);
// specification/msi/resource-manager/Microsoft.ManagedIdentity/{stable,preview}
const MANAGED_IDENTITY = v('2015-08-31-preview 2018-11-30 2021-09-30-preview 2022-01-31-preview 2023-01-31 2023-07-31-preview 2024-11-30');
// specification/monitor/resource-manager/Microsoft.Insights/{stable,preview} (diagnosticSettings, metricAlerts, ...)
const INSIGHTS = v('2015-04-01 2016-03-01 2017-05-01-preview 2018-03-01 2021-05-01-preview 2023-01-01 2024-03-01-preview');
// specification/recoveryservicesbackup/resource-manager/Microsoft.RecoveryServices/stable
const RECOVERY_SERVICES = v('2016-06-01 2016-12-01 2019-05-13 2019-06-15 2021-01-01 2021-12-01 2022-03-01 2022-10-01 2023-01-01 2023-04-01 2023-06-01 2024-04-01 2024-10-01 2025-02-01');
// specification/alertsmanagement/resource-manager/Microsoft.AlertsManagement/{stable,preview} (AlertsManagement.json):
// alerts at subscription scope since 2018-05-05; at any scope ({scope}/providers/...) in the 2023+ previews
const ALERTS_SUBSCRIPTION = v('2018-05-05 2019-03-01 2019-05-05-preview 2023-07-12-preview 2024-01-01-preview');
const ALERTS_ANY_SCOPE = v('2023-07-12-preview 2024-01-01-preview');
// specification/dns/resource-manager/Microsoft.Network/stable (dnszones)
const DNS = v('2016-04-01 2017-09-01 2017-10-01 2018-03-01-preview 2018-05-01 2023-07-01-preview');

/** namespace -> top-level resource type -> versions (lower case keys). */
const PROVIDER_TYPES: Record<string, Record<string, string[]>> = {
  'microsoft.app': { containerapps: CONTAINER_APPS, managedenvironments: CONTAINER_APPS, jobs: CONTAINER_APPS, locations: CONTAINER_APPS },
  'microsoft.compute': { virtualmachines: COMPUTE, virtualmachinescalesets: COMPUTE, disks: COMPUTE, locations: COMPUTE },
  'microsoft.containerservice': { managedclusters: AKS, locations: AKS },
  'microsoft.web': { sites: WEB, serverfarms: WEB, locations: WEB },
  'microsoft.storage': { storageaccounts: STORAGE, locations: STORAGE },
  'microsoft.sql': { servers: SQL, locations: SQL },
  'microsoft.keyvault': { vaults: KEY_VAULT, locations: KEY_VAULT },
  'microsoft.operationalinsights': { workspaces: LOG_ANALYTICS, locations: LOG_ANALYTICS },
  'microsoft.network': { networkinterfaces: NETWORK, virtualnetworks: NETWORK, networksecuritygroups: NETWORK, publicipaddresses: NETWORK, loadbalancers: NETWORK, dnszones: DNS, privatednszones: v('2018-09-01 2020-01-01 2020-06-01 2024-06-01'), locations: NETWORK },
  'microsoft.managedidentity': { userassignedidentities: MANAGED_IDENTITY },
  'microsoft.insights': { diagnosticsettings: INSIGHTS, metricalerts: v('2018-03-01 2024-03-01-preview'), scheduledqueryrules: v('2018-04-16 2021-08-01 2023-03-15-preview 2023-12-01 2024-01-01-preview'), activitylogalerts: v('2017-04-01 2020-10-01 2023-01-01-preview'), actiongroups: v('2019-06-01 2021-09-01 2022-06-01 2023-01-01 2023-09-01-preview 2024-10-01-preview'), eventtypes: ACTIVITY_LOG },
  'microsoft.alertsmanagement': { prometheusrulegroups: v('2021-07-22-preview 2023-03-01'), smartdetectoralertrules: v('2019-03-01 2019-06-01 2021-04-01') },
  'microsoft.recoveryservices': { vaults: RECOVERY_SERVICES, locations: RECOVERY_SERVICES },
  'microsoft.authorization': { roleassignments: ROLE_ASSIGNMENTS, roledefinitions: ROLE_DEFINITIONS, denyassignments: DENY_ASSIGNMENTS, permissions: PERMISSIONS, roleassignmentschedulerequests: ROLE_ASSIGNMENT_SCHEDULES, roleassignmentschedules: ROLE_ASSIGNMENT_SCHEDULES, roleassignmentscheduleinstances: ROLE_ASSIGNMENT_SCHEDULES },
  'microsoft.management': { managementgroups: MANAGEMENT_GROUPS },
};

/** Namespaces ARM itself answers for (no regional provider): their errors are InvalidApiVersionParameter. */
const ARM_OWN = new Set(['microsoft.resources', 'microsoft.authorization', 'microsoft.management']);

const newestFirst = (vs: readonly string[]) => [...vs].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));

export interface ApiVersionTarget {
  namespace: string;
  /** the resource type as written in the request, for messages */
  type: string;
  versions: readonly string[] | undefined;
}

/** What a route is, for api-version purposes: the namespace and type ARM resolves it to. */
export function apiVersionTarget(route: ArmRoute): ApiVersionTarget | undefined {
  switch (route.kind) {
    case 'subscriptions.list':
    case 'subscriptions.get':
      return { namespace: 'Microsoft.Resources', type: 'subscriptions', versions: SUBSCRIPTIONS };
    case 'resourceGroups.list':
    case 'resourceGroups.get':
      return { namespace: 'Microsoft.Resources', type: 'resourceGroups', versions: RESOURCES };
    case 'resources.listByResourceGroup':
    case 'resources.listBySubscription':
      return { namespace: 'Microsoft.Resources', type: 'resources', versions: RESOURCES };
    case 'managementGroups.list':
    case 'managementGroups.get':
    case 'managementGroups.descendants':
      return { namespace: 'Microsoft.Management', type: 'managementGroups', versions: MANAGEMENT_GROUPS };
    case 'activityLog.list':
      return { namespace: 'Microsoft.Insights', type: 'eventtypes', versions: ACTIVITY_LOG };
    case 'authorization':
      return { namespace: 'Microsoft.Authorization', type: route.collection, versions: PROVIDER_TYPES['microsoft.authorization']![route.collection.toLowerCase()] };
    case 'operations.status':
      return { namespace: route.namespace, type: 'locations/operations', versions: PROVIDER_TYPES[route.namespace.toLowerCase()]?.['locations'] };
    case 'alerts':
      return { namespace: 'Microsoft.AlertsManagement', type: 'alerts', versions: route.scope.split('/').length === 3 ? ALERTS_SUBSCRIPTION : ALERTS_ANY_SCOPE };
    case 'resource': {
      // the last `providers/{namespace}/{type}` decides (extension resources under a resource)
      const segs = route.segments;
      let i = 0;
      for (let j = segs.length - 2; j > 0; j--) {
        if (segs[j]!.toLowerCase() === 'providers') {
          i = j + 1;
          break;
        }
      }
      const namespace = segs[i]!;
      const type = segs[i + 1] ?? '';
      return { namespace, type, versions: PROVIDER_TYPES[namespace.toLowerCase()]?.[type.toLowerCase()] };
    }
    case 'unknown':
      return undefined;
  }
}

/** The error ARM answers for `apiVersion` on `target`, or undefined when ARM accepts it. */
export function apiVersionProblem(target: ApiVersionTarget, apiVersion: string, location: string): ArmError | undefined {
  const ns = target.namespace.toLowerCase();
  if (target.versions === undefined) {
    if (!PROVIDER_TYPES[ns] && !ARM_OWN.has(ns)) return armErrors.invalidResourceNamespace(target.namespace);
    return armErrors.invalidResourceType(target.type, target.namespace, apiVersion);
  }
  if (target.versions.includes(apiVersion)) return undefined;
  const supported = newestFirst(target.versions);
  if (ARM_OWN.has(ns)) return armErrors.invalidApiVersion(apiVersion, supported);
  return armErrors.noRegisteredProviderFound(location, apiVersion, target.type, supported);
}
