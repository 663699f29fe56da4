import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { createAuthorizationClient, createResourceClients } from '../../src/azure/arm-clients.ts';
import { createArmPipelineClient } from '../../src/azure/arm-pipeline-client.ts';
import { resolveAzureEndpoints, type AzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { exchangeOnBehalfOf } from '../../src/azure/obo-exchange.ts';
import { OboExchangeError } from '../../src/azure/obo-error.ts';
import { createAgentCredential, createMsalClientCredential, createServiceCredential } from '../../src/azure/service-credential.ts';
import { staticTokenCredential } from '../../src/azure/static-token-credential.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { forgeSandboxToken } from '../support/token-forge.ts';
import { signInAndGetToken } from './sandbox-sign-in.ts';

const ARM_USER_IMPERSONATION = 'https://management.azure.com/user_impersonation';
let endpoints: AzureEndpoints;
const s = () => sandboxInfo();
const app = () => s().tenant.elevateApp;

async function elevateTokenFor(userKey: string): Promise<string> {
  return signInAndGetToken({ userOid: sandboxUser(userKey).oid, clientId: app().clientId, clientSecret: app().clientSecret, redirectUri: 'http://localhost:3000/auth/callback', scope: app().delegatedScope });
}

async function oboError(promise: Promise<unknown>): Promise<OboExchangeError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OboExchangeError);
  return err as OboExchangeError;
}

beforeAll(() => {
  endpoints = resolveAzureEndpoints(parseConfig({}), s());
});

describe('credentials against the sandbox', () => {
  it("Elevate's service credential (client secret) gets an ARM token for its own service principal", async () => {
    const token = await createServiceCredential(endpoints, { kind: 'secret', clientSecret: app().clientSecret }).getToken(endpoints.armScope);
    const claims = decodeJwt(token!.token);
    expect(claims.aud).toBe('https://management.azure.com/');
    expect(claims.oid).toBe(app().servicePrincipalId);
    expect(claims.appid ?? claims.azp).toBe(app().clientId);
  });

  it('the managed-identity-as-credential path (federated UAMI assertion) gets an ARM token for the app', async () => {
    const mi = app().managedIdentity;
    expect(mi).toBeDefined();
    const token = await createServiceCredential(endpoints, { kind: 'managed-identity', managedIdentityClientId: mi!.clientId }).getToken(endpoints.armScope);
    expect(decodeJwt(token!.token).oid).toBe(app().servicePrincipalId);
  });

  it("the agent's ManagedIdentityCredential gets an ARM token for the UAMI through the sandbox IMDS", async () => {
    const token = await createAgentCredential(s().tenant.agent.uamiClientId).getToken(endpoints.armScope);
    const claims = decodeJwt(token!.token);
    expect(claims.oid).toBe(s().tenant.agent.uamiPrincipalId);
    expect(claims.aud).toBe('https://management.azure.com/');
  });

  it('a wrong client secret fails', async () => {
    await expect(createServiceCredential(endpoints, { kind: 'secret', clientSecret: 'wrong-secret' }).getToken(endpoints.armScope)).rejects.toThrow(/7000215/);
  });
});

