/**
 * When the client repeats a call: after 429/503 (pausing for Retry-After) or no answer, only for
 * calls that cannot act twice; a repeated submission carries the same idempotency key, so the
 * server replays it instead of creating a second request. Elevate's side is a scripted fetch
 * answering what the API answers in those cases.
 */
import { describe, expect, it } from 'vitest';
import { createElevateClient } from '../../src/client/elevate-client.ts';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | 'network-error';

function scriptedFetch(answers: Answer[]) {
  const seen: Array<{ method: string; url: string; body: unknown; authorization: string | null; redirect: RequestInit["redirect"] }> = [];
  const fetchFn = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    seen.push({ method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : undefined, authorization: headers.get('authorization'), redirect: init?.redirect });
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    if (next === 'network-error') throw new TypeError('fetch failed');
    return new Response(next.body === undefined ? null : JSON.stringify(next.body), { status: next.status, headers: { 'content-type': 'application/json', ...next.headers } });
  }) as typeof fetch;
  return { fetchFn, seen };
}

const credential = { getToken: async () => ({ token: 'header.payload.signature', expiresOnTimestamp: Date.now() + 3600_000 }) };
const request = { id: 'r1', state: 'pending_elevation' };
const submission = { method: 'POST' as const, path: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.App/containerApps/ca/revisions/r/restart', apiVersion: '2024-03-01', justification: 'unhealthy', trigger: { kind: 'incident' as const } };
const client = (fetchFn: typeof fetch, extra: Record<string, unknown> = {}) =>
  createElevateClient({ baseUrl: 'https://elevate.contoso.com', scope: 'api://elevate/.default', credential, fetch: fetchFn, backoff: { baseMs: 1, maxMs: 5 }, ...extra });

describe('client retries', () => {
  it("repeats a submission after 429 once the server's Retry-After has passed, with the same idempotency key", async () => {
    const s = scriptedFetch([{ status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'retry-after': '0' } }, { status: 201, body: request }]);
    const r = await client(s.fetchFn).submit(submission);
    expect(r).toMatchObject({ ok: true, status: 201, value: request });
    expect(s.seen).toHaveLength(2);
    const [a, b] = s.seen.map((x) => (x.body as { idempotencyKey: string }).idempotencyKey);
    expect(a).toMatch(/^[0-9a-f-]{36}$/);
    expect(b).toBe(a);
    expect(s.seen[0]!.url).toBe('https://elevate.contoso.com/api/v1/operations');
    expect(s.seen[0]!.authorization).toBe('Bearer header.payload.signature');
  });

  it('returns a 429 whose Retry-After is beyond what the caller allows, with retryAfterSeconds, instead of sleeping', async () => {
    const s = scriptedFetch([{ status: 429, body: { error: { code: 'rate_limited', message: 'slow down' } }, headers: { 'retry-after': '45' } }]);
    const r = await client(s.fetchFn, { maxRetryAfterSeconds: 10 }).list();
    expect(r).toMatchObject({ ok: false, error: { status: 429, code: 'rate_limited', retryAfterSeconds: 45 } });
    expect(s.seen).toHaveLength(1);
  });

  it('repeats reads after 503 and no answer, at most maxRetries times', async () => {
    const unavailable = { status: 503, body: { error: { code: 'audit_unavailable', message: 'nothing was done' } } };
    const s = scriptedFetch(['network-error', unavailable, unavailable]);
    const r = await client(s.fetchFn, { maxRetries: 2 }).get('r1');
    expect(r).toMatchObject({ ok: false, error: { status: 503, code: 'audit_unavailable' } });
    expect(s.seen).toHaveLength(3);
  });

  it('never repeats a cancel (a lost answer would come back as a 409), and passes API errors through as values', async () => {
    const s = scriptedFetch([{ status: 503, body: { error: { code: 'audit_unavailable', message: 'nothing was done' } } }]);
    expect(await client(s.fetchFn).cancel('r1')).toMatchObject({ ok: false, error: { status: 503, code: 'audit_unavailable' } });
    expect(s.seen).toHaveLength(1);
    const bad = scriptedFetch([{ status: 400, body: { error: { code: 'invalid_request', message: 'invalid request: path', fields: [{ path: 'path', message: 'bad' }] } } }]);
    expect(await client(bad.fetchFn).submit(submission)).toMatchObject({ ok: false, error: { status: 400, code: 'invalid_request', fields: [{ path: 'path' }] } });
    expect(bad.seen).toHaveLength(1);
  });

  it('an answer that is not the API\'s JSON is invalid_response, not a crash; a redirect is not followed', async () => {
    const s = scriptedFetch([{ status: 302, headers: { location: 'https://evil.example/steal' } }]);
    expect(await client(s.fetchFn).list()).toMatchObject({ ok: false, error: { status: 302, code: 'invalid_response' } });
    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]!.redirect).toBe('manual');
  });
});
