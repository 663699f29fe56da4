import { LogLevel, PublicClientApplication, type DeviceCodeRequest } from '@azure/msal-node';

type DeviceCodeResponse = Parameters<DeviceCodeRequest['deviceCodeCallback']>[0];
import { afterAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { enterDeviceCode } from '../support/device-code-user.ts';
import { startPrivateSandbox } from '../support/private-sandbox.ts';
import { sandboxAuthority, sandboxInfo, sandboxUser } from '../support/sandbox-context.ts';
import { decodeClaims } from '../support/token-forge.ts';
import { deviceCodeToken } from '../support/device-code-token.ts';
import { seedFile, withElevateOptionalClaims } from '../support/seed-variants.ts';

/**
 * The device authorization grant as Entra implements it, driven through MSAL Node's
 * PublicClientApplication.acquireTokenByDeviceCode (the real SDK) with a scripted person at the
 * device login page. https://learn.microsoft.com/entra/identity-platform/v2-oauth2-device-code
 */

function publicClient(clientId: string, authority = sandboxAuthority(), host = new URL(sandboxInfo().authorityHost).host) {
  return new PublicClientApplication({
    auth: { clientId, authority, knownAuthorities: [host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  });
}

const cli = () => sandboxInfo().tenant.cliApp!;
const elevateScope = () => sandboxInfo().tenant.elevateApp.delegatedScope;

async function rawPoll(origin: string, tenantId: string, clientId: string, deviceCode: string) {
  const res = await fetch(`${origin}/${tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: clientId, device_code: deviceCode }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Runs the flow; `person` acts on the device login page once the code is shown. */
async function deviceCodeFlow(clientId: string, person: (r: DeviceCodeResponse) => Promise<unknown>) {
  let shown: DeviceCodeResponse | undefined;
  let acted: Promise<unknown> = Promise.resolve();
  const result = await publicClient(clientId).acquireTokenByDeviceCode({
    scopes: [elevateScope()],
    deviceCodeCallback: (r) => {
      shown = r;
      acted = person(r);
    },
  });
  return { result, shown: shown!, page: await acted };
}

describe('device code flow (Elevate CLI, public client flows allowed)', () => {
  it('issues a delegated token for Elevate after the person enters the code and signs in', async () => {
    const started = Math.floor(Date.now() / 1000);
    const { result, shown, page } = await deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { user: 'admin' }));
    expect(shown.verificationUri).toBe(`${sandboxInfo().browserOrigin}/devicelogin`);
    expect(shown.interval).toBe(5);
    expect(shown.expiresIn).toBe(900);
    expect(shown.message).toContain(shown.userCode);
    expect(shown.userCode).toMatch(/^[A-Z2-9]{9}$/);
    expect((page as { text: string }).text).toContain('You have signed in');
    const claims = decodeClaims(result!.accessToken);
    expect(claims).toMatchObject({
      // v1, Elevate's registration's default: the App ID URI as audience, appid/appidacr
      aud: sandboxInfo().tenant.elevateApp.apiAudience,
      appid: cli().clientId,
      appidacr: '0',
      ver: '1.0',
      scp: 'user_impersonation',
      oid: sandboxUser('admin').oid,
      roles: ['SREAgent.Administrator'],
      idtyp: 'user',
    });
    // Minted after the flow started; stamped five minutes earlier, as Entra stamps iat.
    expect(claims.iat as number).toBeGreaterThanOrEqual(started - 1 - 300);
    expect(claims.iat as number).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) - 300);
    // optional claims are off by default, for device code tokens too
    expect(claims.auth_time).toBeUndefined();
    expect(claims.acct).toBeUndefined();
    expect(result!.account?.username).toBe(sandboxUser('admin').upn);
  });

  it('carries idp for a guest and a personal account invited as a guest, and no role for a user without one', async () => {
    const guest = await deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { user: 'guest' }));
    expect(decodeClaims(guest.result!.accessToken).idp).toMatch(/^https:\/\/sts\.windows\.net\/6418fbe7/);
    const personal = await deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { user: 'personal' }));
    expect(decodeClaims(personal.result!.accessToken).idp).toBe('live.com');
    const norole = await deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { user: 'norole' }));
    expect(decodeClaims(norole.result!.accessToken).roles).toBeUndefined();
  });

  it('answers authorization_declined when the person presses Cancel', async () => {
    await expect(deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { cancel: true }))).rejects.toThrow(/authorization_declined/);
  });

  it('answers slow_down to a client that polls faster than the interval', async () => {
    const s = sandboxInfo();
    // Someone else polls the same code between MSAL's polls: MSAL's next poll comes too soon.
    const attempt = deviceCodeFlow(cli().clientId, async (r) => {
      await rawPoll(s.origin, s.tenant.tenantId, cli().clientId, r.deviceCode);
      await new Promise((ok) => setTimeout(ok, 2500));
      await rawPoll(s.origin, s.tenant.tenantId, cli().clientId, r.deviceCode);
    });
    await expect(attempt).rejects.toThrow(/slow_down/);
  });

  it('stops an uninvited personal account on the page (AADSTS50020); the device keeps getting authorization_pending', async () => {
    const s = sandboxInfo();
    const code = await (
      await fetch(`${s.origin}/${s.tenant.tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: cli().clientId, scope: `${elevateScope()} openid profile offline_access` }),
      })
    ).json() as { device_code: string; user_code: string; verification_uri: string };
    const page = await enterDeviceCode(code.verification_uri, code.user_code, { user: 'uninvited' });
    expect(page.status).toBe(400);
    expect(page.text).toContain('AADSTS50020');
    const poll = await rawPoll(s.origin, s.tenant.tenantId, cli().clientId, code.device_code);
    expect(poll).toMatchObject({ status: 400, body: { error: 'authorization_pending', error_codes: [70016] } });
  });

  it('redeems a device code once, and only for the client it was issued to', async () => {
    const s = sandboxInfo();
    const { shown } = await deviceCodeFlow(cli().clientId, (r) => enterDeviceCode(r.verificationUri, r.userCode, { user: 'admin2' }));
    const again = await rawPoll(s.origin, s.tenant.tenantId, cli().clientId, shown.deviceCode);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    // the code cannot be typed in again either
    expect((await enterDeviceCode(shown.verificationUri, shown.userCode)).status).toBe(400);
  });

  it('answers bad_verification_code for a device code it never issued', async () => {
    const s = sandboxInfo();
    const poll = await rawPoll(s.origin, s.tenant.tenantId, cli().clientId, 'not-a-device-code');
    expect(poll).toMatchObject({ status: 400, body: { error: 'bad_verification_code' } });
    const stranger = await enterDeviceCode(`${s.browserOrigin}/devicelogin`, 'ABCDEFGHJ');
    expect(stranger.status).toBe(400);
    expect(stranger.text).toContain("That code didn't work");
  });
});

