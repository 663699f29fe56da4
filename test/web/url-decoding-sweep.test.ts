/**
 * Issue 11 item 5: a route parameter that is not valid percent-encoding answered 500 (and logged a
 * stack trace at error level) before anyone signed in. The sweep takes every route the running
 * service mounts, from the app's own router, and hits each one with a parameter with malformed
 * encodings, signed out, signed in (administrator, auditor) and as the agent: never a 5xx, never
 * an error-level log line, and the 400 says nothing about the input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserLikeClient } from '../signin/support/browser-like-client.ts';
import { startFullService, type FullService } from '../support/full-service.ts';
import { fillParams, hasParam, mountedRoutes, type MountedRoute } from '../support/mounted-routes.ts';

/** Not decodable by decodeURIComponent: bad hex, truncated, overlong UTF-8, surrogates, bytes UTF-8 never uses. */
const MALFORMED = ['%ZZ', '%', '%E0%A4%A', '%C0%AF', '%E0%80%AF', '%F0%80%80%AF', '%C0%80', '%ED%A0%80', '%FF', '%F8%80%80%80%AF', 'a%2', '%%30'];

let f: FullService;
let routes: MountedRoute[];
let admin: BrowserLikeClient;
let auditor: BrowserLikeClient;
let agentToken: string;

beforeAll(async () => {
  f = await startFullService();
  routes = mountedRoutes(f.service.app).filter((r) => hasParam(r.path));
  admin = await f.signedIn('admin');
  auditor = await f.signedIn('auditor');
  agentToken = await f.agentToken();
}, 90_000);

afterAll(async () => {
  await f?.close();
});

describe('malformed percent-encoding in route parameters', { timeout: 120_000 }, () => {
  it('finds the parameterised routes from the router (the ones the issue names among them)', () => {
    const paths = new Set(routes.map((r) => r.path));
    for (const p of ['/approvals/:', '/audit/entries/:', '/agents/:', '/api/v1/operations/:']) expect([...paths].some((x) => x.startsWith(p)), p).toBe(true);
    expect(routes.length).toBeGreaterThanOrEqual(10);
  });

  it('answers every route and encoding with a 4xx, signed out, signed in and as the agent, and logs no error', async () => {
    const callers: Array<{ name: string; send(url: string, method: string): Promise<{ status: number; body: string }> }> = [
      { name: 'signed out', send: async (url, method) => rawRequest(url, method, {}) },
      { name: 'administrator', send: (url, method) => admin.request(url, { method }) },
      { name: 'auditor', send: (url, method) => auditor.request(url, { method }) },
      { name: 'agent', send: (url, method) => rawRequest(url, method, { authorization: `Bearer ${agentToken}` }) },
    ];
    const failures: string[] = [];
    let sent = 0;
    for (const route of routes) {
      for (const bad of MALFORMED) {
        const url = `${f.url}${fillParams(route.path, bad)}`;
        for (const caller of callers) {
          const res = await caller.send(url, route.method);
          sent += 1;
          if (res.status >= 500) failures.push(`${caller.name} ${route.method} ${fillParams(route.path, bad)} -> ${res.status}`);
          // The answer never echoes the undecodable input back (no reflected text, no stack).
          if (res.body.includes('Failed to decode') || res.body.includes('URIError')) failures.push(`${caller.name} ${route.method} ${route.path}: error details in the body`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBe(routes.length * MALFORMED.length * callers.length);
    const errors = f.logLines().filter((l) => l.level === 'error' || l.level === 'fatal');
    expect(errors).toEqual([]);
  });

  it('answers a malformed parameter with 400 malformed_url (JSON for the API, a page for browsers)', async () => {
    const api = await rawRequest(`${f.url}/api/v1/operations/%ZZ`, 'GET', { authorization: `Bearer ${agentToken}` });
    expect(api.status).toBe(400);
    expect(JSON.parse(api.body)).toEqual({ error: { code: 'malformed_url', message: 'the URL is not valid percent-encoding' } });
    const page = await admin.get(`${f.url}/approvals/%ZZ`);
    expect(page.status).toBe(400);
    expect(page.body).toContain('the URL is not valid percent-encoding');
    for (const path of ['/approvals/%ZZ', '/audit/entries/%ZZ', '/agents/%ZZ', '/api/v1/operations/%ZZ']) {
      expect((await rawRequest(`${f.url}${path}`, 'GET', {})).status, path).toBeLessThan(500);
    }
  });
});

/** fetch keeps an invalid percent sequence as it is in the path (WHATWG URL does not re-encode `%`). */
async function rawRequest(url: string, method: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { method, headers: { accept: 'text/html', ...headers }, redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}
