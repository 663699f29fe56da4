import { EventEmitter, once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express, { type Request, type Response } from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { MAX_LABEL_SETS, requestContext } from '../../src/web/request-context.ts';

function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }) as never);
  return { logger, lines };
}

function appWith(logger: ReturnType<typeof createLogger>, metrics = createMetrics()) {
  const app = express();
  app.use(requestContext(logger, metrics));
  app.get('/hello', (req, res) => {
    req.log.info({ mark: 'handler' }, 'hello');
    res.json({ id: req.id });
  });
  return { app, metrics };
}

/** The sample of a Prometheus counter with exactly these labels, from the registry's text. */
async function counted(metrics: ReturnType<typeof createMetrics>, labels: string): Promise<number | undefined> {
  const line = (await metrics.registry.metrics()).split('\n').find((l) => l.startsWith(`elevate_http_requests_total{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

describe('requestContext', () => {
  it('mints an id when the caller repeats X-Request-Id (Node joins repeats, which the id pattern refuses)', async () => {
    const { app } = appWith(capturedLogger().logger);
    const server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      // A raw request: the test clients fold a repeated header into one before it is sent.
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.end('GET /hello HTTP/1.1\r\nHost: x\r\nX-Request-Id: abc\r\nX-Request-Id: def\r\nConnection: close\r\n\r\n');
      let raw = '';
      for await (const chunk of socket) raw += String(chunk);
      const id = /^x-request-id: (.*)$/im.exec(raw)?.[1]?.trim();
      expect(raw).toMatch(/^HTTP\/1\.1 200/);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect(raw).toContain(`{"id":"${id}"}`);
    } finally {
      server.close();
    }
  });

  it('writes each app’s lines to its own logger, with the request id, when two apps run side by side', async () => {
    const a = capturedLogger();
    const b = capturedLogger();
    const appA = appWith(a.logger).app;
    const appB = appWith(b.logger).app;
    await request(appA).get('/hello').set('X-Request-Id', 'from-a').expect(200);
    await request(appB).get('/hello').set('X-Request-Id', 'from-b').expect(200);
    await request(appA).get('/hello').set('X-Request-Id', 'again-a').expect(200);
    expect(a.lines.filter((l) => l.mark === 'handler').map((l) => l.reqId)).toEqual(['from-a', 'again-a']);
    expect(b.lines.filter((l) => l.mark === 'handler').map((l) => l.reqId)).toEqual(['from-b']);
    // The access line: one per request, with the route and status.
    expect(a.lines.filter((l) => l.msg === 'request').map((l) => [l.reqId, l.route, l.status])).toEqual([
      ['from-a', '/hello', 200],
      ['again-a', '/hello', 200],
    ]);
  });

  it('counts every request under its own labels, reusing label sets, by method, route and status class', async () => {
    const { app, metrics } = appWith(capturedLogger().logger);
    for (let i = 0; i < 3; i++) await request(app).get('/hello').expect(200);
    await request(app).get('/nowhere').expect(404);
    await request(app).post('/hello').expect(404);
    expect(await counted(metrics, 'method="GET",route="/hello",status="2xx"')).toBe(3);
    expect(await counted(metrics, 'method="GET",route="unmatched",status="4xx"')).toBe(1);
    expect(await counted(metrics, 'method="POST",route="unmatched",status="4xx"')).toBe(1);
  });

  it('stays exact past the bound on remembered label sets', async () => {
    const metrics = createMetrics();
    const handler = requestContext(capturedLogger().logger, metrics);
    const routes = MAX_LABEL_SETS + 25;
    // Each route label is a distinct matched pattern; two passes, so the second finds some remembered and some not.
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < routes; i++) {
        const res = Object.assign(new EventEmitter(), { statusCode: 200, setHeader: () => undefined }) as unknown as Response;
        const req = Object.assign(Object.create(express.request) as Request, { headers: {}, method: 'GET', baseUrl: '', route: { path: `/r${i}` }, url: `/r${i}`, originalUrl: `/r${i}` });
        handler(req, res, () => undefined);
        (res as unknown as EventEmitter).emit('finish');
      }
    }
    for (const i of [0, MAX_LABEL_SETS - 1, MAX_LABEL_SETS, routes - 1]) expect(await counted(metrics, `method="GET",route="/r${i}",status="2xx"`)).toBe(2);
  });
});
