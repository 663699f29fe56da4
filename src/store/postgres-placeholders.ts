import type { SqlParams, SqlValue } from './sqlite-connection.ts';
import { StoreError } from './store-errors.ts';

/** A statement in PostgreSQL's own placeholder style (`$1`, `$2`, ...) with its values in order. */
export interface PostgresStatement {
  text: string;
  values: PostgresValue[];
}

export type PostgresValue = string | number | bigint | null | Buffer | Uint8Array;

/**
 * Rewrites the port's placeholders (SQLite's: `?` positional; `:name`, `$name`, `@name` named, the
 * object's keys carrying the prefix as node-sqlite3 wants them) into `$n`, leaving string literals
 * (`'…'`, `E'…'`, `$tag$…$tag$`), quoted identifiers and comments untouched, so the text the
 * caller wrote as data never becomes a parameter and no value is ever spliced into the SQL.
 *
 * `?NNN` is the NNN-th positional value, as in SQLite. Fails closed where SQLite would guess: a
 * missing value (SQLite binds NULL), positional and named placeholders mixed in one statement, and
 * PostgreSQL's own `$1` (one style per port).
 * Known clashes with PostgreSQL syntax, all unused by Elevate: the jsonb operators `?`, `?|`, `?&`
 * (write `jsonb_exists(…)`), `:name` inside an array slice (`a[1:n]`; write `a[1 : n]`), and `@name`
 * read as a parameter where PostgreSQL would read the `@` (absolute value) operator.
 *
 * Booleans are sent as 1/0, as node-sqlite3 stores them: PostgreSQL reads an untyped '1' as a valid
 * integer and a valid boolean, so a schema may use either for a flag.
 */
export function toPostgresStatement(sql: string, params: SqlParams = []): PostgresStatement {
  const named = !Array.isArray(params);
  const positional: readonly SqlValue[] = named ? [] : (params as readonly SqlValue[]);
  const byName = named ? (params as Readonly<Record<string, SqlValue>>) : {};
  const indexOfName = new Map<string, number>();
  const values: PostgresValue[] = [];
  let highestPositional = 0;
  const usedPositional = new Set<number>();
  let out = '';
  let copiedUpTo = 0;

  const replace = (start: number, end: number, placeholder: string) => {
    out += sql.slice(copiedUpTo, start) + placeholder;
    copiedUpTo = end;
  };

  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === "'") {
      i = skipQuoted(sql, i, "'", isEscapeStringPrefix(sql, i));
    } else if (c === '"') {
      i = skipQuoted(sql, i, '"', false);
    } else if (c === '-' && next === '-') {
      const eol = sql.indexOf('\n', i);
      i = eol === -1 ? sql.length : eol + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(sql, i);
    } else if (c === '$' && isIdentifierChar(sql[i - 1])) {
      i += 1; // PostgreSQL identifiers may contain `$` after their first character
    } else if (c === '$' && dollarQuoteTag(sql, i) !== undefined) {
      i = skipDollarQuoted(sql, i, dollarQuoteTag(sql, i)!);
    } else if (c === '$' && next !== undefined && /[0-9]/.test(next)) {
      throw new StoreError('SQL uses a PostgreSQL $n placeholder: write ? or a named parameter instead');
    } else if (c === ':' && next === ':') {
      i += 2; // a `::type` cast
    } else if ((c === ':' || c === '$' || (c === '@' && !isIdentifierChar(sql[i - 1]))) && isIdentifierStart(next)) {
      let end = i + 1;
      while (end < sql.length && isIdentifierChar(sql[end]) && sql[end] !== '$') end++;
      const name = sql.slice(i, end);
      if (!named) throw new StoreError(`SQL names parameter ${name} but positional parameters were given`);
      let index = indexOfName.get(name);
      if (index === undefined) {
        if (!Object.hasOwn(byName, name)) throw new StoreError(`no value given for parameter ${name}`);
        values.push(toPostgresValue(byName[name]!));
        index = values.length;
        indexOfName.set(name, index);
      }
      replace(i, end, `$${index}`);
      i = end;
    } else if (c === '?') {
      if (named) throw new StoreError('SQL has a positional ? parameter but named parameters were given');
      let end = i + 1;
      while (end < sql.length && /[0-9]/.test(sql[end]!)) end++;
      // SQLite: `?NNN` is the NNN-th value (one value may serve several places); a bare `?` is the
      // one after the highest number used so far.
      const index = end > i + 1 ? Number(sql.slice(i + 1, end)) : highestPositional + 1;
      if (index < 1) throw new StoreError('SQL has a ?0 parameter: numbered parameters start at ?1');
      if (index > positional.length) throw new StoreError(`SQL has more ? parameters than the ${positional.length} given`);
      highestPositional = Math.max(highestPositional, index);
      usedPositional.add(index);
      replace(i, end, `$${index}`);
      i = end;
    } else {
      i += 1;
    }
  }
  if (!named) {
    if (usedPositional.size !== positional.length) {
      throw new StoreError(`SQL uses ${usedPositional.size} ? parameters but ${positional.length} values were given`);
    }
    values.push(...positional.map(toPostgresValue));
  }
  if (named) {
    const unused = Object.keys(byName).filter((k) => !indexOfName.has(k));
    if (unused.length > 0) {
      throw new StoreError(`parameters ${unused.join(', ')} do not appear in the SQL (named keys carry their prefix: { $id: … } for $id)`);
    }
  }
  return { text: out + sql.slice(copiedUpTo), values };
}

function toPostgresValue(v: SqlValue): PostgresValue {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined) return null; // a hole in a caller's array: SQLite binds NULL too
  return v;
}

function isIdentifierStart(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z_\u0080-\uffff]/.test(c);
}

function isIdentifierChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);
}

/** `E'…'` (or `e'…'`) is a string with C-style backslash escapes, unless the E ends a longer word. */
function isEscapeStringPrefix(sql: string, quote: number): boolean {
  const prev = sql[quote - 1];
  return (prev === 'E' || prev === 'e') && !isIdentifierChar(sql[quote - 2]);
}

/** Index just past the closing quote; a doubled quote is an escaped one. */
function skipQuoted(sql: string, open: number, quote: "'" | '"', backslashEscapes: boolean): number {
  let i = open + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (sql[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i += 1;
    }
  }
  throw new StoreError(quote === "'" ? 'SQL has an unterminated string literal' : 'SQL has an unterminated quoted identifier');
}

/** PostgreSQL block comments nest. */
function skipBlockComment(sql: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < sql.length) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i += 2;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  throw new StoreError('SQL has an unterminated /* comment');
}

const DOLLAR_TAG = /\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/** The `$tag$` opening a dollar-quoted string at `i`, if one does. */
function dollarQuoteTag(sql: string, i: number): string | undefined {
  DOLLAR_TAG.lastIndex = i;
  return DOLLAR_TAG.exec(sql)?.[0];
}

function skipDollarQuoted(sql: string, open: number, tag: string): number {
  const close = sql.indexOf(tag, open + tag.length);
  if (close === -1) throw new StoreError('SQL has an unterminated dollar-quoted string');
  return close + tag.length;
}
