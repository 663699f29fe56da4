/**
 * The shared rate-limit store on both adapters: two instances (two handles on one database) count
 * the same hits, a window resets, concurrent hits lose no count, and express-rate-limit refuses
 * the call over the limit whichever instance gets it.
 */
import { join } from 'node:path';
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import pg from 'pg';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrations.ts';
import { openPostgresDatabase } from '../../src/store/postgres-database.ts';
import { migratePostgres } from '../../src/store/postgres-migrations.ts';
import { SharedRateLimitStore } from '../../src/store/shared-rate-limit-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { useTempDirs } from './store-fixtures.ts';

const tempDir = useTempDirs();
const pgDatabases: TestDatabase[] = [];
const open: Database[] = [];
afterAll(async () => {
  await Promise.all(open.map((d) => d.close().catch(() => undefined)));
  await Promise.all(pgDatabases.map((d) => d.drop()));
});

const adapters = [
  {
    name: 'SQLite',
    async twoInstances(): Promise<[Database, Database]> {
      const path = join(tempDir(), 'rl.db');
      const a = await openDatabase(path);
      await migrate(a);
      const b = await openDatabase(path);
      open.push(a, b);
      return [a, b];
    },
  },
  {
    name: 'PostgreSQL',
    async twoInstances(): Promise<[Database, Database]> {
      const t = await createTestDatabase('elevate_rate_limits');
      pgDatabases.push(t);
      const pool = new pg.Pool({ connectionString: t.url, max: 1 });
      await migratePostgres(pool);
      await pool.end();
      const a = await openPostgresDatabase(t.url, { poolSize: 4 });
      const b = await openPostgresDatabase(t.url, { poolSize: 4 });
      open.push(a, b);
      return [a, b];
    },
  },
];

describe.each(adapters)('SharedRateLimitStore on $name', (adapter) => {
  const WINDOW = 60_000;
  const storeOn = (db: Database, clock: () => number) => {
    const store = new SharedRateLimitStore(db, { prefix: 'test', clock });
    store.init({ windowMs: WINDOW } as Parameters<SharedRateLimitStore['init']>[0]);
    return store;
  };

  it('counts hits from both instances in one window, and starts a new window after it', async () => {
    const [a, b] = await adapter.twoInstances();
    let now = 1_000_000;
    const clock = () => now;
    const sa = storeOn(a, clock);
    const sb = storeOn(b, clock);
    expect(await sa.increment('agent:1')).toEqual({ totalHits: 1, resetTime: new Date(1_000_000 + WINDOW) });
    expect((await sb.increment('agent:1')).totalHits).toBe(2);
    expect((await sa.get('agent:1'))?.totalHits).toBe(2);
    expect((await sb.increment('agent:2')).totalHits).toBe(1);
    await sb.decrement('agent:1');
    expect((await sa.get('agent:1'))?.totalHits).toBe(1);
    now += WINDOW;
    expect(await sa.get('agent:1')).toBeUndefined();
    expect(await sb.increment('agent:1')).toEqual({ totalHits: 1, resetTime: new Date(now + WINDOW) });
    await sa.resetKey('agent:1');
    expect(await sb.get('agent:1')).toBeUndefined();
  });

  it('loses no count when both instances hit one key at once', async () => {
    const [a, b] = await adapter.twoInstances();
    const clock = () => 5_000_000;
    const sa = storeOn(a, clock);
    const sb = storeOn(b, clock);
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? sa : sb).increment('k')));
    expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('keeps limiters apart by prefix', async () => {
    const [a] = await adapter.twoInstances();
    const one = new SharedRateLimitStore(a, { prefix: 'sign-in', clock: () => 1 });
    const two = new SharedRateLimitStore(a, { prefix: 'decisions', clock: () => 1 });
    await one.increment('ip:1');
    expect(await two.get('ip:1')).toBeUndefined();
  });

  it('refuses the call over the limit on whichever instance it lands (express-rate-limit)', async () => {
    const [a, b] = await adapter.twoInstances();
    const app = (db: Database) =>
      express()
        .use(rateLimit({ windowMs: WINDOW, limit: 3, keyGenerator: () => 'agent:x', store: new SharedRateLimitStore(db, { prefix: 'api' }), validate: { keyGeneratorIpFallback: false } }))
        .get('/', (_req, res) => void res.send('ok'));
    const [appA, appB] = [app(a), app(b)];
    const statuses = [];
    for (const target of [appA, appB, appA, appB, appA]) statuses.push((await request(target).get('/')).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
  });
});
