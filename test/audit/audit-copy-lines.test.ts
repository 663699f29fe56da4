/**
 * The COPY-text-to-page-lines conversion on its own (no server): exact on every kind of value,
 * and any row it does not recognise becomes an empty line, which stops the pre-check there. What
 * the real server sends is checked against it in audit-verify-postgres.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { COPY_PAGE_COLUMNS, copyPageSelect, copyRowsToPageLines } from '../../src/audit/audit-copy-lines.ts';
import { canonicalContent, computeEntryHash, GENESIS_HASH, type AuditRow } from '../../src/audit/audit-hash.ts';
import { prepareEntry } from '../../src/audit/audit-input.ts';
import { sampleInput } from './audit-fixtures.ts';

/** COPY's text format as the PostgreSQL docs state it for COPY TO ("Text Format"). */
function copyValue(v: string | number | null): string {
  if (v === null) return '\\N';
  const escapes: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f', '\v': '\\v' };
  return String(v).replace(/[\\\n\r\t\b\f\v]/g, (c) => escapes[c]!);
}

function row(i: number, overrides: Partial<AuditRow> = {}): AuditRow {
  const content = { ...prepareEntry(sampleInput(i)), seq: i + 1, ts: `2026-12-06T00:00:0${i}.000Z`, ...overrides };
  const prev_hash = overrides.prev_hash ?? GENESIS_HASH;
  return { ...content, prev_hash, hash: overrides.hash ?? computeEntryHash(prev_hash, content) } as AuditRow;
}

const copyLine = (r: AuditRow) => COPY_PAGE_COLUMNS.map((c) => copyValue(r[c])).join('\t');
const copyText = (lines: string[]) => Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
const expectedLine = (r: AuditRow) => `${r.seq} ${r.hash}${r.prev_hash}${canonicalContent(r)}`;

describe('COPY text to page lines', () => {
  it('gives the canonical text of every value: quotes, backslashes, every control character, non-ASCII, NULL and empty', () => {
    const controls = Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)).join('').replace('\u0000', '');
    const rows = [
      row(0),
      row(1, { subject: `${controls}\u007f quote" back\\ \\N \\\\N é 😀 \u2028 \u202e`, actor_name: null, scope: '' }),
      row(2, { details: JSON.stringify({ note: 'line\nbreak\t"quoted"', nul: '\u0000' }), approver_id: null, agent_id: '\\' }),
    ];
    const page = copyRowsToPageLines(copyText(rows.map(copyLine)));
    expect(page.n).toBe(3);
    expect(page.body.toString('utf8')).toBe(rows.map(expectedLine).join('\n'));
  });

  it('turns a row it does not recognise into an empty line, and keeps the rows around it', () => {
    const good = row(0);
    const fields = COPY_PAGE_COLUMNS.map((c) => copyValue(good[c]));
    const withField = (k: number, v: string) => fields.map((f, j) => (j === k ? v : f)).join('\t');
    const subjectKey = COPY_PAGE_COLUMNS.indexOf('subject');
    const odd = [
      fields.slice(0, -1).join('\t'), // a column missing
      `${fields.join('\t')}\textra`, // one too many
      withField(0, '12a'), // seq not digits
      withField(0, ''), // seq empty
      withField(0, '1234567890123456'), // seq too long to be exact
      withField(1, good.hash.slice(1)), // hash short
      withField(2, `${good.prev_hash}0`), // prev_hash long
      withField(subjectKey, 'a\\101b'), // an octal escape: COPY TO never writes one
      withField(subjectKey, 'a\\x41b'), // nor a hex one
      withField(subjectKey, 'trailing\\'), // a lone backslash at the end
      withField(COPY_PAGE_COLUMNS.indexOf('seq', 3), '\\N'), // content seq NULL
      '', // an empty row
    ];
    const page = copyRowsToPageLines(copyText([copyLine(good), ...odd, copyLine(good)]));
    expect(page.n).toBe(odd.length + 2);
    const lines = page.body.toString('utf8').split('\n');
    expect(lines).toEqual([expectedLine(good), ...odd.map(() => ''), expectedLine(good)]);
  });

  it('reads an empty page as no rows', () => {
    expect(copyRowsToPageLines(Buffer.alloc(0))).toMatchObject({ n: 0 });
  });

  it('builds its SELECT from integers only', () => {
    expect(copyPageSelect(0, 5000)).toMatch(/WHERE seq > 0 AND seq <= 5000 ORDER BY seq$/);
    expect(() => copyPageSelect(0, '1; DROP TABLE audit_log' as unknown as number)).toThrow(RangeError);
    expect(() => copyPageSelect(0.5, 1)).toThrow(RangeError);
  });
});
