/**
 * Everything a store holds, as text, on either engine: every row of every table of the store's
 * own schema. For checks such as "no token is stored" that must hold whichever engine the lane
 * runs (test/support/test-store.ts). On SQLite the file bytes (main file, WAL) hold more than the
 * live rows (freed pages, old versions), and tests that can scan them do so as well; on a
 * PostgreSQL server there is no file of the database's own to read, so the rows are what a
 * reader of the database can see.
 */
import type { Database } from '../../src/store/database.ts';

/** A table name as an SQL identifier, quoted (names come from the catalog, not from input). */
const quoted = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function tableNames(db: Database): Promise<string[]> {
  // db.path is the URL (password left out) on PostgreSQL, the file or :memory: on SQLite.
  const rows = db.path.startsWith('postgres')
    ? await db.all<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
      )
    : await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
  return rows.map((r) => r.name);
}

/** One value as the text a reader would search: bytes as Latin-1 (every byte a character), the rest as JSON would render it. */
function valueText(value: unknown): string {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  return typeof value === 'string' ? value : JSON.stringify(value) ?? '';
}

/**
 * Every stored row, one line per row prefixed with its table's name. On PostgreSQL each row is
 * its record text (`t::text`), which renders every column type, bytea as hex; that hex is
 * decoded too so a token stored as bytes is found.
 */
export async function storedText(db: Database): Promise<string> {
  const lines: string[] = [];
  const postgres = db.path.startsWith('postgres');
  for (const table of await tableNames(db)) {
    if (postgres) {
      for (const { row } of await db.all<{ row: string }>(`SELECT t::text AS row FROM ${quoted(table)} t`)) {
        const bytes = [...row.matchAll(/\\\\x([0-9a-f]+)/g)].map((m) => Buffer.from(m[1]!, 'hex').toString('latin1'));
        lines.push(`${table}: ${row}${bytes.length > 0 ? ` ${bytes.join(' ')}` : ''}`);
      }
    } else {
      for (const row of await db.all<Record<string, unknown>>(`SELECT * FROM ${quoted(table)}`)) {
        lines.push(`${table}: ${Object.values(row).map(valueText).join(' ')}`);
      }
    }
  }
  return lines.join('\n');
}
