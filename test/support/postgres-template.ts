/**
 * One database per run with every migration applied, which the PostgreSQL lane's harnesses copy
 * (CREATE DATABASE … TEMPLATE) instead of migrating a database each. Made by the same
 * openPostgresStore the service uses, so the copy is what a service's first start would leave.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/open-store.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';

export interface MigratedTemplate {
  name: string;
  drop(): Promise<void>;
}

async function admin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createMigratedTemplate(serverUrl: string): Promise<MigratedTemplate> {
  const name = `elevate_template_${randomBytes(6).toString('hex')}`;
  await admin(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = await openPostgresStore(parsePostgresUrl(url.toString()));
  await db.close();
  return {
    name,
    drop: () => admin(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
