/**
 * Shared steps of the level-raise tests: a test clock, the agent's API calls, and the admin's
 * forms on the agent page.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserLikeClient, Hop } from '../../signin/support/browser-like-client.ts';

/** Elevate's clock in a test: the wall clock plus an offset the test moves forward. */
export function testClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(seconds: number) {
      offsetMs += seconds * 1000;
    },
  };
}

/** A copy of the shipped policies with some run-mode triggers changed. */
export function policiesWithTriggers(triggers: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-raise-policies-'));
  cpSync(resolve('policies'), dir, { recursive: true });
  let runModes = readFileSync(join(dir, 'run-modes.yaml'), 'utf8');
  for (const [k, v] of Object.entries(triggers)) runModes = runModes.replace(new RegExp(`^(\\s*${k}:)\\s*\\w+`, 'm'), `$1 ${v}`);
  writeFileSync(join(dir, 'run-modes.yaml'), runModes);
  return dir;
}

export const csrfOf = (body: string): string => {
  const m = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!m) throw new Error(`no CSRF token on the page: ${body.slice(0, 200)}`);
  return m[1]!;
};

export async function agentCall(url: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  const res = await fetch(`${url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, any> };
}

/** Posts one of the agent page's raise forms (approve, deny, end, or a new raise). */
export async function raiseForm(client: BrowserLikeClient, url: string, agentName: string, action: string, form: Record<string, string> = {}): Promise<Hop> {
  const page = await client.get(`${url}/agents/${encodeURIComponent(agentName)}`);
  return client.post(`${url}/agents/${encodeURIComponent(agentName)}/${action}`, { _csrf: csrfOf(page.body), ...form });
}

export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}
