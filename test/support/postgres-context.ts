/**
 * The run's PostgreSQL server (test/global-setup.ts starts a throwaway cluster, or takes
 * ELEVATE_TEST_DATABASE_URL) and a fresh database per caller, so tests never share state.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    /** A database with every migration applied, to copy (ELEVATE_TEST_STORE=postgres runs only). */
    postgresTemplate: string | undefined;
  }
}

/** The maintenance URL of the run's server (a role that may create databases). */
export function postgresServerUrl(): string {
  return inject('postgresUrl');
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/**
 * Creates a database with a unique name, empty, or (`migrated`) a copy of the run's migrated
 * template when there is one; `drop` removes it (closing any sessions left on it).
 */
export async function createTestDatabase(prefix = 'elevate_test', options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const server = postgresServerUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const template = options.migrated ? inject('postgresTemplate') : undefined;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  try {
    // FILE_COPY: a small template is copied faster than WAL-logged block by block.
    await admin.query(template ? `CREATE DATABASE ${name} TEMPLATE ${template} STRATEGY FILE_COPY` : `CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