describe('ARM clients against the sandbox', () => {
  it('AuthorizationManagementClient lists the agent’s Elevate-managed role assignments on its resource group', async () => {
    const credential = createServiceCredential(endpoints, { kind: 'secret', clientSecret: app().clientSecret });
    const agent = s().tenant.agent;
    const client = createAuthorizationClient(credential, agent.subscriptionId, endpoints);
    // The SDK's URL template is {$host}/{scope}/providers/...: the scope goes without its leading slash.
    const rg = agent.resourceGroupIds[0]!.slice(1);
    const assignments = [];
    for await (const a of client.roleAssignments.listForScope(rg, { filter: `principalId eq '${agent.uamiPrincipalId}'` })) assignments.push(a);
    expect(assignments.length).toBeGreaterThanOrEqual(3);
    expect(assignments.every((a) => a.principalId === agent.uamiPrincipalId)).toBe(true);
    expect(assignments.some((a) => a.description?.startsWith('Managed by Elevate'))).toBe(true);
  });

  it('resource clients list resource groups and the resources in one, across ARM pages', async () => {
    const agent = s().tenant.agent;
    const clients = createResourceClients(createAgentCredential(agent.uamiClientId), agent.subscriptionId, endpoints);
    const groups = await clients.listResourceGroups();
    expect(groups.map((g) => g.name)).toEqual(expect.arrayContaining(['rg-sre-apps', 'rg-sre-vms']));
    const resources = await clients.listResourcesInGroup('rg-sre-apps');
    expect(resources.filter((r) => r.type === 'Microsoft.App/containerApps').map((r) => r.name).sort()).toEqual(['ca-checkout', 'ca-payments']);
  });

  it('armRequest executes a GET as the agent and returns ARM ids', async () => {
    const agent = s().tenant.agent;
    const arm = createArmPipelineClient(createAgentCredential(agent.uamiClientId), endpoints);
    const res = await arm.armRequest({ method: 'GET', path: agent.resourceGroupIds[0]!, apiVersion: '2021-04-01' });
    expect(res.status).toBe(200);
    expect((res.body as { name: string }).name).toBe('rg-sre-apps');
    expect(res.correlationId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a write the agent is not allowed to do fails with AuthorizationFailed', async () => {
    const agent = s().tenant.agent;
    const arm = createArmPipelineClient(createAgentCredential(agent.uamiClientId), endpoints);
    const vm = `${agent.resourceGroupIds[1]!}/providers/Microsoft.Compute/virtualMachines/vm-sre-worker-01/restart`;
    const result = await arm.armRequestAndWait({ method: 'POST', path: vm, apiVersion: '2024-07-01' }, { timeoutMs: 10_000, pollIntervalMs: 50 });
    expect(result.state).toBe('failed');
    expect(result.error?.code).toBe('AuthorizationFailed');
  });
});

describe('on-behalf-of exchange against the sandbox', () => {
  it('validates the admin’s token for Elevate with the sandbox JWKS', async () => {
    const validate = createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri });
    const claims = await validate(await elevateTokenFor('admin'));
    expect(claims).toMatchObject({ oid: sandboxUser('admin').oid, principalType: 'user', clientAppId: app().clientId });
    expect(claims.roles).toContain('SREAgent.Administrator');
    expect(claims.scopes).toContain('user_impersonation');
  });

  it('exchanges the admin’s token for an ARM token and runs a long-running VM restart with it', async () => {
    const assertion = await elevateTokenFor('admin');
    const result = await exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret }) });
    const claims = decodeJwt(result.accessToken);
    expect(claims.aud).toBe('https://management.azure.com/');
    expect(claims.oid).toBe(sandboxUser('admin').oid);
    expect(result.expiresOn.getTime()).toBeGreaterThan(Date.now());
    expect(result.uti).toBe(claims.uti);

    const arm = createArmPipelineClient(staticTokenCredential(result.accessToken, result.expiresOn), endpoints);
    const vm = `${s().tenant.agent.resourceGroupIds[1]!}/providers/Microsoft.Compute/virtualMachines/vm-sre-jump-01/restart`;
    const op = await arm.armRequestAndWait({ method: 'POST', path: vm, apiVersion: '2024-07-01' }, { timeoutMs: 20_000, pollIntervalMs: 50, maxPollIntervalMs: 200 });
    expect(op.initial.status, JSON.stringify(op)).toBe(202);
    expect(op.state, JSON.stringify(op)).toBe('succeeded');
  });

  it('each exchange is fresh: two calls give two different tokens (no shared MSAL cache)', async () => {
    const assertion = await elevateTokenFor('admin2');
    const credential = createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret });
    const a = await exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: credential });
    const b = await exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: credential });
    expect(a.uti).not.toBe(b.uti);
  });

  it('a tampered assertion maps to invalid_assertion (AADSTS50013) without echoing the token', async () => {
    const assertion = await elevateTokenFor('admin');
    const [h, p, sig] = assertion.split('.');
    const tampered = `${h}.${p}.${sig!.slice(0, -4)}AAAA`;
    const err = await oboError(exchangeOnBehalfOf({ userAssertion: tampered, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret }) }));
    expect([err.code, err.aadsts]).toEqual(['invalid_assertion', '50013']);
    expect(err.message).not.toContain(p!.slice(0, 30));
  });

  it('a token for another audience (the agent’s ARM token) maps to invalid_assertion', async () => {
    const armToken = (await createAgentCredential(s().tenant.agent.uamiClientId).getToken(endpoints.armScope))!.token;
    const err = await oboError(exchangeOnBehalfOf({ userAssertion: armToken, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret }) }));
    expect(err.code).toBe('invalid_assertion');
    expect(err.aadsts).toBe('50013');
  });

  it('an app without ARM consent maps to consent_required (AADSTS65001)', async () => {
    const dashboard = s().tenant.otherApps.find((a) => a.key === 'dashboard')!;
    const assertion = await signInAndGetToken({ userOid: sandboxUser('admin').oid, clientId: dashboard.clientId, clientSecret: dashboard.clientSecret!, redirectUri: 'http://localhost/callback', scope: `${dashboard.apiAudience}/user_impersonation` });
    const dashboardEndpoints = { ...endpoints, clientId: dashboard.clientId };
    const err = await oboError(exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints: dashboardEndpoints, clientCredential: { clientSecret: dashboard.clientSecret! } }));
    expect([err.code, err.aadsts]).toEqual(['consent_required', '65001']);
  });

  it('a personal Microsoft account outside the tenant maps to user_not_allowed (AADSTS50020)', async () => {
    // an uninvited personal account never gets a token from the tenant; this is one from the consumers tenant
    const now = Math.floor(Date.now() / 1000);
    const consumers = '9188040d-6c67-4c5b-b112-36a304b66dad';
    const assertion = await forgeSandboxToken({
      aud: app().clientId, iss: `${s().origin}/${consumers}/v2.0`, tid: consumers, oid: sandboxUser('uninvited').oid,
      idp: 'live.com', scp: 'user_impersonation', iat: now, nbf: now, exp: now + 600, ver: '2.0',
    });
    const err = await oboError(exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret }) }));
    expect([err.code, err.aadsts]).toEqual(['user_not_allowed', '50020']);
  });

  it('a personal account invited as a guest is exchanged as Entra would (Elevate refuses it at sign-in, not here)', async () => {
    const result = await exchangeOnBehalfOf({ userAssertion: await elevateTokenFor('personal'), scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret }) });
    expect(result.accessToken).toMatch(/^eyJ/);
  });

  it('a wrong client secret maps to client_credential_invalid', async () => {
    const assertion = await elevateTokenFor('admin');
    const err = await oboError(exchangeOnBehalfOf({ userAssertion: assertion, scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: { clientSecret: 'not-the-secret' } }));
    expect([err.code, err.aadsts]).toEqual(['client_credential_invalid', '7000215']);
  });

  it('refuses garbage input before any network call', async () => {
    const credential = createMsalClientCredential({ kind: 'secret', clientSecret: app().clientSecret });
    expect((await oboError(exchangeOnBehalfOf({ userAssertion: 'not a jwt', scopes: [ARM_USER_IMPERSONATION], endpoints, clientCredential: credential }))).code).toBe('invalid_assertion');
    expect((await oboError(exchangeOnBehalfOf({ userAssertion: 'a.b.c', scopes: ['https://x/ y'], endpoints, clientCredential: credential }))).code).toBe('invalid_scope');
    expect((await oboError(exchangeOnBehalfOf({ userAssertion: 'a.b.c', scopes: [], endpoints, clientCredential: credential }))).code).toBe('invalid_scope');
  });
});
