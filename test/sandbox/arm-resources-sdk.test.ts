import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { sandboxInfo } from '../support/sandbox-context.ts';

const s = () => sandboxInfo();

/** ResourceManagementClient against the sandbox: only the endpoint and the token scope differ from Azure. */
function resourcesClient(): ResourceManagementClient {
  return new ResourceManagementClient(new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId }), s().tenant.agent.subscriptionId, {
    endpoint: s().armEndpoint,
    credentialScopes: ['https://management.azure.com/.default'],
  });
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('@azure/arm-resources against the sandbox (as the agent)', () => {
  it('lists resource groups and pages through a group’s resources with top', async () => {
    const client = resourcesClient();
    const groups = await collect(client.resourceGroups.list());
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['rg-sre-apps', 'rg-sre-vms']));
    const all = await collect(client.resources.listByResourceGroup('rg-sre-vms', { top: 1 }));
    expect(all.map((r) => r.name).sort()).toEqual(['vm-sre-jump-01', 'vm-sre-worker-01', 'vmss-sre-batch']);
    const pages = [];
    for await (const page of client.resources.listByResourceGroup('rg-sre-vms', { top: 1 }).byPage()) pages.push(page);
    expect(pages).toHaveLength(3);
  });

  it('gets a resource group and a resource by id', async () => {
    const client = resourcesClient();
    expect((await client.resourceGroups.get('rg-sre-apps')).location).toBe('westeurope');
    const app = s().tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.name === 'ca-checkout')!;
    const got = await client.resources.getById(app.id, '2024-03-01');
    expect(got).toMatchObject({ id: app.id, type: 'Microsoft.App/containerApps', properties: { latestRevisionName: 'ca-checkout--v2' } });
    await expect(client.resourceGroups.get('rg-missing')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' });
  });
});
