import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * `elevate serve` with no tenant configured: a real process that creates its own sandbox (own
 * data dir, so its own CA), re-executes itself to trust that CA, starts the sandbox and the
 * service, answers probes, and stops cleanly on SIGTERM.
 */
const BIN = resolve('bin/elevate.js');
const dir = mkdtempSync(join(tmpdir(), 'elevate-serve-sandbox-'));
let child: ChildProcess;
let stdout = '';
let stderr = '';
let elevateUrl: string;
let sandboxOrigin: string;
let browserOrigin: string;

function waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; stdout: ${stdout.slice(-2000)} stderr: ${stderr.slice(-2000)}`)), timeoutMs);
    const check = () => {
      const m = stdout.match(pattern);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolvePromise(m);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited early with ${code}; stderr: ${stderr.slice(-2000)}`));
    });
    check();
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

beforeAll(async () => {
  child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: dir,
    env: {
      ...process.env,
      ELEVATE_PORT: '0',
      ELEVATE_SANDBOX_PORT: '0',
      ELEVATE_SANDBOX_HTTP_PORT: '0',
      ELEVATE_SANDBOX_DATA_DIR: join(dir, 'sandbox'),
      ELEVATE_DB_PATH: join(dir, 'elevate.db'),
      ELEVATE_POLICIES_DIR: resolve('policies'),
      ELEVATE_LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await waitFor(/Browser sign-in: +(\S+)/);
  elevateUrl = stdout.match(/Elevate is running at (\S+)/)![1]!;
  sandboxOrigin = stdout.match(/Entra \/ ARM \/ IMDS: +(\S+)/)![1]!;
  browserOrigin = stdout.match(/Browser sign-in: +(\S+)/)![1]!;
}, 120_000);

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('elevate serve in sandbox mode', () => {
  it('prints the URLs and the sandbox users', () => {
    expect(elevateUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sandboxOrigin).toMatch(/^https:\/\/localhost:\d+$/);
    expect(browserOrigin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(stdout).toContain('Sandbox users');
    // the agent's token: UAMI client id and API scope in the start banner
    expect(stdout).toMatch(/UAMI client id: +e1f0d68b-bc88-458f-a988-262125f523c6/);
    expect(stdout).toMatch(/API scope: +api:\/\/53bf064d-c659-4749-839e-d56b96eaae54\/\.default/);
    expect(stdout).toMatch(/SREAgent\.Administrator/);
    expect(stdout).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\./);
  });

  it('writes each log key once: the sandbox lines name their component once (valid, unambiguous JSON)', () => {
    const started = stdout.split('\n').find((l) => l.includes('"msg":"sandbox: started"'));
    expect(started).toBeDefined();
    expect(started!.match(/"component":/g)).toHaveLength(1);
    expect(JSON.parse(started!)).toMatchObject({ component: 'sandbox' });
  });

  it('answers /healthz and /readyz (the re-executed child trusts its own sandbox CA)', async () => {
    expect((await fetch(`${elevateUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${elevateUrl}/readyz`);
    const body = (await ready.json()) as { status: string; checks: Array<{ name: string; ok: boolean }> };
    expect(body.checks.map((c) => c.name)).toEqual(['database', 'migrations', 'policies', 'sandbox-discovery']);
    expect(body).toMatchObject({ status: 'ready' });
    expect(ready.status).toBe(200);
  });

  it('shows the Sandbox tenant banner with a strict CSP naming the sandbox sign-in origin', async () => {
    const res = await fetch(`${elevateUrl}/`, { headers: { accept: 'text/html' } });
    const html = await res.text();
    expect(html).toContain('Sandbox tenant');
    expect(res.headers.get('content-security-policy')).toContain(`form-action 'self' ${browserOrigin}`);
  });

  it('stops cleanly on SIGTERM: exit 0, and neither Elevate nor the sandbox listens any more', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await portOpen(Number(new URL(elevateUrl).port))).toBe(false);
    expect(await portOpen(Number(new URL(sandboxOrigin).port))).toBe(false);
    expect(await portOpen(Number(new URL(browserOrigin).port))).toBe(false);
  }, 30_000);
});