describe('device code flow with public client flows off (Elevate\'s own registration, the Entra default)', () => {
  it('refuses the redemption with AADSTS7000218 (client_assertion or client_secret required)', async () => {
    await expect(deviceCodeFlow(sandboxInfo().tenant.elevateApp.clientId, async () => undefined)).rejects.toThrow(/invalid_client/);
    const s = sandboxInfo();
    const code = await (
      await fetch(`${s.origin}/${s.tenant.tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: s.tenant.elevateApp.clientId, scope: elevateScope() }),
      })
    ).json() as { device_code: string };
    const poll = await rawPoll(s.origin, s.tenant.tenantId, s.tenant.elevateApp.clientId, code.device_code);
    expect(poll).toMatchObject({ status: 401, body: { error: 'invalid_client', error_codes: [7000218] } });
  });
});

describe('device code expiry', () => {
  let sandbox: SandboxHandle | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('answers expired_token once the code has expired, and the page says so', async () => {
    sandbox = await startPrivateSandbox({ deviceCode: { lifetimeSeconds: 1, intervalSeconds: 1 } });
    const tenantId = sandbox.tenant.tenantId;
    const clientId = sandbox.tenant.cliApp!.clientId;
    const code = await (
      await fetch(`${sandbox.origin}/${tenantId}/oauth2/v2.0/devicecode`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: clientId, scope: sandbox.tenant.elevateApp.delegatedScope }),
      })
    ).json() as { device_code: string; user_code: string; verification_uri: string; expires_in: number };
    expect(code.expires_in).toBe(1);
    await new Promise((ok) => setTimeout(ok, 1200));
    const poll = await rawPoll(sandbox.origin, tenantId, clientId, code.device_code);
    expect(poll).toMatchObject({ status: 400, body: { error: 'expired_token', error_codes: [70019] } });
    const page = await enterDeviceCode(code.verification_uri, code.user_code);
    expect(page.status).toBe(400);
  });
});

describe('device code tokens follow the app registration\'s optional claims', () => {
  let sandbox: SandboxHandle | undefined;
  afterAll(async () => {
    await sandbox?.close();
  });

  it('carries auth_time (the moment the account was picked on the device login page) and acct once Elevate asks for them', async () => {
    sandbox = await startPrivateSandbox({
      seedFile: seedFile((seed) => withElevateOptionalClaims(seed, { accessToken: ['auth_time', 'acct'] })),
      deviceCode: { lifetimeSeconds: 900, intervalSeconds: 1 },
    });
    const before = Math.floor(Date.now() / 1000);
    const member = decodeClaims(await deviceCodeToken(sandbox, 'admin'));
    expect(member.auth_time as number).toBeGreaterThanOrEqual(before - 1);
    // The account was picked before the token was minted, and iat is stamped 300 s before minting.
    expect(member.auth_time as number).toBeLessThanOrEqual((member.iat as number) + 300);
    expect(member.acct).toBe(0);
    expect(decodeClaims(await deviceCodeToken(sandbox, 'guest')).acct).toBe(1);
  });
});
