import { LogLevel, PublicClientApplication } from '@azure/msal-node';
import type { SandboxHandle } from '../../src/sandbox/start-sandbox.ts';
import { enterDeviceCode } from './device-code-user.ts';

/**
 * A seeded user's delegated token from a sandbox through the device code flow, as the CLI gets
 * it: MSAL's PublicClientApplication with the sandbox's Elevate CLI app, the person entering the
 * code on the device login page. `claims` is a claims request (a claims challenge handed back),
 * which MSAL sends with the device code request.
 */
export async function deviceCodeToken(
  sandbox: Pick<SandboxHandle, 'authorityHost' | 'tenant'>,
  user: string,
  scope = sandbox.tenant.cliApp!.scope,
  clientId = sandbox.tenant.cliApp!.clientId,
  claims?: string,
): Promise<string> {
  const app = new PublicClientApplication({
    auth: { clientId, authority: `${sandbox.authorityHost}/${sandbox.tenant.tenantId}`, knownAuthorities: [new URL(sandbox.authorityHost).host] },
    system: { loggerOptions: { logLevel: LogLevel.Error, piiLoggingEnabled: false, loggerCallback: () => undefined } },
  });
  let page: Promise<unknown> = Promise.resolve();
  const result = await app.acquireTokenByDeviceCode({
    scopes: [scope],
    ...(claims ? { claims } : {}),
    deviceCodeCallback: (r) => {
      page = enterDeviceCode(r.verificationUri, r.userCode, { user, users: sandbox.tenant.users });
    },
  });
  await page;
  return result!.accessToken;
}
