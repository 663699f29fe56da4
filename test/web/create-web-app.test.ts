import { Writable } from 'node:stream';
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createWebApp, type WebAppDeps } from '../../src/web/create-web-app.ts';
import { HttpError } from '../../src/web/http-error.ts';

const SANDBOX = {
  tenantId: 'aaaaaaaa-0000-4000-8000-000000000001',
  users: [
    { upn: 'admin@sandbox.test', displayName: 'Ada Admin', appRoles: ['SREAgent.Administrator'] },
    { upn: 'mallory@sandbox.test', displayName: '<script>alert(1)</script>', appRoles: [] },
  ],
};

function build(over: Partial<WebAppDeps> = {}) {
  const lines: string[] = [];
  const logger = createLogger('debug', new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) as never);
  const metrics = createMetrics();
  const app = createWebApp({
    mode: 'sandbox',
    logger,
    metrics,
    trustProxy: false,
    https: false,
    authorizeOrigin: 'http://127.0.0.1:8080',
    readiness: [],
    sandbox: SANDBOX,
    ...over,
  });
  return { app, lines, metrics };
}

describe('probes', () => {
  it('/healthz answers while the process lives', async () => {
    const res = await request(build().app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 when every check passes', async () => {
    const { app } = build({ readiness: [{ name: 'database', check: () => undefined }, { name: 'policies', check: async () => undefined }] });
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: [{ name: 'database', ok: true }, { name: 'policies', ok: true }] });
  });

  it('/readyz is 503 naming the failed check and why', async () => {
    const { app } = build({
      readiness: [
        { name: 'database', check: () => undefined },
        { name: 'entra-discovery', check: async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:8443\n    at stack line'); } },
      ],
    });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.status).toBe('not_ready');
    expect(res.body.checks).toEqual([
      { name: 'database', ok: true },
      { name: 'entra-discovery', ok: false, error: 'connect ECONNREFUSED 127.0.0.1:8443' },
    ]);
  });

  it('/readyz counts a hung dependency as not ready', async () => {
    const { app } = build({ readiness: [{ name: 'database', check: () => new Promise<void>(() => undefined) }], readinessTimeoutMs: 50 });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.checks[0]).toMatchObject({ name: 'database', ok: false, error: 'no answer within 50 ms' });
  });

  it('/metrics exposes Prometheus text including request counts', async () => {
    const { app } = build();
    await request(app).get('/healthz');
    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toMatch(/elevate_http_requests_total\{method="GET",route="\/healthz",status="2xx"\} 1/);
    expect(res.text).toContain('elevate_process_cpu_user_seconds_total');
  });
});

describe('security headers', () => {
  it('sends a strict CSP and no x-powered-by', async () => {
    const res = await request(build().app).get('/').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).toContain("form-action 'self' http://127.0.0.1:8080");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toContain('upgrade-insecure-requests');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });

  it('adds HSTS and upgrade-insecure-requests when served over https', async () => {
    const res = await request(build({ https: true, mode: 'azure', sandbox: undefined, authorizeOrigin: 'https://login.microsoftonline.com' }).app).get('/');
    expect(res.headers['strict-transport-security']).toContain('max-age=31536000');
    expect(res.headers['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(res.headers['content-security-policy']).toContain("form-action 'self' https://login.microsoftonline.com");
  });

  it('serves the stylesheet from /static under the same headers', async () => {
    const res = await request(build().app).get('/static/css/elevate.css').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/css/);
    expect(res.headers['content-security-policy']).toBeDefined();
  });
});

