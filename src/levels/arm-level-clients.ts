import type { TokenCredential } from '@azure/core-auth';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { ResourceManagementClient } from '@azure/arm-resources';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { createAuthorizationClient, createResourceClients } from '../azure/arm-clients.ts';
import type { AzureEndpoints } from '../azure/azure-endpoints.ts';

/**
 * Per-subscription ARM clients built on Elevate's governance credential, created once per
 * subscription and reused. Every HTTP request they send (pages and retries included) is counted
 * under `purpose`, so elevate_arm_requests_total shows what level enforcement costs.
 */
export interface LevelArmClients {
  authorization(subscriptionId: string): AuthorizationManagementClient;
  resources(subscriptionId: string): ResourceManagementClient;
}

export type ArmRequestCounter = (purpose: string, status: string) => void;

function countingPolicy(purpose: string, count: ArmRequestCounter): PipelinePolicy {
  return {
    name: `elevateLevelsCounter-${purpose}`,
    async sendRequest(request, next) {
      try {
        const response = await next(request);
        count(purpose, String(response.status));
        return response;
      } catch (err) {
        count(purpose, 'error');
        throw err;
      }
    },
  };
}

export function createLevelArmClients(credential: TokenCredential, endpoints: AzureEndpoints, count?: ArmRequestCounter): LevelArmClients {
  const auth = new Map<string, AuthorizationManagementClient>();
  const res = new Map<string, ResourceManagementClient>();
  return {
    authorization(subscriptionId) {
      const key = subscriptionId.toLowerCase();
      let c = auth.get(key);
      if (!c) {
        c = createAuthorizationClient(credential, key, endpoints);
        if (count) c.pipeline.addPolicy(countingPolicy('role-assignments', count));
        auth.set(key, c);
      }
      return c;
    },
    resources(subscriptionId) {
      const key = subscriptionId.toLowerCase();
      let c = res.get(key);
      if (!c) {
        c = createResourceClients(credential, key, endpoints).client;
        if (count) c.pipeline.addPolicy(countingPolicy('inventory', count));
        res.set(key, c);
      }
      return c;
    },
  };
}
