/**
 * Verification against signed checkpoints, on top of the hash chain. The chain alone cannot show
 * entries removed from the end, or a chain rewritten from some point with fresh, consistent
 * hashes; a checkpoint signed with a key the attacker does not hold can:
 * - truncated: a checkpoint names a seq beyond the end of the log;
 * - rewritten: the entry at a checkpoint's seq has another hash than the one signed;
 * - unsealed-anchor: the chain starts after an archive anchor that no checkpoint signed;
 * - bad-signature: a checkpoint that claims this key but does not verify (planted or damaged).
 */
import type { Queryable } from '../store/database.ts';
import { chainTail, readAnchor } from './audit-anchor.ts';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import { checkpointSignatureValid, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { CheckpointStore } from './audit-checkpoint-store.ts';
import type { ChainBreakKind, VerifyOptions, VerifyResult } from './audit-types.ts';
import { verifyChain } from './audit-verify.ts';

export type CheckpointProblemKind = 'truncated' | 'rewritten' | 'unsealed-anchor' | 'bad-signature' | 'malformed-checkpoint';

export interface VerifyProblem {
  /** The seq the problem is at (null when it concerns no single entry). */
  seq: number | null;
  kind: ChainBreakKind | CheckpointProblemKind;
  message: string;
}

export interface CheckpointVerifyResult {
  ok: boolean;
  chain: VerifyResult;
  checkpoints: {
    found: number;
    /** Signed by this key and matching the log (or behind the archive anchor). */
    verified: number;
    /** Signed by other keys: not checked (see warnings). */
    otherKeys: number;
    latestSeq: number | null;
  };
  /** The problem at the lowest seq, chain breaks and checkpoint contradictions alike. */
  firstProblem?: VerifyProblem;
  problems: VerifyProblem[];
  warnings: string[];
}

export interface CheckpointVerifyDeps {
  db: Pick<Queryable, 'get' | 'all'>;
  key: Pick<CheckpointKey, 'publicKey' | 'keyId'>;
  store: Pick<CheckpointStore, 'readAll'>;
  /** ELEVATE_AUDIT_CHECKPOINT_EVERY: how far the log may run ahead of its latest checkpoint before a warning. */
  every?: number;
}

const MAX_PROBLEMS = 100;

export async function verifyWithCheckpoints(deps: CheckpointVerifyDeps, opts: VerifyOptions = {}): Promise<CheckpointVerifyResult> {
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const add = (p: VerifyProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };

  const { checkpoints, malformed } = await deps.store.readAll();
  for (const m of malformed) add({ seq: null, kind: 'malformed-checkpoint', message: `${m.where}: ${m.message}` });

  const chain = await verifyChain(deps.db, opts);
  if (chain.firstBreak) add({ seq: chain.firstBreak.seq, kind: chain.firstBreak.kind, message: chain.firstBreak.message });

  const mine: SignedCheckpoint[] = [];
  let otherKeys = 0;
  for (const cp of checkpoints) {
    if (cp.keyId !== deps.key.keyId) {
      otherKeys += 1;
      continue;
    }
    if (checkpointSignatureValid(deps.key.publicKey, cp)) mine.push(cp);
    else add({ seq: cp.seq, kind: 'bad-signature', message: `the checkpoint at seq ${cp.seq} (${cp.ts}) does not verify with key ${cp.keyId}: it was forged or damaged` });
  }
  if (otherKeys > 0) warnings.push(`${otherKeys} checkpoint(s) were signed by another key and were not checked`);

  const anchor = await readAnchor(deps.db);
  const tail = await chainTail(deps.db);
  let verified = 0;
  for (const cp of mine) {
    if (anchor && cp.seq < anchor.throughSeq) {
      verified += 1; // behind the anchor: the archive file that holds it carries its own seal
      continue;
    }
    if (anchor && cp.seq === anchor.throughSeq) {
      if (cp.hash === anchor.lastHash) verified += 1;
      else add({ seq: cp.seq, kind: 'rewritten', message: `the archive anchor at seq ${cp.seq} has another hash than the checkpoint signed at ${cp.ts}` });
      continue;
    }
    if (cp.seq > tail.seq) {
      add({ seq: tail.seq + 1, kind: 'truncated', message: `a checkpoint signed at ${cp.ts} covers seq ${cp.seq}, but the log ends at seq ${tail.seq}: entries ${tail.seq + 1}..${cp.seq} were removed` });
      continue;
    }
    const row = await deps.db.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', [cp.seq]);
    if (!row) add({ seq: cp.seq, kind: 'deleted', message: `entry ${cp.seq}, signed in a checkpoint at ${cp.ts}, is missing` });
    else if (row.hash !== cp.hash) add({ seq: cp.seq, kind: 'rewritten', message: `entry ${cp.seq} has another hash than the checkpoint signed at ${cp.ts}: the chain was rewritten` });
    else verified += 1;
  }
  if (anchor && !mine.some((cp) => cp.seq === anchor.throughSeq)) {
    add({ seq: anchor.throughSeq, kind: 'unsealed-anchor', message: `the chain starts after seq ${anchor.throughSeq}, but no signed checkpoint seals that anchor: the entries before it may have been removed without an archive` });
  }

  const latestSeq = mine.length > 0 ? mine[mine.length - 1]!.seq : null;
  const every = deps.every ?? 0;
  const covered = Math.max(latestSeq ?? 0, anchor?.throughSeq ?? 0);
  if (every > 0 && tail.seq - covered > every) {
    warnings.push(`${tail.seq - covered} entries after seq ${covered} are not yet covered by a signed checkpoint`);
  }

  const sorted = [...problems].sort((a, b) => (a.seq ?? -1) - (b.seq ?? -1));
  const result: CheckpointVerifyResult = {
    ok: sorted.length === 0,
    chain,
    checkpoints: { found: checkpoints.length, verified, otherKeys, latestSeq },
    problems: sorted,
    warnings,
  };
  if (sorted[0]) result.firstProblem = sorted[0];
  return result;
}
