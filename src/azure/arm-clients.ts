import type { TokenCredential } from '@azure/core-auth';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ResourceManagementClient, type GenericResourceExpanded, type ResourceGroup } from '@azure/arm-resources';
import type { AzureEndpoints } from './azure-endpoints.ts';

/**
 * Generated ARM clients pointed at the configured ARM endpoint. Both `endpoint` and `$host` are set
 * because the generated operation specs build URLs from `$host`, and the token scope is pinned to
 * ARM's audience: left alone the SDK would ask for `${endpoint}/.default`, the sandbox's URL.
 */
function armClientOptions(endpoints: AzureEndpoints) {
  return {
    endpoint: endpoints.armEndpoint,
    $host: endpoints.armEndpoint,
    credentialScopes: [endpoints.armScope],
    userAgentOptions: { userAgentPrefix: 'elevate' },
  };
}

export function createAuthorizationClient(credential: TokenCredential, subscriptionId: string, endpoints: AzureEndpoints): AuthorizationManagementClient {
  return new AuthorizationManagementClient(credential, subscriptionId, armClientOptions(endpoints));
}

export interface ResourceClients {
  client: ResourceManagementClient;
  listResourceGroups(): Promise<ResourceGroup[]>;
  listResourcesInGroup(resourceGroupName: string): Promise<GenericResourceExpanded[]>;
}

export function createResourceClients(credential: TokenCredential, subscriptionId: string, endpoints: AzureEndpoints): ResourceClients {
  const client = new ResourceManagementClient(credential, subscriptionId, armClientOptions(endpoints));
  return {
    client,
    listResourceGroups: () => collect(client.resourceGroups.list()),
    listResourcesInGroup: (resourceGroupName) => collect(client.resources.listByResourceGroup(resourceGroupName)),
  };
}

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of pages) out.push(item);
  return out;
}
