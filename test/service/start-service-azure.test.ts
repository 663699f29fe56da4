import { mkdtempSync, mkdirSync, writeFileSync, cpSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load-config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startService, ServiceStartError, type RunningService } from '../../src/service/start-service.ts';
import { startupSummary } from '../../src/service/startup-summary.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const dir = mkdtempSync(join(tmpdir(), 'elevate-svc-'));
const quiet = createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() }) as never);

function realConfig(over: Record<string, string> = {}) {
  return parseConfig({
    AZURE_TENANT_ID: TENANT,
    AZURE_CLIENT_ID: CLIENT,
    AZURE_CLIENT_SECRET: 'not-a-real-secret',
    ELEVATE_SESSION_SECRET: 'x'.repeat(40),
    // Nothing listens on port 1: discovery fails fast instead of waiting on the internet.
    AZURE_AUTHORITY_HOST: 'https://127.0.0.1:1',
    ELEVATE_ARM_ENDPOINT: 'https://127.0.0.1:1',
    ELEVATE_PORT: '0',
    ELEVATE_DB_PATH: join(dir, `db-${Math.random().toString(36).slice(2)}.sqlite`),
    ELEVATE_POLICIES_DIR: resolve('policies'),
    ELEVATE_SANDBOX_PORT: '18443',
    ELEVATE_SANDBOX_HTTP_PORT: '18080',
    ...over,
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), r(true)));
    s.once('error', () => r(false));
  });
}

describe('startService with a real tenant configured', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService(realConfig(), { logger: quiet });
  });
  afterAll(() => service?.close());

  it('serves /healthz and reports the unreachable identity provider on /readyz', async () => {
    expect((await fetch(`${service.listenUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${service.listenUrl}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { checks: Array<{ name: string; ok: boolean; error?: string }> };
    expect(body.checks.filter((c) => c.ok).map((c) => c.name).sort()).toEqual(['database', 'migrations', 'policies']);
    expect(body.checks.find((c) => c.name === 'entra-discovery')).toMatchObject({ ok: false, error: expect.stringMatching(/^discovery unreachable/) });
  });

  it('starts no sandbox: nothing listens on the sandbox ports and no banner is shown', async () => {
    expect(service.context.sandbox).toBeUndefined();
    expect(await portOpen(18443)).toBe(false);
    expect(await portOpen(18080)).toBe(false);
    const home = await (await fetch(`${service.listenUrl}/`, { headers: { accept: 'text/html' } })).text();
    expect(home).not.toContain('Sandbox tenant');
    expect(startupSummary(service)).toEqual({ mode: 'azure', elevateUrl: service.url, tenantId: TENANT });
  });

  it('wires Microsoft-shaped endpoints from the config', () => {
    expect(service.context.endpoints).toMatchObject({ mode: 'azure', tenantId: TENANT, clientId: CLIENT, apiAudiences: [CLIENT, `api://${CLIENT}`] });
    expect(service.context.serviceCredentialSource).toEqual({ kind: 'secret', clientSecret: 'not-a-real-secret' });
  });
});

describe('startService extension points', () => {
  it('mounts the given routes and runs onShutdown work after the server stops, before the store closes', async () => {
    const events: string[] = [];
    const { Router } = await import('express');
    const service = await startService(realConfig(), {
      logger: quiet,
      routes: (ctx) => {
        ctx.onShutdown(async () => {
          const stillServing = await fetch(`${service.listenUrl}/healthz`).then(() => true, () => false);
          await ctx.store.get('SELECT 1');
          events.push(`closed; serving=${stillServing}; store open`);
        });
        const r = Router();
        r.get('/', (_req, res) => res.json({ mode: ctx.config.mode }));
        return { routes: [{ path: '/api/v1/echo-mode', handlers: r, nav: { label: 'Echo', href: '/api/v1/echo-mode' } }] };
      },
    });
    expect(await (await fetch(`${service.listenUrl}/api/v1/echo-mode`)).json()).toEqual({ mode: 'azure' });
    await service.close();
    expect(events).toEqual(['closed; serving=false; store open']);
  });
});

describe('startService failures', () => {
  it('fails on a broken policies folder with one line naming the problem, leaving nothing listening', async () => {
    const policies = join(dir, 'bad-policies');
    mkdirSync(policies);
    cpSync(resolve('policies'), policies, { recursive: true });
    writeFileSync(join(policies, 'levels.yaml'), 'levels: [not, valid\n');
    const err = await startService(realConfig({ ELEVATE_POLICIES_DIR: policies, ELEVATE_PORT: '18999' }), { logger: quiet }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceStartError);
    expect((err as Error).message).toMatch(/^policies: .*levels\.yaml/);
    expect((err as Error).message).not.toContain('\n');
    expect(await portOpen(18999)).toBe(false);
  });

  it('fails when the port is taken, naming ELEVATE_PORT', async () => {
    const first = await startService(realConfig(), { logger: quiet });
    try {
      const port = new URL(first.listenUrl).port;
      await expect(startService(realConfig({ ELEVATE_PORT: port }), { logger: quiet })).rejects.toThrow(/^ELEVATE_PORT: 127\.0\.0\.1:\d+ is already in use/);
    } finally {
      await first.close();
    }
  });

  it('fails when the database path cannot be opened, naming ELEVATE_DB_PATH', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await expect(startService(realConfig({ ELEVATE_DB_PATH: join(file, 'sub', 'db.sqlite') }), { logger: quiet })).rejects.toThrow(/^ELEVATE_DB_PATH: cannot open/);
  });
});
