/**
 * The pre-check's page lines (audit-verify-ranges.ts: `seq ' ' hash prev_hash content-JSON`,
 * newline-separated) made from a PostgreSQL `COPY ... TO STDOUT` of the audit rows, in Node.
 *
 * Why: building the canonical JSON on the server (a to_json() per column, bench/RESULTS.md,
 * 2026-12-05) costs about 18 µs of server CPU per entry, and 1M entries then need ~9 s on two
 * cores. COPY sends the columns as text with next to no server work, and the text is already
 * almost JSON: its escapes for backslash, \b \f \n \r \t are JSON's own. So each value is turned
 * into its JSON string byte by byte, without ever becoming a JS string.
 *
 * COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html, "Text Format"):
 * columns separated by a tab, rows ended by a newline, NULL written `\N`; backslash, newline,
 * carriage return and tab inside a value are written `\\`, `\n`, `\r`, `\t`, and COPY TO also
 * writes \b \f \v that way ("COPY TO will never emit an octal or hex-digits backslash sequence");
 * every other byte, other control characters included, is sent as it is.
 *
 * JSON, as JSON.stringify and RFC 8785 write it (https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.2):
 * `"` and backslash escaped, \b \f \n \r \t by their short escapes, any other control character
 * as \u00xx in lower-case hex, every other character as it is.
 *
 * A row that does not have exactly this shape becomes an empty line, which stops the pre-check
 * there: the authoritative walk judges it. The conversion is exact, so equal bytes mean equal
 * content, and acceptance stays as sound as the server-built page's.
 */
import { CONTENT_COLUMNS } from './audit-hash.ts';

/** The columns a page's COPY selects, in this order: seq, hash, prev_hash, then the content by key. */
export const COPY_PAGE_COLUMNS = ['seq', 'hash', 'prev_hash', ...[...CONTENT_COLUMNS].sort()] as const;

const CONTENT_KEYS = COPY_PAGE_COLUMNS.slice(3);
/** `{"key":` and `,"key":` as bytes, one per content column, in key order. */
const KEY_PREFIXES = CONTENT_KEYS.map((key, i) => Buffer.from(`${i === 0 ? '{' : ','}"${key}":`, 'latin1'));
const SEQ_KEY = CONTENT_KEYS.indexOf('seq');

const TAB = 0x09;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';
const NULL_BYTES = Buffer.from('null', 'latin1');
/** 1 for a byte a JSON string holds as it is (not a control character, quote or backslash). */
const PLAIN = Uint8Array.from({ length: 256 }, (_, c) => (c >= SPACE && c !== QUOTE && c !== BACKSLASH ? 1 : 0));

/** What a backslash escape of COPY's text format becomes in JSON; absent: not one COPY TO writes. */
const ESCAPES = new Map<number, Buffer>([
  [BACKSLASH, Buffer.from('\\\\', 'latin1')],
  ['n'.charCodeAt(0), Buffer.from('\\n', 'latin1')],
  ['r'.charCodeAt(0), Buffer.from('\\r', 'latin1')],
  ['t'.charCodeAt(0), Buffer.from('\\t', 'latin1')],
  ['b'.charCodeAt(0), Buffer.from('\\b', 'latin1')],
  ['f'.charCodeAt(0), Buffer.from('\\f', 'latin1')],
  ['v'.charCodeAt(0), Buffer.from('\\u000b', 'latin1')],
]);
const ESCAPE_TABLE: Array<Buffer | undefined> = Array.from({ length: 256 }, (_, c) => ESCAPES.get(c));

/** A growable output buffer; one per page. */
class Out {
  buf: Buffer;
  at = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, size));
  }
  room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(bigger, 0, 0, this.at);
    this.buf = bigger;
  }
}

/** The most a row's line can exceed its COPY text by: the keys, and 6 bytes per input byte (\u00xx). */
const KEYS_BYTES = KEY_PREFIXES.reduce((n, k) => n + k.length, 0) + 2 * CONTENT_KEYS.length + 8;

/**
 * Appends the page line of the COPY row in bytes [from, to) of `src` to `out` (no newline); false
 * when the row is not of the expected shape (the caller then leaves an empty line).
 *
 * One pass over the row's bytes with plain indexed reads and writes: a native call per value
 * (indexOf, copy) costs more than the loop on rows of a few hundred bytes.
 */
