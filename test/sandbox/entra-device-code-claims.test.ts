/**
 * A claims request on the device code flow, through MSAL Node as the CLI sends it: MSAL puts the
 * request's `claims` on the device authorization request (and the token polls), and the sign-in
 * on the device login page then establishes what it names, as on /authorize. So a claims
 * challenge Entra made at the on-behalf-of exchange (a Conditional Access policy requiring MFA
 * for Azure Resource Manager) is satisfied by a device code sign-in carrying it; one without it
 * stays password only; a policy the sign-in cannot satisfy keeps challenging; and a `claims` value
 * that is not a JSON object is refused at /devicecode.
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */
import { randomUUID } from 'node:crypto';
import { ConfidentialClientApplication, InteractionRequiredAuthError, LogLevel, PublicClientApplication } from '@azure/msal-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { enterDeviceCode } from '../support/device-code-user.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { deletePolicy, putMfaPolicy } from '../support/sandbox-conditional-access.ts';
import { decodeClaims } from '../support/token-forge.ts';

const ARM_SCOPES = ['https://management.azure.com/user_impersonation'];
let sandbox: SandboxHandle;
const policies: string[] = [];

beforeAll(async () => {
  sandbox = await startPrivateSandbox({ deviceCode: { lifetimeSeconds: 900, intervalSeconds: 1 } });
});
afterAll(async () => {
  await sandbox?.close();
});
afterEach(async () => {
  for (const id of policies.splice(0)) await deletePolicy(sandbox.origin, id);
});

const oid = (key: string) => sandbox.tenant.users.find((u) => u.key === key)!.oid;
const authority = () => `${sandbox.authorityHost}/${sandbox.tenant.tenantId}`;
const msalSystem = { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } };

async function requireMfa(user: string, satisfiedBySignIn = true): Promise<string> {
  const id = randomUUID();
  policies.push(id);
  const res = await putMfaPolicy(sandbox.origin, { id, users: [oid(user)], satisfiedBySignIn });
  expect(res.status, await res.clone().text()).toBe(200);
  return id;
}

/** The CLI's sign-in: a new PublicClientApplication, the device code flow, the person entering the code. */
async function deviceCodeSignIn(user: string, claims?: string): Promise<string> {
  const cli = sandbox.tenant.cliApp!;
  const app = new PublicClientApplication({ auth: { clientId: cli.clientId, authority: authority(), knownAuthorities: [new URL(sandbox.authorityHost).host] }, system: msalSystem });
  let page: Promise<unknown> = Promise.resolve();
  const result = await app.acquireTokenByDeviceCode({
    scopes: [cli.scope],
    ...(claims ? { claims } : {}),
    deviceCodeCallback: (r) => {
      page = enterDeviceCode(r.verificationUri, r.userCode, { user, users: sandbox.tenant.users });
    },
  });
  await page;
  return result!.accessToken;
}

/** Elevate's on-behalf-of exchange for ARM, as its MSAL client does it. */
function exchange(assertion: string) {
  const elevate = sandbox.tenant.elevateApp;
  const app = new ConfidentialClientApplication({
    auth: { clientId: elevate.clientId, clientSecret: elevate.clientSecret, authority: authority(), knownAuthorities: [new URL(sandbox.authorityHost).host] },
    system: msalSystem,
  });
  return app.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: ARM_SCOPES, skipCache: true });
}
const refused = (assertion: string) => exchange(assertion).then(() => undefined, (e: unknown) => e as InteractionRequiredAuthError);

describe('a claims request on the device code flow', { timeout: 60_000 }, () => {
  it("performs MFA on a device code sign-in that carries the exchange's claims challenge; its token then passes the exchange", async () => {
    const policy = await requireMfa('admin');
    const plain = await deviceCodeSignIn('admin');
    expect(decodeClaims(plain)).toMatchObject({ oid: oid('admin'), amr: ['pwd'] });
    const err = await refused(plain);
    expect(err).toBeInstanceOf(InteractionRequiredAuthError);
    expect(JSON.parse(err!.claims)).toEqual({ access_token: { capolids: { essential: true, values: [policy] } } });

    const stepped = await deviceCodeSignIn('admin', err!.claims);
    expect(decodeClaims(stepped)).toMatchObject({ oid: oid('admin'), amr: ['pwd', 'mfa'] });
    const arm = await exchange(stepped);
    expect(decodeClaims(arm!.accessToken)).toMatchObject({ aud: 'https://management.azure.com/', oid: oid('admin'), amr: ['pwd', 'mfa'] });
    // the claims went with that one sign-in: the next one without them is password only again
    expect(decodeClaims(await deviceCodeSignIn('admin'))).toMatchObject({ amr: ['pwd'] });
  });

  it('states an authentication context asked for in the claims request', async () => {
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    expect(decodeClaims(await deviceCodeSignIn('admin2', claims))).toMatchObject({ acrs: ['c1'] });
  });

  it('keeps challenging when the sign-in cannot establish the control (satisfiedBySignIn: false)', async () => {
    await requireMfa('admin2', false);
    const err = await refused(await deviceCodeSignIn('admin2'));
    const stepped = await deviceCodeSignIn('admin2', err!.claims);
    expect(decodeClaims(stepped)).toMatchObject({ amr: ['pwd'] });
    const again = await refused(stepped);
    expect(again).toBeInstanceOf(InteractionRequiredAuthError);
    expect(again!.claims).toBe(err!.claims);
  });

  it('refuses a claims parameter that is not a JSON object at /devicecode, issuing no code', async () => {
    for (const claims of ['{not json', '[1]']) {
      const res = await fetch(`${sandbox.origin}/${sandbox.tenant.tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: sandbox.tenant.cliApp!.clientId, scope: sandbox.tenant.cliApp!.scope, claims }),
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ error: 'invalid_request' });
      expect(String(body.error_description)).toContain("'claims'");
      expect(body.device_code).toBeUndefined();
    }
  });
});
