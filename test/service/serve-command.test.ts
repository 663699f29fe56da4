import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = resolve('bin/elevate.js');
// An empty working directory: no .env is picked up, nothing is written into the repo.
const cwd = mkdtempSync(join(tmpdir(), 'elevate-serve-'));

function serve(env: Record<string, string>) {
  const { NODE_EXTRA_CA_CERTS: _ca, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [BIN, 'serve'], {
    cwd,
    env: { PATH: inherited.PATH ?? '', HOME: inherited.HOME ?? cwd, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';

describe('elevate serve with bad configuration', () => {
  it('a malformed tenant id fails with one line naming AZURE_TENANT_ID', () => {
    const r = serve({ AZURE_TENANT_ID: 'contoso.onmicrosoft.com' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^elevate: AZURE_TENANT_ID: expected a GUID[^\n]*\n$/);
    expect(r.stdout).toBe('');
  });

  it('a real tenant without a client secret fails naming AZURE_CLIENT_SECRET', () => {
    const r = serve({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT, ELEVATE_SESSION_SECRET: 'x'.repeat(40) });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^elevate: AZURE_CLIENT_SECRET: required[^\n]*\n$/);
  });

  it('a bad port fails naming ELEVATE_PORT, without starting the sandbox', () => {
    const r = serve({ ELEVATE_PORT: 'eighty' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toBe('elevate: ELEVATE_PORT: expected a TCP port number (got "eighty")\n');
  });

  it('a too-short session secret is named but not echoed', () => {
    const r = serve({ ELEVATE_SESSION_SECRET: 'hunter2' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/^elevate: ELEVATE_SESSION_SECRET: /);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('rejects an unknown --output value in the CLI error format', () => {
    const result = spawnSync(process.execPath, [BIN, 'serve', '--output', 'yaml'], { cwd, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^elevate: .*yaml/);
  });
});