function pageLine(src: Buffer, from: number, to: number, out: Out): boolean {
  out.room((to - from) * 6 + KEYS_BYTES);
  const buf = out.buf;
  let o = out.at;
  let i = from;

  // seq, a space, hash and prev_hash (64 bytes each; the scan checks their hex)
  const seqFrom = i;
  while (i < to && src[i] !== TAB) {
    const c = src[i++]!;
    if (c < 0x30 || c > 0x39) return false;
    buf[o++] = c;
  }
  if (i === seqFrom || i - seqFrom > 15 || i >= to) return false;
  i++;
  buf[o++] = SPACE;
  for (let h = 0; h < 2; h++) {
    if (i + 64 >= to || src[i + 64] !== TAB) return false;
    for (const stop = i + 64; i < stop; ) buf[o++] = src[i++]!;
    i++;
  }

  for (let k = 0; k < CONTENT_KEYS.length; k++) {
    if (k > 0) {
      if (i >= to || src[i] !== TAB) return false;
      i++;
    }
    const prefix = KEY_PREFIXES[k]!;
    for (let p = 0; p < prefix.length; p++) buf[o++] = prefix[p]!;
    if (k === SEQ_KEY) {
      const digitsFrom = i;
      while (i < to && src[i] !== TAB) {
        const c = src[i++]!;
        if (c < 0x30 || c > 0x39) return false;
        buf[o++] = c;
      }
      if (i === digitsFrom || i - digitsFrom > 15) return false;
      continue;
    }
    // \N, the whole value, is NULL (a backslash inside a value is always written \\)
    if (src[i] === BACKSLASH && src[i + 1] === 0x4e && (i + 2 === to || src[i + 2] === TAB)) {
      for (let p = 0; p < NULL_BYTES.length; p++) buf[o++] = NULL_BYTES[p]!;
      i += 2;
      continue;
    }
    buf[o++] = QUOTE;
    while (i < to) {
      const c = src[i]!;
      // One test for the common byte: everything but controls, quote and backslash is copied.
      if (PLAIN[c] === 1) {
        buf[o++] = c;
        i++;
        continue;
      }
      if (c === TAB) break;
      i++;
      if (c === BACKSLASH) {
        const escaped = i < to ? ESCAPE_TABLE[src[i++]!] : undefined;
        if (escaped === undefined) return false;
        for (let p = 0; p < escaped.length; p++) buf[o++] = escaped[p]!;
      } else if (c === QUOTE) {
        buf[o++] = BACKSLASH;
        buf[o++] = QUOTE;
      } else if (c < SPACE) {
        buf[o++] = BACKSLASH;
        buf[o++] = 0x75; // u
        buf[o++] = 0x30;
        buf[o++] = 0x30;
        buf[o++] = HEX.charCodeAt(c >> 4);
        buf[o++] = HEX.charCodeAt(c & 15);
      }
    }
    buf[o++] = QUOTE;
  }
  if (i !== to) return false;
  buf[o++] = 0x7d; // }
  out.at = o;
  return true;
}

/**
 * The page of `copy`, the whole output of one COPY of COPY_PAGE_COLUMNS: `n` rows, `body` their
 * lines joined by newlines (an empty line for a row of an unexpected shape), as the pre-check's
 * scan reads them.
 */
export function copyRowsToPageLines(copy: Buffer): { n: number; body: Buffer } {
  const out = new Out(copy.length + (copy.length >> 1));
  let n = 0;
  for (let from = 0; from < copy.length; ) {
    let to = copy.indexOf(NEWLINE, from);
    if (to === -1) to = copy.length;
    if (n > 0) {
      out.room(1);
      out.buf[out.at++] = NEWLINE;
    }
    // A row that does not fit leaves nothing: out.at only moves on success.
    pageLine(copy, from, to, out);
    n += 1;
    from = to + 1;
  }
  return { n, body: out.buf.subarray(0, out.at) };
}

/** The SELECT a page's COPY runs, keys (lo, hi]: integers only, since COPY takes no parameters. */
export function copyPageSelect(lo: number, hi: number): string {
  if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw new RangeError('page bounds must be safe integers');
  return `SELECT ${COPY_PAGE_COLUMNS.join(', ')} FROM audit_log WHERE seq > ${lo} AND seq <= ${hi} ORDER BY seq`;
}
