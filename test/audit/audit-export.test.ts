import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvCell } from '../../src/audit/audit-csv.ts';
import { writeAuditExport, type ExportTrailer } from '../../src/audit/audit-export.ts';
import { canonicalDetails, computeEntryHash } from '../../src/audit/audit-hash.ts';
import { createAuditQuery, type AuditQuery } from '../../src/audit/audit-query.ts';
import type { AuditSearch } from '../../src/audit/audit-search.ts';
import type { AuditEntry } from '../../src/audit/audit-types.ts';
import type { Database } from '../../src/store/database.ts';
import { generatedLog } from './audit-search-fixtures.ts';

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error) => void): void {
    this.text += chunk.toString('utf8');
    cb();
  }
}

async function pagesOf(query: AuditQuery, search: AuditSearch, order: 'asc' | 'desc'): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let cursor: string | undefined;
  do {
    const page = await query.page(search, { order, limit: 77, ...(cursor ? { cursor } : {}) });
    out.push(...page.entries);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** A CSV parser good enough for RFC 4180 output (quoted cells, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let cell = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(cell);
      cell = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(cell);
      records.push(record);
      record = [];
      cell = '';
      i++;
    } else cell += ch;
  }
  return records;
}

describe('audit export', () => {
  let log: { db: Database; entries: AuditEntry[] };
  let query: AuditQuery;
  beforeAll(async () => {
    log = await generatedLog(1200, 21);
    query = createAuditQuery(log.db);
  });
  afterAll(() => log.db.close());

  it('exports a filtered view as JSON Lines equal to the API pages concatenated, with a trailer naming the last entry', async () => {
    for (const order of ['desc', 'asc'] as const) {
      for (const search of [{}, { agentId: 'a2' }, { scopePrefix: '/subscriptions/s1/resourcegroups/rg1', eventType: 'arm.request' }]) {
        const sink = new Sink();
        const trailer = await writeAuditExport(query, search, sink, { format: 'jsonl', order });
        const lines = sink.text.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry | { trailer: ExportTrailer });
        const entries = lines.slice(0, -1) as AuditEntry[];
        const expected = await pagesOf(query, search, order);
        expect(entries).toEqual(expected);
        const last = lines[lines.length - 1] as { trailer: ExportTrailer };
        expect(last.trailer).toEqual(trailer);
        expect(trailer).toMatchObject({ entries: expected.length, order, lastSeq: expected.at(-1)?.seq ?? null, lastHash: expected.at(-1)?.hash ?? null, search });
        // The trailer's hash is the chain's hash for that seq.
        if (trailer.lastSeq !== null) expect((await query.entry(trailer.lastSeq))!.hash).toBe(trailer.lastHash);
      }
    }
  });

  it('exports lines whose hashes can be recomputed from the file alone', async () => {
    const sink = new Sink();
    await writeAuditExport(query, {}, sink, { format: 'jsonl', order: 'asc' });
    const entries = sink.text.trimEnd().split('\n').slice(0, -1).map((l) => JSON.parse(l) as AuditEntry);
    let prev = '0'.repeat(64);
    for (const e of entries) {
      const row = {
        seq: e.seq, ts: e.ts, actor_kind: e.actor.kind, actor_id: e.actor.id, actor_name: e.actor.name, event_type: e.eventType, subject: e.subject,
        agent_id: e.agentId, request_id: e.requestId, action: e.action, scope: e.scope, outcome: e.outcome, acting_identity: e.actingIdentity,
        approver_id: e.approverId, details: canonicalDetails(e.details),
      };
      expect(e.prevHash).toBe(prev);
      expect(computeEntryHash(e.prevHash, row)).toBe(e.hash);
      prev = e.hash;
    }
    expect(entries).toHaveLength(1200);
  });

  it('exports CSV with formula cells neutralised, quoting, and the last hash in a trailer record', async () => {
    const sink = new Sink();
    const trailer = await writeAuditExport(query, { agentId: 'a1' }, sink, { format: 'csv' });
    const records = parseCsv(sink.text);
    const expected = await pagesOf(query, { agentId: 'a1' }, 'desc');
    expect(records[0]).toEqual(['seq', 'ts', 'actor_kind', 'actor_id', 'actor_name', 'event_type', 'subject', 'agent_id', 'request_id', 'action', 'scope', 'outcome', 'acting_identity', 'approver_id', 'details', 'prev_hash', 'hash']);
    expect(records.slice(1, -1).map((r) => Number(r[0]))).toEqual(expected.map((e) => e.seq));
    expect(records.every((r) => r.length === 17)).toBe(true);
    const hostile = records.find((r) => r[6]?.includes('calc'));
    expect(hostile?.[6]).toBe("'=cmd|' /C calc'!A0");
    const trailerRecord = records[records.length - 1]!;
    expect(trailerRecord[0]).toBe('trailer');
    expect(trailerRecord[5]).toBe('export.trailer');
    expect(trailerRecord[16]).toBe(trailer.lastHash);
    expect(JSON.parse(trailerRecord[14]!)).toMatchObject({ entries: expected.length, lastSeq: expected.at(-1)!.seq });
  });

  it('neutralises every formula prefix and quotes separators', () => {
    expect(csvCell('=1+1')).toBe("'=1+1");
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\t=1')).toBe("'\t=1");
    expect(csvCell(' =1')).toBe("' =1");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell('plain')).toBe('plain');
  });

  it('writes an empty export as just its trailer', async () => {
    const sink = new Sink();
    const trailer = await writeAuditExport(query, { agentId: 'nobody' }, sink, { format: 'jsonl' });
    expect(trailer).toMatchObject({ entries: 0, lastSeq: null, lastHash: null });
    expect(sink.text.trim().split('\n')).toHaveLength(1);
  });

  it('pulls entries only as fast as the destination drains, and stops pulling when it goes away', async () => {
    let pulled = 0;
    let closed = false;
    const entry = (await query.entry(1))!;
    const endless: Pick<AuditQuery, 'stream'> = {
      async *stream() {
        try {
          for (let i = 1; ; i++) {
            pulled += 1;
            yield { ...entry, seq: i };
          }
        } finally {
          closed = true;
        }
      },
    };
    let release: (() => void) | undefined;
    const stalled = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        release = cb;
      },
    });
    const done = writeAuditExport(endless, {}, stalled, { format: 'jsonl' }).catch((err: unknown) => err);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // One chunk (~64 KiB) in the writable, one in the readable buffer: a few hundred entries, not millions.
    expect(pulled).toBeLessThan(2000);
    const held = pulled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pulled).toBe(held);
    stalled.destroy(new Error('client went away'));
    release?.();
    expect(await done).toBeInstanceOf(Error);
    expect(closed).toBe(true);
  });
});
