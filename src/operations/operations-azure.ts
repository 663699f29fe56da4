/**
 * The Azure adapters of the operations capability: the permission cache reading role
 * assignments through @azure/arm-authorization with Elevate's governance credential, ARM clients
 * per acting credential, and the agents' managed-identity credentials.
 */
import type { TokenCredential } from '@azure/core-auth';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { createAuthorizationClient } from '../azure/arm-clients.ts';
import { createArmPipelineClient, type ArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { AzureEndpoints } from '../azure/azure-endpoints.ts';
import { createGraphMemberGroupsCheck } from '../azure/graph-member-groups.ts';
import { createAgentCredential } from '../azure/service-credential.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createEvaluator } from '../rbac/rbac-evaluator.ts';
import type { RoleDefinition } from '../rbac/rbac-types.ts';
import { armRequestCountingPolicy, createArmPermissionSource, PERMISSION_CACHE_PURPOSE } from './arm-permission-source.ts';
import type { Agent } from './operation-types.ts';
import { createPermissionCache, type PermissionCache } from './permission-cache.ts';
import { createRecentSightings } from './recent-sightings.ts';

export interface OperationsAzureDeps {
  endpoints: AzureEndpoints;
  /** Reads the agents' role assignments (Elevate's governance credential). */
  readerCredential: TokenCredential;
  catalogRoles: readonly RoleDefinition[];
  permissionCacheSeconds: number;
  metrics?: Pick<Metrics, 'armRequests'> | undefined;
  logger?: Logger | undefined;
}

export function createArmPermissionCache(deps: OperationsAzureDeps): PermissionCache {
  const clients = new Map<string, AuthorizationManagementClient>();
  const count = (status: string) => deps.metrics?.armRequests.inc({ purpose: PERMISSION_CACHE_PURPOSE, status });
  // the catalog itself (frozen), not a copy: evaluators over it share one suggestion index
  const catalog = deps.catalogRoles;
  // One doorkeeper (recent-sightings.ts) for the cache's answers and its evaluators' scope memos:
  // each keeps only what is asked about again, so an agent naming each resource once leaves
  // nothing behind for the collector.
  const sightings = createRecentSightings();
  const source = createArmPermissionSource({
    catalogRoles: deps.catalogRoles,
    // deny assignments may name groups that hold no role; Graph says whether the agent is in them
    memberGroups: createGraphMemberGroupsCheck(deps.readerCredential, deps.endpoints),
    clientFor(subscriptionId) {
      let client = clients.get(subscriptionId);
      if (!client) {
        client = createAuthorizationClient(deps.readerCredential, subscriptionId, deps.endpoints);
        client.pipeline.addPolicy(armRequestCountingPolicy(count));
        clients.set(subscriptionId, client);
      }
      return client;
    },
  });
  return createPermissionCache({
    source,
    makeEvaluator: (state) => createEvaluator(state, { catalog, keepScope: sightings.sightText }),
    sightings,
    ttlMs: deps.permissionCacheSeconds * 1000,
    onRefreshError: (err, principalId, subscriptionId) =>
      deps.logger?.warn({ reason: err instanceof Error ? err.message.split('\n')[0] : String(err), principalId, subscriptionId }, 'permission cache refresh failed; serving the current entry until it expires'),
  });
}

/** One ARM client per acting credential (the UAMI's stays for the process; an OBO one dies with its request). */
export function armClientsByCredential(endpoints: AzureEndpoints, options: { metrics?: Pick<Metrics, 'armRequests'> | undefined; logger?: Logger | undefined } = {}) {
  const clients = new WeakMap<TokenCredential, ArmPipelineClient>();
  return (credential: TokenCredential): ArmPipelineClient => {
    let client = clients.get(credential);
    if (!client) {
      client = createArmPipelineClient(credential, endpoints, {
        // An operation is sent once: a retried write could run twice, so the pipeline does not retry.
        retry: { maxRetries: 0 },
        ...(options.metrics ? { metrics: options.metrics } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
      });
      clients.set(credential, client);
    }
    return client;
  };
}

/** The agents' managed-identity credentials, one per UAMI (token caching lives in the credential). */
export function agentCredentials(): (agent: Agent) => TokenCredential {
  const byClientId = new Map<string, TokenCredential>();
  return (agent) => {
    const key = agent.uamiClientId.toLowerCase();
    let credential = byClientId.get(key);
    if (!credential) {
      credential = createAgentCredential(agent.uamiClientId);
      byClientId.set(key, credential);
    }
    return credential;
  };
}
