/**
 * Reads a SQLite database's schema into a SchemaShape: pragma table_info / index_list /
 * index_xinfo / foreign_key_list, and the stored CREATE statements in sqlite_master for what no
 * pragma tells (column collations, CHECK constraints, trigger timing and event).
 */
import type { Queryable } from '../../src/store/database.ts';
import {
  byForeignKey,
  byTrigger,
  normaliseExpression,
  normaliseType,
  quotedLiterals,
  type ForeignKeyShape,
  type IndexShape,
  type SchemaShape,
  type TriggerShape,
} from './schema-shape.ts';

interface ColumnInfo {
  cid: number;
  name: string;
  type: string;
  notnull: number;
  dflt_value: string | null;
  pk: number;
}
interface IndexListRow {
  name: string;
  unique: number;
  origin: 'c' | 'u' | 'pk';
  partial: number;
}
interface IndexXinfoRow {
  seqno: number;
  cid: number;
  name: string | null;
  coll: string;
  key: number;
}
interface ForeignKeyRow {
  id: number;
  seq: number;
  table: string;
  from: string;
  to: string;
  on_delete: string;
}

export async function sqliteSchemaShape(db: Pick<Queryable, 'all'>): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const tables = await db.all<{ name: string; sql: string }>(
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
  );
  const triggers = await db.all<{ name: string; tbl_name: string; sql: string }>("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'");
  for (const table of tables) {
    const info = await db.all<ColumnInfo>('SELECT * FROM pragma_table_info(?) ORDER BY cid', [table.name]);
    const body = withoutComments(table.sql);
    const definitions = splitTopLevel(parenthesised(body, body.indexOf('(')));
    const columnCollation = (name: string): string => {
      const def = definitions.find((d) => unquote(d.trim().split(/\s+/)[0]!) === name) ?? '';
      return /\bCOLLATE\s+NOCASE\b/i.test(def) ? 'nocase' : 'binary';
    };
    const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    // An INTEGER PRIMARY KEY is the rowid itself: SQLite orders every index entry by it last.
    const rowidAlias = primaryKey.length === 1 && info.find((c) => c.name === primaryKey[0])!.type.toUpperCase() === 'INTEGER' ? primaryKey[0] : undefined;

    const uniqueConstraints: string[] = [];
    const indexes: Record<string, IndexShape> = {};
    for (const index of await db.all<IndexListRow>('SELECT * FROM pragma_index_list(?)', [table.name])) {
      const xinfo = await db.all<IndexXinfoRow>('SELECT * FROM pragma_index_xinfo(?) ORDER BY seqno', [index.name]);
      const keys = xinfo.filter((x) => x.key === 1);
      if (index.origin === 'pk') continue;
      if (index.origin === 'u') {
        uniqueConstraints.push(keys.map((k) => k.name!).join(','));
        continue;
      }
      const [indexSql] = await db.all<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [index.name]);
      const written = indexColumnsAsWritten(indexSql!.sql);
      const columns = keys.map((k, i) => (k.cid === -2 ? normaliseExpression(written[i]!) : k.name!));
      const collations = keys.map((k) => k.coll.toLowerCase());
      if (rowidAlias && !index.unique) {
        columns.push(rowidAlias);
        collations.push('binary');
      }
      indexes[index.name] = { columns, collations, unique: index.unique === 1, partial: index.partial === 1 };
    }

    const foreignKeys: ForeignKeyShape[] = [];
    const fkRows = await db.all<ForeignKeyRow>('SELECT * FROM pragma_foreign_key_list(?) ORDER BY id, seq', [table.name]);
    for (const id of new Set(fkRows.map((f) => f.id))) {
      const parts = fkRows.filter((f) => f.id === id);
      foreignKeys.push({ columns: parts.map((p) => p.from), table: parts[0]!.table, refColumns: parts.map((p) => p.to), onDelete: parts[0]!.on_delete });
    }

    const checkClauses = [...body.matchAll(/\bCHECK\s*\(/gi)].map((m) => parenthesised(body, m.index + m[0].length - 1));
    shape[table.name] = {
      columns: info.map((c) => {
        const type = normaliseType(c.type);
        return {
          name: c.name,
          type,
          // PostgreSQL refuses NULL in any primary key. SQLite does for an INTEGER PRIMARY KEY and in
          // STRICT tables; notification_outbox (not STRICT) would take a NULL id, which nothing writes.
          notNull: c.notnull === 1 || c.pk > 0,
          default: c.dflt_value,
          collation: type === 'text' ? columnCollation(c.name) : null,
        };
      }),
      primaryKey,
      uniqueConstraints: uniqueConstraints.sort(),
      indexes,
      foreignKeys: foreignKeys.sort(byForeignKey),
      checks: checkClauses.length,
      checkLiterals: checkClauses.flatMap(quotedLiterals).sort(),
      triggers: triggers
        .filter((t) => t.tbl_name === table.name)
        .map((t): TriggerShape => {
          const m = /\b(BEFORE|AFTER|INSTEAD\s+OF)\s+(INSERT|UPDATE|DELETE)\b/i.exec(t.sql)!;
          return { name: t.name, timing: m[1]!.toUpperCase().replace(/\s+/, ' ') as TriggerShape['timing'], event: m[2]!.toUpperCase() as TriggerShape['event'] };
        })
        .sort(byTrigger),
    };
  }
  return shape;
}

function withoutComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '');
}

function unquote(name: string): string {
  return name.replace(/^["`[]|["`\]]$/g, '');
}

/** The text inside the parenthesis that opens at `open`, skipping quoted strings. */
function parenthesised(sql: string, open: number): string {
  let depth = 0;
  let quoted = false;
  for (let i = open; i < sql.length; i++) {
    const ch = sql[i];
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')' && --depth === 0) return sql.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in ${sql}`);
}

/** Splits on commas outside parentheses and quoted strings. */
function splitTopLevel(list: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i];
    if (ch === "'") quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(list.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(list.slice(start));
  return parts;
}

/** The key list of `CREATE [UNIQUE] INDEX name ON table (a, lower(b)) [WHERE ...]`, as written. */
function indexColumnsAsWritten(sql: string): string[] {
  const on = /\bON\s+\S+\s*\(/i.exec(sql)!;
  return splitTopLevel(parenthesised(sql, on.index + on[0].length - 1)).map((s) => s.trim());
}
