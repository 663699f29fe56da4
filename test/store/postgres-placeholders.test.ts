import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toPostgresStatement } from '../../src/store/postgres-placeholders.ts';
import { StoreError } from '../../src/store/store-errors.ts';

describe('toPostgresStatement', () => {
  it('numbers positional ? placeholders in order', () => {
    expect(toPostgresStatement('UPDATE req SET state = ? WHERE id = ? AND state = ?', ['approved', 'r1', 'pending'])).toEqual({
      text: 'UPDATE req SET state = $1 WHERE id = $2 AND state = $3',
      values: ['approved', 'r1', 'pending'],
    });
  });

  it('leaves a statement without placeholders unchanged', () => {
    expect(toPostgresStatement('SELECT 1')).toEqual({ text: 'SELECT 1', values: [] });
  });

  it('binds numbered ?NNN as SQLite does: one value for several places, a bare ? after the highest number', () => {
    expect(toPostgresStatement('SELECT * FROM a WHERE x = ?1 OR y = ?1 LIMIT 1', ['id'])).toEqual({ text: 'SELECT * FROM a WHERE x = $1 OR y = $1 LIMIT 1', values: ['id'] });
    expect(toPostgresStatement('SELECT ?2, ?, ?1', ['a', 'b', 'c'])).toEqual({ text: 'SELECT $2, $3, $1', values: ['a', 'b', 'c'] });
    expect(() => toPostgresStatement('SELECT ?0', ['a'])).toThrow(/\?0/);
    expect(() => toPostgresStatement('SELECT ?3', ['a', 'b', 'c'])).toThrow(new StoreError('SQL uses 1 ? parameters but 3 values were given'));
    expect(() => toPostgresStatement('SELECT ?2', ['a'])).toThrow(/more \? parameters than the 1 given/);
  });

  it('binds named :name, $name and @name, with the prefix in the key, one number per name', () => {
    expect(toPostgresStatement('SELECT :a, $b, @c, :a, x = :a_2', { ':a': 1, $b: 'two', '@c': null, ':a_2': 4 })).toEqual({
      text: 'SELECT $1, $2, $3, $1, x = $4',
      values: [1, 'two', null, 4],
    });
  });

  it('skips string literals, with doubled quotes and E-string backslash escapes', () => {
    expect(toPostgresStatement("SELECT 'it''s ? :x', ?", [1]).text).toBe("SELECT 'it''s ? :x', $1");
    expect(toPostgresStatement("SELECT E'a\\' ? ', ?", [1]).text).toBe("SELECT E'a\\' ? ', $1");
    // a word ending in e before a quote is not an E-string: the backslash is literal
    expect(toPostgresStatement("SELECT some'\\', ?", [1]).text).toBe("SELECT some'\\', $1");
  });

  it('skips quoted identifiers, including doubled quotes', () => {
    expect(toPostgresStatement('SELECT "we""ird ?" FROM "t:x" WHERE a = ?', [1]).text).toBe('SELECT "we""ird ?" FROM "t:x" WHERE a = $1');
  });

  it('skips line comments and nested block comments', () => {
    const sql = 'SELECT ? -- is this ? a :param\n, /* outer /* inner ? */ still ? */ ?';
    expect(toPostgresStatement(sql, [1, 2])).toEqual({ text: 'SELECT $1 -- is this ? a :param\n, /* outer /* inner ? */ still ? */ $2', values: [1, 2] });
    expect(toPostgresStatement('SELECT 1 -- trailing ?', []).text).toBe('SELECT 1 -- trailing ?');
  });

  it('skips dollar-quoted strings, tagged or not', () => {
    expect(toPostgresStatement('SELECT $$ ? :x $$, $fn$ it\'s ? $$ $fn$, ?', [1]).text).toBe('SELECT $$ ? :x $$, $fn$ it\'s ? $$ $fn$, $1');
  });

  it('leaves ::casts and $ inside identifiers alone', () => {
    expect(toPostgresStatement('SELECT ?::text, col$1, a::int FROM t', ['x'])).toEqual({ text: 'SELECT $1::text, col$1, a::int FROM t', values: ['x'] });
    expect(toPostgresStatement('SELECT :v::text', { ':v': 'x' }).text).toBe('SELECT $1::text');
  });

  it('sends booleans as 1/0 and passes other values through', () => {
    const buf = Buffer.from('ab');
    expect(toPostgresStatement('SELECT ?, ?, ?, ?', [true, false, 12n, buf]).values).toEqual([1, 0, 12n, buf]);
  });

  it('never splices a value into the text', () => {
    const hostile = "x'); DROP TABLE t; --";
    expect(toPostgresStatement('INSERT INTO t VALUES (?)', [hostile])).toEqual({ text: 'INSERT INTO t VALUES ($1)', values: [hostile] });
  });

  it('fails closed on a value count that does not match', () => {
    expect(() => toPostgresStatement('SELECT ?, ?', [1])).toThrow(new StoreError('SQL has more ? parameters than the 1 given'));
    expect(() => toPostgresStatement('SELECT ?', [1, 2])).toThrow(new StoreError('SQL uses 1 ? parameters but 2 values were given'));
    expect(() => toPostgresStatement('SELECT :a, :b', { ':a': 1 })).toThrow(new StoreError('no value given for parameter :b'));
    expect(() => toPostgresStatement('SELECT :a', { ':a': 1, ':z': 2 })).toThrow(/parameters :z do not appear/);
    expect(() => toPostgresStatement('SELECT $a', { a: 1 })).toThrow(/no value given for parameter \$a/);
  });

  it('refuses mixed or foreign placeholder styles', () => {
    expect(() => toPostgresStatement('SELECT ?, :a', { ':a': 1 })).toThrow(/positional \? parameter but named/);
    expect(() => toPostgresStatement('SELECT ?, :a', [1])).toThrow(/names parameter :a but positional/);
    expect(() => toPostgresStatement('SELECT $1', [1])).toThrow(/\$n placeholder/);
  });

  it('refuses unterminated literals, identifiers and comments rather than guessing', () => {
    expect(() => toPostgresStatement("SELECT 'abc ?", [1])).toThrow(/unterminated string/);
    expect(() => toPostgresStatement('SELECT "abc ?', [1])).toThrow(/unterminated quoted identifier/);
    expect(() => toPostgresStatement('SELECT /* /* */ ?', [1])).toThrow(/unterminated \/\* comment/);
    expect(() => toPostgresStatement('SELECT $q$ ?', [1])).toThrow(/unterminated dollar-quoted/);
  });

  it('changes nothing but the placeholders, whatever literals, identifiers and comments surround them', () => {
    const tricky = fc.constantFrom('a', ' ', '?', ':x', '$y', '@z', '::', "\\", '-', '*', '/', '$', 'é');
    const body = (exclude: RegExp) => fc.array(tricky, { maxLength: 8 }).map((parts) => parts.join('')).filter((t) => !exclude.test(t));
    const segment = fc.oneof(
      fc.constant({ sql: '?', placeholder: true }),
      body(/'/).map((t) => ({ sql: `'${t}'`, placeholder: false })),
      fc.tuple(body(/'/), body(/'/)).map(([a, b]) => ({ sql: `'${a}''${b}'`, placeholder: false })),
      body(/"/).map((t) => ({ sql: `"${t}"`, placeholder: false })),
      body(/\n/).map((t) => ({ sql: `--${t}\n`, placeholder: false })),
      body(/\/\*|\*\/|\*$|\/$/).map((t) => ({ sql: `/*${t}*/`, placeholder: false })),
      body(/\$\$|\$$/).map((t) => ({ sql: `$$${t}$$`, placeholder: false })),
      fc.constantFrom('SELECT', 'x', '=', ',', '(', ')', 'a::int', 'col$1').map((t) => ({ sql: t, placeholder: false })),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 12 }), (segments) => {
        let n = 0;
        const expected = segments.map((s) => (s.placeholder ? `$${++n}` : s.sql)).join(' ');
        const values = Array.from({ length: n }, (_, i) => `v${i}`);
        expect(toPostgresStatement(segments.map((s) => s.sql).join(' '), values)).toEqual({ text: expected, values });
      }),
    );
  });
});
