import type { ArmPipelineClient } from '../azure/arm-pipeline-client.ts';
import type { ResourceGroupVerifier } from './agent-registry.ts';
import { AgentInputError } from './agent-types.ts';

const SUBSCRIPTIONS_API = '2022-12-01';
const RESOURCE_GROUPS_API = '2021-04-01';
const MAX_PAGES = 50;
const LIST_MAX_AGE_MS = 5 * 60_000;
const MISS_RELOAD_AFTER_MS = 30_000;

/**
 * Checks a resource group with Elevate's governance credential before an agent may manage it: its
 * subscription must be one Elevate sees in the agent's tenant, and the group must exist. A group
 * from another tenant (or a subscription Elevate cannot see) is refused before anything is stored.
 */
export function createArmResourceGroupVerifier(arm: ArmPipelineClient, now: () => number = Date.now): ResourceGroupVerifier {
  let subscriptions: Promise<Map<string, string>> | undefined;
  let loadedAt = 0;

  function current(maxAgeMs: number): Promise<Map<string, string>> {
    if (!subscriptions || now() - loadedAt > maxAgeMs) {
      loadedAt = now();
      subscriptions = loadSubscriptions().catch((err: unknown) => {
        subscriptions = undefined;
        throw err;
      });
    }
    return subscriptions;
  }

  async function loadSubscriptions(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    let res = await arm.armRequest({ method: 'GET', path: '/subscriptions', apiVersion: SUBSCRIPTIONS_API, purpose: 'agent-registry' });
    for (let page = 0; page < MAX_PAGES; page++) {
      if (res.status !== 200) throw new Error(`could not list subscriptions to verify the resource group: ${armErrorText(res.status, res.body)}`);
      const body = res.body as { value?: Array<{ subscriptionId?: unknown; tenantId?: unknown }>; nextLink?: unknown } | undefined;
      for (const s of body?.value ?? []) {
        if (typeof s.subscriptionId === 'string') out.set(s.subscriptionId.toLowerCase(), typeof s.tenantId === 'string' ? s.tenantId.toLowerCase() : '');
      }
      if (typeof body?.nextLink !== 'string') break;
      res = await arm.armGetUrl(body.nextLink, res.correlationId);
    }
    return out;
  }

  return {
    async verify(ref, tenantId) {
      // The list is kept a few minutes; a subscription it lacks is looked for once more in a fresh one.
      let tenantOf = (await current(LIST_MAX_AGE_MS)).get(ref.subscriptionId);
      if (tenantOf === undefined) tenantOf = (await current(MISS_RELOAD_AFTER_MS)).get(ref.subscriptionId);
      if (tenantOf === undefined) {
        throw new AgentInputError(
          `resource group ${ref.id}: subscription ${ref.subscriptionId} is not visible to Elevate in tenant ${tenantId} (another tenant's, or Elevate's app holds no role there)`,
        );
      }
      if (tenantOf !== '' && tenantOf !== tenantId.toLowerCase()) {
        throw new AgentInputError(`resource group ${ref.id}: subscription ${ref.subscriptionId} belongs to tenant ${tenantOf}, not ${tenantId}`);
      }
      const res = await arm.armRequest({ method: 'GET', path: ref.id, apiVersion: RESOURCE_GROUPS_API, purpose: 'agent-registry' });
      if (res.status === 404) throw new AgentInputError(`resource group ${ref.id} does not exist`);
      if (res.status !== 200) throw new Error(`could not verify resource group ${ref.id}: ${armErrorText(res.status, res.body)}`);
    },
  };
}

function armErrorText(status: number, body: unknown): string {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof e?.code === 'string' ? e.code : `HTTP ${status}`;
  const message = typeof e?.message === 'string' ? `: ${e.message.split('\n')[0]!.slice(0, 300)}` : '';
  return `${code}${message}`;
}
