/**
 * Resource names with the characters ARM allows (here a metric alert named with spaces) reach the
 * sandbox's ARM percent-encoded per segment, as @azure/arm-resources sends them, and come back
 * decoded in ids; an encoded separator inside a name is refused rather than read as a path.
 */
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { armRequest } from '../support/arm-request.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

const s = () => sandboxInfo();
const agentCredential = () => new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId });
const alert = () => s().tenant.resourceGroups.find((g) => g.name === 'rg-sre-apps')!.resources.find((r) => r.name === 'High CPU on ca-checkout')!;

describe('resource names ARM allows, on the wire', () => {
  it('reads a resource whose name has spaces through the SDK, and lists it with its decoded id', async () => {
    const client = new ResourceManagementClient(agentCredential(), s().tenant.agent.subscriptionId, { endpoint: s().armEndpoint, credentialScopes: ['https://management.azure.com/.default'] });
    const got = await client.resources.getById(alert().id, '2018-03-01');
    expect(got).toMatchObject({ id: alert().id, name: 'High CPU on ca-checkout', type: 'Microsoft.Insights/metricAlerts', location: 'global' });
    const listed = [];
    for await (const r of client.resources.listByResourceGroup('rg-sre-apps', { filter: "resourceType eq 'Microsoft.Insights/metricAlerts'" })) listed.push(r.id);
    expect(listed).toEqual([alert().id]);
  });

  it('refuses an encoded slash or backslash inside a name', async () => {
    const base = alert().id.replace(/\/High CPU on ca-checkout$/, '');
    for (const name of ['a%2F..%2F..%2Fb', 'a%5Cb', '%E0%A4%A']) {
      const r = await armRequest(agentCredential(), 'GET', `${base}/${name}?api-version=2018-03-01`);
      expect(r.status, name).toBe(400);
      expect((r.body as { error: { code: string } }).error.code).toBe('InvalidResourceId');
    }
    const ok = await armRequest(agentCredential(), 'GET', `${base}/High%20CPU%20on%20ca-checkout?api-version=2018-03-01`);
    expect(ok.status).toBe(200);
  });
});
