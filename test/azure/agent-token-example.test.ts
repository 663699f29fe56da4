import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiTokenValidator } from '../../src/azure/api-token-validator.ts';
import { resolveAzureEndpoints } from '../../src/azure/azure-endpoints.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { sandboxInfo } from '../support/sandbox-context.ts';

/**
 * The README's "How the agent gets its token" example, taken from the README itself and run as
 * its own Node process with the sandbox values from its table. Elevate's side is a listener that
 * checks the bearer token with Elevate's own API token validator, so the test shows the token is
 * one Elevate accepts as the agent.
 */
const run = promisify(execFile);
const README = new URL('../../README.md', import.meta.url);

function readmeExample(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## How the agent gets its token'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('no js example in the README section');
  return m[1]!;
}

let server: Server;
let url: string;
const seen: Array<{ status: number; clientAppId?: string; principalType?: string; oid?: string }> = [];

beforeAll(async () => {
  const s = sandboxInfo();
  const endpoints = resolveAzureEndpoints(parseConfig({ ELEVATE_DB_PATH: ':memory:' }), s);
  const validate = createApiTokenValidator({ issuers: endpoints.issuers, tenantId: endpoints.tenantId, audiences: endpoints.apiAudiences, jwksUri: endpoints.jwksUri });
  server = createServer((req, res) => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    validate(token).then(
      (claims) => {
        seen.push({ status: 200, clientAppId: claims.clientAppId, principalType: claims.principalType, oid: claims.oid });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items: [] }));
      },
      () => {
        seen.push({ status: 401 });
        res.writeHead(401).end('{}');
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe("the README's agent token example", { timeout: 60_000 }, () => {
  it('gets a managed-identity token for Elevate\'s API that Elevate accepts, with the sandbox environment from the table', async () => {
    const s = sandboxInfo();
    const env = {
      PATH: process.env.PATH ?? '',
      AZURE_CLIENT_ID: s.tenant.agent.uamiClientId,
      ELEVATE_API_SCOPE: s.tenant.elevateApp.agentScope,
      ELEVATE_URL: url,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: s.imdsEndpoint,
      NODE_EXTRA_CA_CERTS: s.caBundlePath,
    };
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', readmeExample()], { env, cwd: new URL('../..', import.meta.url).pathname });
    expect(stdout.trim()).toBe("200 { items: [] }");
    // the README's table names the same sandbox values
    const readme = readFileSync(README, 'utf8');
    expect(readme).toContain(`| \`AZURE_CLIENT_ID\` | the agent's UAMI client id | \`${s.tenant.agent.uamiClientId}\``);
    expect(readme).toContain(`| \`ELEVATE_API_SCOPE\` | \`api://{Elevate's client id}/.default\` | \`${s.tenant.elevateApp.agentScope}\` |`);
    expect(seen).toEqual([{ status: 200, clientAppId: s.tenant.agent.uamiClientId, principalType: 'app', oid: s.tenant.agent.uamiPrincipalId }]);
  });
});
