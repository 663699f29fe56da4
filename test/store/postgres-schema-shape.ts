/**
 * Reads a PostgreSQL database's schema (the current schema) into a SchemaShape from pg_catalog:
 * information_schema has no TRUNCATE triggers, index key expressions or index collations.
 */
import type pg from 'pg';
import {
  byForeignKey,
  byTrigger,
  normaliseExpression,
  normaliseType,
  quotedLiterals,
  type IndexShape,
  type SchemaShape,
  type TriggerShape,
} from './schema-shape.ts';

const ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

// pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
const TRIGGER_BEFORE = 1 << 1;
const TRIGGER_INSTEAD = 1 << 6;
const TRIGGER_EVENTS: [number, TriggerShape['event']][] = [
  [1 << 2, 'INSERT'],
  [1 << 3, 'DELETE'],
  [1 << 4, 'UPDATE'],
  [1 << 5, 'TRUNCATE'],
];

export async function postgresSchemaShape(client: Pick<pg.ClientBase, 'query'>): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const { rows: tables } = await client.query<{ oid: number; name: string }>(
    `SELECT c.oid, c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname`,
  );
  for (const table of tables) {
    const { rows: columns } = await client.query<{ name: string; type: string; not_null: boolean; dflt: string | null; coll: string | null }>(
      `SELECT a.attname::text AS name, format_type(a.atttypid, NULL) AS type, a.attnotnull AS not_null,
              pg_get_expr(d.adbin, d.adrelid) AS dflt, co.collname::text AS coll
         FROM pg_attribute a
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         LEFT JOIN pg_collation co ON co.oid = a.attcollation
        WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [table.oid],
    );
    const { rows: indexRows } = await client.query<{ name: string; columns: string[]; collations: string[]; unique: boolean; partial: boolean; contype: string | null }>(
      `SELECT ic.relname::text AS name, i.indisunique AS unique, i.indpred IS NOT NULL AS partial, con.contype::text AS contype,
              array(SELECT pg_get_indexdef(i.indexrelid, k, true) FROM generate_series(1, i.indnkeyatts) k ORDER BY k)::text[] AS columns,
              array(SELECT coalesce(co.collname::text, '') FROM unnest(i.indcollation::oid[]) WITH ORDINALITY u(coll, k)
                      LEFT JOIN pg_collation co ON co.oid = u.coll ORDER BY u.k)::text[] AS collations
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')
        WHERE i.indrelid = $1`,
      [table.oid],
    );
    const { rows: fkRows } = await client.query<{ columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string }>(
      `SELECT array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS columns,
              fc.relname::text AS ref_table,
              array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS ref_columns,
              con.confdeltype::text AS on_delete
         FROM pg_constraint con JOIN pg_class fc ON fc.oid = con.confrelid
        WHERE con.conrelid = $1 AND con.contype = 'f'`,
      [table.oid],
    );
    const { rows: checks } = await client.query<{ def: string }>(
      "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1 AND contype = 'c'",
      [table.oid],
    );
    const { rows: triggerRows } = await client.query<{ name: string; type: number }>(
      'SELECT tgname::text AS name, tgtype::int AS type FROM pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal',
      [table.oid],
    );

    const primary = indexRows.find((i) => i.contype === 'p');
    const indexes: Record<string, IndexShape> = {};
    for (const i of indexRows.filter((r) => r.contype === null)) {
      indexes[i.name] = { columns: i.columns.map(normaliseExpression), collations: i.collations.map(collation), unique: i.unique, partial: i.partial };
    }
    shape[table.name] = {
      columns: columns.map((c) => {
        const type = normaliseType(c.type);
        return {
          name: c.name,
          type,
          notNull: c.not_null,
          default: c.dflt === null ? null : c.dflt.replace(/::[a-z ]+$/, ''),
          collation: type === 'text' ? collation(c.coll ?? '') : null,
        };
      }),
      primaryKey: primary ? primary.columns : [],
      uniqueConstraints: indexRows
        .filter((r) => r.contype === 'u')
        .map((r) => r.columns.join(','))
        .sort(),
      indexes,
      foreignKeys: fkRows
        .map((f) => ({ columns: f.columns, table: f.ref_table, refColumns: f.ref_columns, onDelete: ON_DELETE[f.on_delete]! }))
        .sort(byForeignKey),
      checks: checks.length,
      checkLiterals: checks.flatMap((c) => quotedLiterals(c.def)).sort(),
      triggers: triggerRows
        .flatMap((t) =>
          TRIGGER_EVENTS.filter(([bit]) => t.type & bit).map(
            ([, event]): TriggerShape => ({ name: t.name, timing: t.type & TRIGGER_BEFORE ? 'BEFORE' : t.type & TRIGGER_INSTEAD ? 'INSTEAD OF' : 'AFTER', event }),
          ),
        )
        .sort(byTrigger),
    };
  }
  return shape;
}

/** "C" (and no collation, as integer keys have) orders by bytes as SQLite's BINARY does. */
function collation(name: string): string {
  if (name === 'C' || name === '') return 'binary';
  return name;
}
