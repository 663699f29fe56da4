import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { SandboxInfoOutput } from '../../src/cli/commands/sandbox-commands.ts';

const run = promisify(execFile);
const BIN = resolve(import.meta.dirname, '../../bin/elevate.js');
// a clean environment: sandbox mode, default ports, no .env surprises
const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, ELEVATE_SANDBOX_PORT: '9443', ELEVATE_SANDBOX_HTTP_PORT: '9080' };
  for (const k of ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET', 'ELEVATE_SANDBOX_SEED']) delete e[k];
  return e;
};
const cwd = () => mkdtempSync(join(tmpdir(), 'elevate-cli-'));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: env(), cwd: cwd(), timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// spawning the CLI (tsx transpiling on start) takes seconds on a loaded machine
describe('elevate sandbox info', { timeout: 120_000 }, () => {
  it('prints the seeded tenant as JSON', async () => {
    const r = await cli(['sandbox', 'info', '--output', 'json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as SandboxInfoOutput;
    expect(info.endpoints).toMatchObject({ origin: 'https://localhost:9443', browserOrigin: 'http://127.0.0.1:9080', imdsEndpoint: 'https://localhost:9443' });
    expect(info.endpoints.authority).toBe(`https://localhost:9443/${info.tenant.tenantId}`);
    expect(info.tenant.agent.name).toBe('sre-agent');
    expect(info.tenant.users.map((u) => u.key)).toContain('personal');
    expect(info.tenant.elevateApp.apiAudience).toBe(`api://${info.tenant.elevateApp.clientId}`);
    expect(info.tenant.elevateApp.agentScope).toBe(`api://${info.tenant.elevateApp.clientId}/.default`);
    expect(info.tenant.elevateApp.optionalClaims.idToken).toEqual([]);
  });

  it('prints tables by default', async () => {
    const r = await cli(['sandbox', 'info']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^SETTING\s+VALUE/);
    for (const heading of ['Elevate app registration', 'Agent', 'Users', 'Subscriptions', 'Resource groups']) expect(r.stdout).toContain(`\n${heading}\n`);
    expect(r.stdout).toContain('ada.admin@contoso-sre.onmicrosoft.com');
    // what an agent needs for its token: the UAMI client id and the API scope
    expect(r.stdout).toMatch(/UAMI client id\s+e1f0d68b-bc88-458f-a988-262125f523c6/);
    expect(r.stdout).toMatch(/API scope \(its token\)\s+api:\/\/53bf064d-c659-4749-839e-d56b96eaae54\/\.default/);
    expect(r.stdout).toMatch(/optional claims \(ID token\)\s+none/);
  });

  it('fails in one line on bad arguments or a bad seed', async () => {
    const bad = await cli(['sandbox', 'info', '--output', 'xml']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^elevate: /);

    const file = join(cwd(), 'seed.json');
    writeFileSync(file, '{"tenant": 1}');
    const seed = await cli(['sandbox', 'info', '--seed', file]);
    expect(seed.code).not.toBe(0);
    expect(seed.stderr.trim()).toMatch(/^elevate: sandbox seed .*seed\.json: /);
    expect(seed.stderr.trim().split('\n')).toHaveLength(1);
    expect(seed.stderr).not.toMatch(/\bat /);
  });
});
