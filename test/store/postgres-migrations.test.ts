/**
 * PostgreSQL-specific: the migration runner (src/store/postgres-migrations.ts) and the protections
 * its migrations install. Each test gets its own fresh database.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { readMigrations } from '../../src/store/migrations.ts';
import { DEFAULT_POSTGRES_MIGRATIONS_DIR, migratePostgres } from '../../src/store/postgres-migrations.ts';
import { StoreError } from '../../src/store/store-errors.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres-context.ts';
import { useTempDirs, writeMigrations } from './store-fixtures.ts';

const tempDir = useTempDirs();
const opened: { end(): Promise<void> }[] = [];
const databases: TestDatabase[] = [];
const fixedClock = () => new Date('2026-01-02T03:04:05.678Z');
const known = readMigrations(DEFAULT_POSTGRES_MIGRATIONS_DIR);
const newest = known.at(-1)!.version;

afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.end()));
  await Promise.all(databases.splice(0).map((d) => d.drop()));
});

async function freshDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  databases.push(database);
  return database;
}

async function connect(database: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  opened.push(client);
  return client;
}

const hash = (c: string) => c.repeat(64);

describe('migratePostgres', () => {
  it('applies every migration once, records it, and is idempotent', async () => {
    const client = await connect(await freshDatabase());
    const first = await migratePostgres(client, { clock: fixedClock });
    expect(first.version).toBe(newest);
    expect(first.applied.map((m) => m.name)).toEqual(known.map((m) => m.name));
    const { rows } = await client.query('SELECT version, name, applied_at, checksum FROM schema_migrations ORDER BY version');
    expect(rows).toEqual(known.map((m) => ({ version: m.version, name: m.name, applied_at: '2026-01-02T03:04:05.678Z', checksum: m.checksum })));
    expect(await migratePostgres(client)).toEqual({ version: newest, applied: [] });
  });

  it('takes a pool, lending one connection for the run and giving it back', async () => {
    const pool = new pg.Pool({ connectionString: (await freshDatabase()).url, max: 2 });
    opened.push(pool);
    expect((await migratePostgres(pool)).applied).toHaveLength(known.length);
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('applies each migration once when two instances start on an empty database at the same time', async () => {
    const database = await freshDatabase();
    const [a, b] = [await connect(database), await connect(database)];
    const results = await Promise.all([migratePostgres(a), migratePostgres(b)]);
    expect(results.map((r) => r.version)).toEqual([newest, newest]);
    expect(results.flatMap((r) => r.applied.map((m) => m.name)).sort()).toEqual(known.map((m) => m.name).sort());
    const { rows } = await a.query<{ n: string }>('SELECT count(*) AS n FROM schema_migrations');
    expect(Number(rows[0]!.n)).toBe(known.length);
  });

  it('refuses a database written by a newer Elevate, naming the database and not the URL', async () => {
    const database = await freshDatabase();
    const client = await connect(database);
    await migratePostgres(client);
    await client.query("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES (999, '999_future', 'x', 'y')");
    const refused = migratePostgres(client);
    await expect(refused).rejects.toThrow(
      new StoreError(
        `PostgreSQL database ${database.name} is at schema version 999, newer than this Elevate (${newest}): upgrade Elevate or use another ELEVATE_DATABASE_URL`,
      ),
    );
    await expect(refused).rejects.toBeInstanceOf(StoreError);
  });

  it('refuses a database whose applied migration changed since', async () => {
    const database = await freshDatabase();
    const client = await connect(database);
    await migratePostgres(client);
    await client.query("UPDATE schema_migrations SET checksum = 'other' WHERE version = 2");
    await expect(migratePostgres(client)).rejects.toThrow(
      new StoreError(
        `PostgreSQL database ${database.name}: migration 002_sessions.sql changed after it was applied (checksum differs): restore the file or use another ELEVATE_DATABASE_URL`,
      ),
    );
  });

  it('leaves nothing of a failing migration behind and keeps the ones before it', async () => {
    const database = await freshDatabase();
    const client = await connect(database);
    const dir = writeMigrations(tempDir(), 'pg', {
      '001_ok.sql': 'CREATE TABLE one (v INTEGER);',
      '002_broken.sql': 'CREATE TABLE two (v INTEGER); INSERT INTO one VALUES (1); INSERT INTO nowhere VALUES (1);',
      '003_never.sql': 'CREATE TABLE three (v INTEGER);',
    });
    await expect(migratePostgres(client, { dir })).rejects.toThrow(
      new StoreError(`migration 002_broken.sql failed on PostgreSQL database ${database.name}: relation "nowhere" does not exist`),
    );
    const { rows } = await client.query<{ name: string }>("SELECT relname::text AS name FROM pg_class WHERE relname IN ('one', 'two', 'three')");
    expect(rows.map((r) => r.name)).toEqual(['one']);
    expect((await client.query('SELECT count(*)::int AS n FROM one')).rows[0]).toEqual({ n: 0 });
    expect((await client.query('SELECT version FROM schema_migrations')).rows).toEqual([{ version: 1 }]);
  });
});

describe('the PostgreSQL schema', () => {
  async function migrated(): Promise<pg.Client> {
    const client = await connect(await freshDatabase());
    await migratePostgres(client);
    return client;
  }

  async function appendEntries(client: pg.Client, n: number): Promise<void> {
    for (let seq = 1; seq <= n; seq++) {
      await client.query(
        `INSERT INTO audit_log (seq, ts, actor_kind, actor_id, event_type, details, prev_hash, hash) VALUES ($1, '2026-01-01T00:00:00.000Z', 'system', 'elevate', 'test', '{}', $2, $3)`,
        [seq, hash(String(seq - 1)), hash(String(seq))],
      );
    }
  }

  it('keeps the audit log append-only: no UPDATE, DELETE or TRUNCATE', async () => {
    const client = await migrated();
    await appendEntries(client, 2);
    await expect(client.query("UPDATE audit_log SET details = '{\"x\":1}' WHERE seq = 1")).rejects.toThrow('audit_log is append-only');
    await expect(client.query('DELETE FROM audit_log WHERE seq = 1')).rejects.toThrow(
      'audit_log is append-only: only entries behind the archive anchor may be deleted',
    );
    await expect(client.query('TRUNCATE audit_log CASCADE')).rejects.toThrow('audit_log is append-only');
    expect((await client.query('SELECT count(*)::int AS n FROM audit_log')).rows[0]).toEqual({ n: 2 });
  });

  it('lets retention delete only entries behind the archive anchor, which moves forward only', async () => {
    const client = await migrated();
    await appendEntries(client, 3);
    await expect(client.query(`INSERT INTO audit_anchor (id, through_seq, last_hash, set_at) VALUES (1, 1, $1, 'now')`, [hash('9')])).rejects.toThrow(
      "audit_anchor must point at an existing entry's hash",
    );
    await client.query(`INSERT INTO audit_anchor (id, through_seq, last_hash, set_at) VALUES (1, 2, $1, 'now')`, [hash('2')]);
    await client.query('DELETE FROM audit_log WHERE seq <= 2');
    await expect(client.query('DELETE FROM audit_log WHERE seq = 3')).rejects.toThrow('audit_log is append-only');
    await expect(client.query(`UPDATE audit_anchor SET through_seq = 1, last_hash = $1`, [hash('1')])).rejects.toThrow('audit_anchor only moves forward');
    await expect(client.query('DELETE FROM audit_anchor')).rejects.toThrow('audit_anchor cannot be removed');
    await expect(client.query('TRUNCATE audit_anchor')).rejects.toThrow('audit_anchor cannot be removed');
    expect((await client.query('SELECT seq::int FROM audit_log')).rows).toEqual([{ seq: 3 }]);
  });

  it('keeps who asked for a request immutable', async () => {
    const client = await migrated();
    await client.query(
      `INSERT INTO operation_requests (id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version, trigger_kind, action, scope, run_mode, outcome, decision_json, state, created_at, updated_at)
       VALUES ('r1', 'a1', 'k1', $1, $1, 'GET', '/x', '2022-04-01', 'manual', 'x/read', '/x', 'Review', 'execute', '{}', 'approved', 't', 't')`,
      [hash('a')],
    );
    await client.query("INSERT INTO request_requesters (request_id, status, object_id, resolved_at) VALUES ('r1', 'resolved', 'oid', 't')");
    await expect(client.query("UPDATE request_requesters SET object_id = 'other'")).rejects.toThrow('request_requesters rows are immutable');
    await expect(client.query('DELETE FROM request_requesters')).rejects.toThrow('request_requesters rows are immutable');
    await expect(client.query('TRUNCATE request_requesters')).rejects.toThrow('request_requesters rows are immutable');
    await expect(client.query("UPDATE operation_requests SET state = 'outcome_unknown'")).resolves.toMatchObject({ rowCount: 1 });
  });

  it('matches NOCASE columns case-blind, as SQLite does, with the same SQL', async () => {
    const client = await migrated();
    const guid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    await client.query(
      `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at)
       VALUES ('a1', 'Triage', $1, $2, 't', 'Reader', 'Review', 't', 't')`,
      [guid, guid.replace('0f8f', '1f8f')],
    );
    expect((await client.query('SELECT id FROM agents WHERE uami_client_id = $1 COLLATE NOCASE', [guid.toUpperCase()])).rows).toEqual([{ id: 'a1' }]);
    await expect(
      client.query(
        `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at)
         VALUES ('a2', 'TRIAGE', 'c2', 'p2', 't', 'Reader', 'Review', 't', 't')`,
      ),
    ).rejects.toThrow(/agents_name_key/);
  });

  it('migration 011 rewrites the UAMI principal id to agent:<id>, comparing bytes as SQLite does', async () => {
    const database = await freshDatabase();
    const client = await connect(database);
    const before = join(tempDir(), 'before');
    mkdirSync(before);
    for (const m of known.filter((k) => k.version < 11)) copyFileSync(join(DEFAULT_POSTGRES_MIGRATIONS_DIR, `${m.name}.sql`), join(before, `${m.name}.sql`));
    await migratePostgres(client, { dir: before });

    const uami = '9D0C1E2F-3A4B-4C5D-8E6F-708192A3B4C5';
    const approver = '11111111-2222-4333-8444-555555555555';
    await client.query(
      `INSERT INTO agents (id, name, uami_client_id, uami_principal_id, tenant_id, level, run_mode_ceiling, created_at, updated_at)
       VALUES ('agent-1', 'sre', 'c1', $1, 't', 'Privileged', 'Review', '2026-01-01', '2026-01-01')`,
      [uami],
    );
    // SQLite's `acting_identity = (SELECT uami_principal_id ...)` takes the left column's BINARY
    // collation: another spelling of the same GUID is not rewritten there, nor here.
    const acting = { 'req-uami': uami, 'req-approver': approver, 'req-other-case': uami.toLowerCase() };
    for (const [id, identity] of Object.entries(acting)) {
      await client.query(
        `INSERT INTO operation_requests (id, agent_id, idempotency_key, submission_hash, operation_hash, method, path, api_version, trigger_kind, action, scope,
           run_mode, outcome, decision_json, state, created_at, updated_at, acting_identity)
         VALUES ($1, 'agent-1', $1, $2, $2, 'POST', '/x', '2024-01-01', 'chat', 'a/action', '/subscriptions/s', 'Review', 'pending_consent', '{}', 'succeeded', '2026-01-01', '2026-01-01', $3)`,
        [id, hash('a'), identity],
      );
      await client.query("INSERT INTO executions (request_id, acting_identity, operation_hash, started_at) VALUES ($1, $2, $3, '2026-01-01')", [id, identity, hash('a')]);
    }

    await migratePostgres(client);
    const rows = async (sql: string) => Object.fromEntries((await client.query<{ id: string; acting: string }>(sql)).rows.map((r) => [r.id, r.acting]));
    const expected = { 'req-uami': 'agent:agent-1', 'req-approver': approver, 'req-other-case': uami.toLowerCase() };
    expect(await rows('SELECT id, acting_identity AS acting FROM operation_requests')).toEqual(expected);
    expect(await rows('SELECT request_id AS id, acting_identity AS acting FROM executions')).toEqual(expected);
  });
});
