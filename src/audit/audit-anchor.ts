import type { Queryable } from '../store/database.ts';
import { GENESIS_HASH, isHashHex } from './audit-hash.ts';
import type { AuditAnchor } from './audit-types.ts';

interface AnchorRow {
  through_seq: number;
  last_hash: string;
  set_at: string;
  archive_ref: string | null;
  seal: string | null;
}

export async function readAnchor(q: Pick<Queryable, 'get'>): Promise<AuditAnchor | undefined> {
  const row = await q.get<AnchorRow>('SELECT through_seq, last_hash, set_at, archive_ref, seal FROM audit_anchor WHERE id = 1');
  return row && { throughSeq: row.through_seq, lastHash: row.last_hash, setAt: row.set_at, archiveRef: row.archive_ref, seal: row.seal };
}

/** The seq and hash the chain starts after: the anchor's, or 0 and 64 zeros at genesis. */
export async function chainStart(q: Pick<Queryable, 'get'>): Promise<{ seq: number; hash: string }> {
  // Only what appends need: every append reads it, and the seal is verification's business.
  const anchor = await q.get<Pick<AnchorRow, 'through_seq' | 'last_hash'>>('SELECT through_seq, last_hash FROM audit_anchor WHERE id = 1');
  return anchor ? { seq: anchor.through_seq, hash: anchor.last_hash } : { seq: 0, hash: GENESIS_HASH };
}

/** The last entry's seq and hash: where the next append links. Call inside the write transaction. */
export async function chainTail(q: Pick<Queryable, 'get'>): Promise<{ seq: number; hash: string }> {
  const last = await q.get<{ seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const start = await chainStart(q);
  return last && last.seq > start.seq ? last : start;
}

/**
 * Moves the chain's start to after entry `throughSeq` (which must exist), so entries up to it
 * may then be deleted once archived. For retention (issue 7): set the anchor, then delete, in
 * one transaction. A fresh database may also be anchored to an archived chain's last hash
 * before its first append; `lastHash` is then required.
 */
export async function setAnchor(
  tx: Queryable,
  anchor: { throughSeq: number; lastHash?: string; archiveRef?: string | null },
  now: Date,
  /** retention's signature over the anchor (audit-anchor-seal.ts); an anchor without one fails verification */
  seal?: string,
): Promise<AuditAnchor> {
  const lastHash =
    anchor.lastHash ??
    (await tx.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', [anchor.throughSeq]))?.hash;
  if (lastHash === undefined) throw new Error(`no audit entry ${anchor.throughSeq} to anchor the chain to`);
  if (!isHashHex(lastHash)) throw new Error('anchor lastHash must be 64 lower-case hex characters');
  const values = [anchor.throughSeq, lastHash, now.toISOString(), anchor.archiveRef ?? null, seal ?? null];
  // UPDATE first: an upsert would also fire the insert trigger, whose check is for a first anchor.
  const updated = await tx.run('UPDATE audit_anchor SET through_seq = ?, last_hash = ?, set_at = ?, archive_ref = ?, seal = ? WHERE id = 1', values);
  if (updated.changes === 0) {
    await tx.run('INSERT INTO audit_anchor (id, through_seq, last_hash, set_at, archive_ref, seal) VALUES (1, ?, ?, ?, ?, ?)', values);
  }
  return { throughSeq: anchor.throughSeq, lastHash, setAt: now.toISOString(), archiveRef: anchor.archiveRef ?? null, seal: seal ?? null };
}
