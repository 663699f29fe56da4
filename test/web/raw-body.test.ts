import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { keepRawBody, keepRawBodyUnder, rawBodyOf } from '../../src/web/raw-body.ts';

/** An app whose handler answers what the parser kept, as text. */
function appWith(verify: (req: IncomingMessage, res: ServerResponse, buf: Buffer) => void) {
  const app = express();
  app.use(express.json({ verify }));
  app.post(/.*/, (req, res) => {
    const kept = rawBodyOf(req);
    res.json({ kept: kept === undefined ? null : kept.toString('utf8'), parsed: req.body });
  });
  return app;
}

describe('raw body', () => {
  it('keeps the exact bytes the JSON parser read, spacing and key order included', async () => {
    const raw = '{ "b": 1,  "a": [2] }';
    const res = await request(appWith(keepRawBody)).post('/x').set('Content-Type', 'application/json').send(raw).expect(200);
    expect(res.body).toEqual({ kept: raw, parsed: { b: 1, a: [2] } });
  });

  it('keeps bytes only under the prefix, and nothing for a body the parser did not read', async () => {
    const app = appWith(keepRawBodyUnder('/alerts'));
    expect((await request(app).post('/alerts/src').send({ a: 1 })).body.kept).toBe('{"a":1}');
    expect((await request(app).post('/alertsX').send({ a: 1 })).body.kept).toBeNull();
    expect((await request(app).post('/other').send({ a: 1 })).body.kept).toBeNull();
    const text = await request(appWith(keepRawBody)).post('/x').set('Content-Type', 'text/plain').send('{"a":1}');
    expect(text.body.kept).toBeNull();
  });
});
