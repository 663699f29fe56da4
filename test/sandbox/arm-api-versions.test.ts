/**
 * The sandbox's ARM accepts only the api-versions Azure publishes for each type it serves, and
 * refuses the others with ARM's bodies, seen through the SDKs: @azure/arm-resources (generated
 * client, explicit api-version on getById), @azure/arm-authorization (its pinned version), and
 * @azure/core-rest-pipeline for routes no installed client covers.
 */
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import { ResourceManagementClient } from '@azure/arm-resources';
import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { apiVersionProblem, apiVersionTarget } from '../../src/sandbox/arm/api-versions.ts';
import { classifyArmPath } from '../../src/sandbox/arm/arm-route.ts';
import { armRequest } from '../support/arm-request.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

const s = () => sandboxInfo();
const agentCredential = () => new ManagedIdentityCredential({ clientId: s().tenant.agent.uamiClientId });
const sdkOptions = () => ({ endpoint: s().armEndpoint, credentialScopes: ['https://management.azure.com/.default'] });
const resource = (rg: string, name: string) => s().tenant.resourceGroups.find((g) => g.name === rg)!.resources.find((r) => r.name === name)!;
const errorOf = (r: { body: unknown }) => (r.body as { error: { code: string; message: string } }).error;

describe('api-versions per resource type (through the SDKs)', () => {
  it('serves the versions the SDKs pin and real ones the agent asks for', async () => {
    const resources = new ResourceManagementClient(agentCredential(), s().tenant.agent.subscriptionId, sdkOptions());
    // @azure/arm-resources 7 pins Microsoft.Resources 2025-04-01
    expect((await resources.resourceGroups.get('rg-sre-apps')).name).toBe('rg-sre-apps');
    const app = resource('rg-sre-apps', 'ca-checkout');
    for (const v of ['2024-03-01', '2023-11-02-preview', '2022-03-01']) expect((await resources.resources.getById(app.id, v)).id).toBe(app.id);
    // @azure/arm-authorization 9 pins Microsoft.Authorization 2022-04-01
    const authz = new AuthorizationManagementClient(agentCredential(), s().tenant.agent.subscriptionId, sdkOptions());
    const assignments = [];
    for await (const a of authz.roleAssignments.listForScope(`/subscriptions/${s().tenant.agent.subscriptionId}/resourceGroups/rg-sre-apps`, { filter: 'atScope()' })) assignments.push(a);
    expect(assignments.length).toBeGreaterThan(0);
  });

  it("refuses an unpublished version of a provider's type with NoRegisteredProviderFound", async () => {
    const resources = new ResourceManagementClient(agentCredential(), s().tenant.agent.subscriptionId, sdkOptions());
    const app = resource('rg-sre-apps', 'ca-checkout');
    const err = await resources.resources.getById(app.id, '2021-01-01').catch((e: unknown) => e);
    expect(err).toMatchObject({ statusCode: 400, code: 'NoRegisteredProviderFound' });
    const message = (err as Error).message;
    expect(message).toMatch(/^No registered resource provider found for location 'westeurope' and API version '2021-01-01' for type 'containerApps'\. The supported api-versions are '2025-02-02-preview, 2025-01-01, .*, 2022-01-01-preview'\. The supported locations are '.+'\.$/);
    // a version that looks right but Azure never published for this type
    const vm = resource('rg-sre-vms', 'vm-sre-jump-01');
    await expect(resources.resources.getById(vm.id, '2024-03-02')).rejects.toMatchObject({ statusCode: 400, code: 'NoRegisteredProviderFound' });
    expect((await resources.resources.getById(vm.id, '2024-07-01')).id).toBe(vm.id);
  });

  it("refuses an unknown version of ARM's own types with InvalidApiVersionParameter listing the supported ones", async () => {
    const sub = s().tenant.agent.subscriptionId;
    const bad = await armRequest(agentCredential(), 'GET', `/subscriptions/${sub}/resourcegroups?api-version=2014-01-01`);
    expect(bad.status).toBe(400);
    expect(errorOf(bad)).toEqual({
      code: 'InvalidApiVersionParameter',
      message: expect.stringMatching(/^The api-version '2014-01-01' is invalid\. The supported versions are '2025-04-01,2025-03-01,2024-11-01,.*,2015-11-01'\.$/),
    });
    const latest = await armRequest(agentCredential(), 'GET', `/subscriptions/${sub}/resourcegroups?api-version=latest`);
    expect(errorOf(latest).code).toBe('InvalidApiVersionParameter');
    const authz = await armRequest(agentCredential(), 'GET', `/subscriptions/${sub}/providers/Microsoft.Authorization/roleAssignments?api-version=2099-01-01`);
    expect(errorOf(authz)).toMatchObject({ code: 'InvalidApiVersionParameter', message: expect.stringContaining("The supported versions are '2022-04-01,2022-01-01-preview,") });
    expect((await armRequest(agentCredential(), 'GET', `/subscriptions?api-version=2022-12-01`)).status).toBe(200);
  });

  it('refuses unknown namespaces and types the way ARM does', async () => {
    const rg = `/subscriptions/${s().tenant.agent.subscriptionId}/resourceGroups/rg-sre-apps`;
    const ns = await armRequest(agentCredential(), 'GET', `${rg}/providers/Contoso.Nothing/widgets/w1?api-version=2024-01-01`);
    expect(ns.status).toBe(400);
    expect(errorOf(ns)).toEqual({ code: 'InvalidResourceNamespace', message: "The resource namespace 'Contoso.Nothing' is invalid." });
    const type = await armRequest(agentCredential(), 'GET', `${rg}/providers/Microsoft.App/widgets/w1?api-version=2024-03-01`);
    expect(errorOf(type)).toEqual({ code: 'InvalidResourceType', message: "The resource type 'widgets' could not be found in the namespace 'Microsoft.App' for api version '2024-03-01'." });
  });
});

describe('api-version targets', () => {
  it('resolves the type an extension resource belongs to', () => {
    const base = '/subscriptions/b1995c7e-f47d-4afd-b2fc-8cf38f44e21d/resourceGroups/rg/providers';
    const diag = apiVersionTarget(classifyArmPath(`${base}/Microsoft.App/containerApps/a/providers/Microsoft.Insights/diagnosticSettings/d`))!;
    expect(diag).toMatchObject({ namespace: 'Microsoft.Insights', type: 'diagnosticSettings' });
    expect(apiVersionProblem(diag, '2021-05-01-preview', 'westeurope')).toBeUndefined();
    const child = apiVersionTarget(classifyArmPath(`${base}/Microsoft.App/containerApps/a/revisions/r/restart`))!;
    expect(child).toMatchObject({ namespace: 'Microsoft.App', type: 'containerApps' });
  });
});
