import { createHash, randomBytes } from 'node:crypto';
import { sandboxInfo } from '../support/sandbox-context.ts';

/**
 * Signs a seeded user in at the sandbox the way a browser would (authorize with PKCE, pick the
 * account on the sign-in page, redeem the code) and returns the access token for `scope`.
 */
export async function signInAndGetToken(options: {
  userOid: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
}): Promise<string> {
  const s = sandboxInfo();
  const tenant = s.tenant.tenantId;
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const params = new URLSearchParams({
    client_id: options.clientId,
    response_type: 'code',
    redirect_uri: options.redirectUri,
    scope: `openid profile ${options.scope}`,
    state: 'test-state',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    response_mode: 'query',
    prompt: 'login',
  });
  const page = await fetch(`${s.browserOrigin}/${tenant}/oauth2/v2.0/authorize?${params}`);
  const html = await page.text();
  const flow = /name="flow" value="([^"]+)"/.exec(html)?.[1];
  if (!flow) throw new Error(`sandbox sign-in page had no flow id (HTTP ${page.status})`);
  const picked = await fetch(`${s.browserOrigin}/${tenant}/oauth2/v2.0/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ flow: decodeEntities(flow), user: options.userOid }),
  });
  const location = picked.headers.get('location');
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (!code) throw new Error(`sandbox sign-in did not redirect with a code (HTTP ${picked.status})`);
  const token = await fetch(`${s.origin}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      code,
      redirect_uri: options.redirectUri,
      code_verifier: verifier,
      scope: `openid profile ${options.scope}`,
    }),
  });
  const body = (await token.json()) as { access_token?: string; error_description?: string };
  if (!body.access_token) throw new Error(`sandbox token endpoint refused the code: ${body.error_description ?? token.status}`);
  return body.access_token;
}

function decodeEntities(value: string): string {
  return value.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}