describe('pages and the sandbox banner', () => {
  it('shows the Sandbox tenant banner and the sandbox users, escaped, in sandbox mode', async () => {
    const res = await request(build().app).get('/').set('Accept', 'text/html').expect(200);
    expect(res.text).toContain('Sandbox tenant');
    expect(res.text).toContain('admin@sandbox.test');
    expect(res.text).not.toContain('<script>alert(1)</script>');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The only script is the same-origin local-time file (the CSP allows no inline script).
    expect(res.text.match(/<script[^>]*>/gi)).toEqual(['<script src="/static/js/local-time.js" defer>']);
  });

  it('shows the banner on error pages too, and never with a real tenant', async () => {
    const sandbox404 = await request(build().app).get('/nope').set('Accept', 'text/html').expect(404);
    expect(sandbox404.text).toContain('Sandbox tenant');
    const real = build({ mode: 'azure', sandbox: undefined, authorizeOrigin: 'https://login.microsoftonline.com' });
    const home = await request(real.app).get('/').set('Accept', 'text/html').expect(200);
    expect(home.text).not.toContain('Sandbox tenant');
    expect(home.text).not.toContain('sandbox-banner');
  });

  it('mounts capability routes with nav entries, after shared middleware, and fills the user slot', async () => {
    const pages = Router();
    pages.get('/', (_req, res) => res.render('home.njk', { home: { title: `Requests for ${String(res.locals.user.name)}` } }));
    const api = Router();
    api.get('/ping', (req, res) => res.json({ pong: true, reqId: req.id }));
    const { app } = build({
      middleware: [
        (_req, res, next) => {
          res.locals.user = { name: 'Ada <Admin>', upn: 'admin@sandbox.test' };
          res.locals.csrfToken = 'csrf-123';
          res.locals.csrfField = '_csrf';
          next();
        },
      ],
      routes: [
        { path: '/requests', handlers: pages, nav: { label: 'Requests', href: '/requests' } },
        { path: '/api/v1', handlers: [express.json(), api] },
      ],
      auth: { signInPath: '/signin', signOutPath: '/signout' },
    });
    const page = await request(app).get('/requests').set('Accept', 'text/html').expect(200);
    // The nav marks the section being viewed.
    expect(page.text).toContain('<a href="/requests" aria-current="page">Requests</a>');
    expect(page.text).toContain('Requests for Ada &lt;Admin&gt;');
    expect(page.text).toContain('action="/signout"');
    expect(page.text).toContain('name="_csrf" value="csrf-123"');
    const ping = await request(app).get('/api/v1/ping').expect(200);
    expect(ping.body.pong).toBe(true);
    expect(ping.body.reqId).toBe(ping.headers['x-request-id']);
  });

  it('offers sign-in to an anonymous visitor when sign-in exists', async () => {
    const res = await request(build({ auth: { signInPath: '/signin', signOutPath: '/signout' } }).app).get('/').expect(200);
    expect(res.text).toContain('href="/signin"');
    expect(res.text).not.toContain('Sign out');
  });
});

describe('errors', () => {
  function appWithFailures() {
    const r = Router();
    r.get('/boom', () => {
      throw new Error('SQLITE_CORRUPT at /var/lib/secret/path');
    });
    r.get('/refused', () => {
      throw new HttpError(409, 'already_approved', 'this request is already approved');
    });
    r.post('/echo', (req, res) => res.json(req.body));
    return build({ routes: [{ path: '/api', handlers: r }, { path: '/pages', handlers: r }] });
  }

  it('404 is JSON under /api and for JSON clients, HTML for browsers', async () => {
    const { app } = build();
    const api = await request(app).get('/api/nothing').set('Accept', 'text/html').expect(404);
    expect(api.body).toEqual({ error: { code: 'not_found', message: 'no such API endpoint' } });
    const json = await request(app).get('/nothing').set('Accept', 'application/json').expect(404);
    expect(json.body.error.code).toBe('not_found');
    const html = await request(app).get('/nothing').set('Accept', 'text/html').expect(404);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('Not found');
  });

  it('an unexpected error is a generic 500 that leaks nothing, logged with the request id', async () => {
    const { app, lines } = appWithFailures();
    const api = await request(app).get('/api/boom').expect(500);
    expect(api.body).toEqual({ error: { code: 'internal_error', message: 'something went wrong; the error has been logged' } });
    const page = await request(app).get('/pages/boom').set('Accept', 'text/html').expect(500);
    expect(page.text).not.toContain('SQLITE_CORRUPT');
    expect(page.text).not.toMatch(/at .*\.ts:\d+/);
    expect(page.text).toContain(page.headers['x-request-id']!);
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'unhandled error' && l.reqId === page.headers['x-request-id']);
    expect(JSON.stringify(logged)).toContain('SQLITE_CORRUPT');
  });

  it('an HttpError keeps its status, code and message', async () => {
    const res = await request(appWithFailures().app).get('/api/refused').expect(409);
    expect(res.body).toEqual({ error: { code: 'already_approved', message: 'this request is already approved' } });
  });

  it('a route may bring its own error handler for its errors; others still reach the shared one', async () => {
    const r = Router();
    r.get('/fail', () => {
      throw new Error('route-specific');
    });
    const own: import('express').ErrorRequestHandler = (err: Error, _req, res, _next) => {
      res.status(418).json({ handledBy: 'route', message: err.message });
    };
    const { app } = build({ routes: [{ path: '/api/own', handlers: [r, own] }, { path: '/api/shared', handlers: r }] });
    expect((await request(app).get('/api/own/fail').expect(418)).body).toEqual({ handledBy: 'route', message: 'route-specific' });
    expect((await request(app).get('/api/shared/fail').expect(500)).body.error.code).toBe('internal_error');
  });

  it('rejects malformed and oversized JSON bodies with a 4xx', async () => {
    const { app } = appWithFailures();
    const bad = await request(app).post('/api/echo').set('Content-Type', 'application/json').send('{"a":').expect(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const big = await request(app).post('/api/echo').send({ blob: 'x'.repeat(200_000) }).expect(413);
    expect(big.body.error.code).toBe('body_too_large');
    await request(app).post('/api/echo').send({ ok: 1 }).expect(200, { ok: 1 });
  });
});

