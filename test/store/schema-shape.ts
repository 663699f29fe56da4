/**
 * A database schema reduced to what both adapters can express, so a SQLite schema and a
 * PostgreSQL one can be compared with `toEqual` (test/store/postgres-schema.test.ts).
 * Names of type families, collations and actions are normalised to one spelling here.
 */

export interface ColumnShape {
  name: string;
  /** 'integer' | 'text' | ...: SQLite's declared type, PostgreSQL's type family */
  type: string;
  notNull: boolean;
  /** the default's literal, without PostgreSQL's `::type` cast; null: none */
  default: string | null;
  /** 'binary' (SQLite BINARY, PostgreSQL "C") or 'nocase'; null for non-text columns */
  collation: string | null;
}

export interface IndexShape {
  /** key columns in order; an expression as written, lower case without spaces */
  columns: string[];
  /** collation of each key column ('binary' | 'nocase') */
  collations: string[];
  unique: boolean;
  partial: boolean;
}

export interface ForeignKeyShape {
  columns: string[];
  table: string;
  refColumns: string[];
  onDelete: string;
}

export interface TriggerShape {
  name: string;
  timing: 'BEFORE' | 'AFTER' | 'INSTEAD OF';
  event: 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';
}

export interface TableShape {
  columns: ColumnShape[];
  primaryKey: string[];
  /** UNIQUE constraints (not CREATE UNIQUE INDEX), each as its column list joined by ',' */
  uniqueConstraints: string[];
  /** indexes created by name (CREATE [UNIQUE] INDEX), by name */
  indexes: Record<string, IndexShape>;
  foreignKeys: ForeignKeyShape[];
  /** number of CHECK constraints (NOT NULL is not one) */
  checks: number;
  /** every quoted literal in the CHECK constraints, sorted: the values each IN (...) admits */
  checkLiterals: string[];
  triggers: TriggerShape[];
}

export type SchemaShape = Record<string, TableShape>;

export function normaliseType(declared: string): string {
  const t = declared.toLowerCase();
  if (['integer', 'bigint', 'smallint'].includes(t)) return 'integer';
  if (t === 'text') return 'text';
  return t;
}

export function normaliseExpression(expr: string): string {
  return expr.toLowerCase().replace(/\s+/g, '');
}

/** Quoted SQL literals in order of appearance, unescaped. */
export function quotedLiterals(sql: string): string[] {
  return [...sql.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"));
}

export function byTrigger(a: TriggerShape, b: TriggerShape): number {
  return `${a.name} ${a.event}`.localeCompare(`${b.name} ${b.event}`);
}

export function byForeignKey(a: ForeignKeyShape, b: ForeignKeyShape): number {
  return JSON.stringify(a).localeCompare(JSON.stringify(b));
}