describe('request context and logs', () => {
  it('keeps a plain caller request id and replaces a hostile one', async () => {
    const { app } = build();
    expect((await request(app).get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
    const hostile = (await request(app).get('/healthz').set('X-Request-Id', 'a"b\\c'.repeat(30))).headers['x-request-id'];
    expect(hostile).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('logs the path but never the query string, cookies or Authorization header', async () => {
    const { app, lines } = build();
    await request(app).get('/?code=AUTHCODE-SECRET&state=s').set('Authorization', 'Bearer TOKEN-SECRET').set('Cookie', 'sid=COOKIE-SECRET');
    const text = lines.join('');
    expect(text).toContain('"path":"/"');
    expect(text).not.toContain('AUTHCODE-SECRET');
    expect(text).not.toContain('TOKEN-SECRET');
    expect(text).not.toContain('COOKIE-SECRET');
  });
});

describe('API lanes', () => {
  /** A lane answering /api/v1/hot/*, and browser middleware that marks every request it sees. */
  function withLane(https = false) {
    const seenByBrowserStack: string[] = [];
    const hot = Router();
    hot.post('/hot/echo', (req, res) => {
      res.json({ body: req.body as unknown, reqId: req.id });
    });
    hot.get('/hot/fail', () => {
      throw new Error('boom');
    });
    return {
      seenByBrowserStack,
      ...build({
        https,
        middleware: [(req, _res, next) => (seenByBrowserStack.push(req.path), next())],
        apiLanes: [{ path: '/api/v1', handles: (path) => path.startsWith('/api/v1/hot/'), handlers: [hot] }],
        routes: [{ path: '/api/v1', handlers: Router().get('/cold', (_req, res) => void res.json({ cold: true })) }],
      }),
    };
  }

  it('answers its paths with the JSON API headers, a parsed body and a request id, without the browser stack', async () => {
    const { app, seenByBrowserStack } = withLane();
    const res = await request(app).post('/api/v1/hot/echo').send({ a: 1 }).expect(200);
    expect(res.body.body).toEqual({ a: 1 });
    expect(res.headers['x-request-id']).toBe(res.body.reqId);
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(seenByBrowserStack).toEqual([]);
  });

  it('adds HSTS over https', async () => {
    const res = await request(withLane(true).app).post('/api/v1/hot/echo').send({}).expect(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('ends unknown paths of its own with a JSON 404 and errors with the generic JSON 500; other paths go on to the full stack', async () => {
    const { app, seenByBrowserStack, lines } = withLane();
    const missing = await request(app).get('/api/v1/hot/nothing').expect(404);
    expect(missing.body).toEqual({ error: { code: 'not_found', message: 'no such API endpoint' } });
    const failed = await request(app).get('/api/v1/hot/fail').expect(500);
    expect(failed.body).toEqual({ error: { code: 'internal_error', message: 'something went wrong; the error has been logged' } });
    expect(lines.some((l) => l.includes('unhandled error') && l.includes(failed.headers['x-request-id']!))).toBe(true);
    const bad = await request(app).post('/api/v1/hot/echo').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(bad.body.error.code).toBe('invalid_json');
    expect(seenByBrowserStack).toEqual([]);
    const cold = await request(app).get('/api/v1/cold').expect(200);
    expect(cold.body).toEqual({ cold: true });
    expect(cold.headers['content-security-policy']).toContain("default-src 'self'");
    expect(seenByBrowserStack).toEqual(['/api/v1/cold']);
  });
});

describe('direct routes on an API lane (issue 18)', () => {
  /** POST /api/v1/hot/direct answered by a chain: a guard, an async step, the answer; errors through the route's own handler first. */
  function withDirect() {
    const seen: string[] = [];
    const router = Router().post('/hot/direct', (_req, res) => void res.json({ via: 'router' }));
    const guard: RequestHandler = (req, res, next) => {
      seen.push('guard');
      if (req.get('x-refuse')) return void res.status(401).json({ error: { code: 'unauthorized', message: 'no' } });
      next();
    };
    const slow: RequestHandler = async (_req, _res, next) => {
      await Promise.resolve();
      seen.push('slow');
      next();
    };
    const answer: RequestHandler = async (req, res, next) => {
      await Promise.resolve();
      if ((req.body as { fail?: string }).fail === 'reject') throw new Error('rejected');
      if ((req.body as { fail?: string }).fail === 'pass') return next();
      res.json({ via: 'direct', body: req.body as unknown });
    };
    const passOn: RequestHandler = (_req, _res, next) => next();
    const ownErrors: ErrorRequestHandler = (err, _req, res, next) => {
      seen.push('ownErrors');
      if ((err as { type?: string }).type === 'entity.parse.failed') return void res.status(400).json({ error: { code: 'own_invalid_json', message: 'x' } });
      next(err);
    };
    const built = build({
      apiLanes: [
        {
          path: '/api/v1',
          handles: (path) => path.startsWith('/api/v1/hot/'),
          handlers: [router],
          direct: [{ method: 'POST', path: '/api/v1/hot/direct', label: '/api/v1/hot/direct', handlers: [guard, slow, answer, passOn], errorHandlers: [ownErrors] }],
        },
      ],
    });
    return { ...built, seen };
  }

  it('answers the exact method and path through its chain, with the lane headers, parsed body and a metrics label', async () => {
    const { app, seen, metrics } = withDirect();
    const res = await request(app).post('/api/v1/hot/direct').send({ a: 1 }).expect(200);
    expect(res.body).toEqual({ via: 'direct', body: { a: 1 } });
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers['x-request-id']).toBeTruthy();
    expect(seen).toEqual(['guard', 'slow']);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/route="\/api\/v1\/hot\/direct"/);
  });

  it('leaves other spellings and methods to the router', async () => {
    const { app, seen } = withDirect();
    expect((await request(app).post('/api/v1/hot/direct/').send({}).expect(200)).body).toEqual({ via: 'router' });
    await request(app).post('/API/v1/hot/direct').send({}).expect(404);
    await request(app).get('/api/v1/hot/direct').expect(404);
    expect(seen).toEqual([]);
  });

  it('stops where a handler answers, sends body errors to its own error handler, and a rejection or a fall-through to the lane’s 500 and 404', async () => {
    const { app, seen } = withDirect();
    await request(app).post('/api/v1/hot/direct').set('x-refuse', '1').send({}).expect(401);
    expect(seen).toEqual(['guard']);
    const bad = await request(app).post('/api/v1/hot/direct').set('content-type', 'application/json').send('{"a":').expect(400);
    expect(bad.body.error.code).toBe('own_invalid_json');
    const failed = await request(app).post('/api/v1/hot/direct').send({ fail: 'reject' }).expect(500);
    expect(failed.body.error.code).toBe('internal_error');
    const fellOff = await request(app).post('/api/v1/hot/direct').send({ fail: 'pass' }).expect(404);
    expect(fellOff.body).toEqual({ error: { code: 'not_found', message: 'no such API endpoint' } });
    // the body error, the rejection and the 404 each passed the route's own error handler first
    expect(seen.filter((s) => s === 'ownErrors')).toHaveLength(3);
  });
});
