/**
 * Verification against signed checkpoints, on top of the hash chain. The chain alone cannot show
 * entries removed from the end, or a chain rewritten from some point with fresh, consistent
 * hashes; a checkpoint signed with a key the attacker does not hold can:
 * - truncated: a checkpoint names a seq beyond the end of the log;
 * - rewritten: the entry at a checkpoint's seq has another hash than the one signed;
 * - unsealed-anchor: the chain starts after an anchor this key did not sign (retention signs the
 *   anchor it sets: audit-anchor-seal.ts). Without it, entries deleted up to any checkpoint with
 *   the anchor moved onto it by hand would pass;
 * - bad-signature: a checkpoint that claims this key but does not verify (planted or damaged);
 * - uncovered: entries older than the exposure window (relative to the log's last entry) that no
 *   checkpoint covers. Checkpoints are written within one interval of an append, so this means
 *   checkpoints were removed from every store read, or none were being taken. It is what stops a
 *   tail cut short of the newest surviving checkpoint from passing: the attacker has to cut back
 *   to a checkpoint no older than the window, and an external store keeps those;
 * - store-unreadable: a configured external store could not be read, so it cannot vouch.
 * A checkpoint only the table holds (its copy outside the database never confirmed: the claimer
 * died or a store refused it) is checked for what it signs, but counts for nothing: not
 * verified, not coverage, not the latest. A warning names it.
 */
import type { Queryable } from '../store/database.ts';
import { chainTail, readAnchor } from './audit-anchor.ts';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import { anchorSealValid, parseAnchorSeal } from './audit-anchor-seal.ts';
import { checkpointSignature, checkpointSignatureValid, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { CheckpointStore } from './audit-checkpoint-store.ts';
import type { AuditAnchor, ChainBreakKind, VerifyOptions, VerifyResult } from './audit-types.ts';
import { verifyChain } from './audit-verify.ts';

export type CheckpointProblemKind = 'truncated' | 'rewritten' | 'unsealed-anchor' | 'bad-signature' | 'malformed-checkpoint' | 'uncovered' | 'store-unreadable';

/** Slack on top of the interval for a tick that runs late or a slow store write. */
export const CHECKPOINT_GRACE_SECONDS = 30;

/** How far behind the log the checkpoints may be, and where they stand. */
export interface CheckpointWindow {
  intervalSeconds: number;
  graceSeconds: number;
  /** intervalSeconds + graceSeconds: an entry older than this (before the last entry) must be covered. */
  windowSeconds: number;
  newestCheckpoint: { seq: number; ts: string; ageSeconds: number } | null;
  lastEntry: { seq: number; ts: string } | null;
  /** The oldest entry no checkpoint (or archive anchor) covers. */
  oldestUncovered: { seq: number; ts: string } | null;
}

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
    /** Only in the table, their copy outside the database not confirmed: not counted (see warnings). */
    unconfirmed: number;
    latestSeq: number | null;
  };
  /** Present when an interval was given (the service's and the CLI's case). */
  window?: CheckpointWindow;
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
  /** ELEVATE_AUDIT_CHECKPOINT_INTERVAL_SECONDS: enables the exposure-window check. */
  intervalSeconds?: number;
  clock?: () => Date;
}

const MAX_PROBLEMS = 100;

export async function verifyWithCheckpoints(deps: CheckpointVerifyDeps, opts: VerifyOptions = {}): Promise<CheckpointVerifyResult> {
  const clock = deps.clock ?? (() => new Date());
  const problems: VerifyProblem[] = [];
  const warnings: string[] = [];
  const add = (p: VerifyProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
  };

  const { checkpoints, unconfirmed, malformed, unreadable } = await deps.store.readAll();
  for (const m of malformed) add({ seq: null, kind: 'malformed-checkpoint', message: `${m.where}: ${m.message}` });
  for (const u of unreadable) add({ seq: null, kind: 'store-unreadable', message: `${u.where} could not be read (${u.message}): the checkpoints it holds cannot be checked` });

  const chain = await verifyChain(deps.db, opts);
  if (chain.firstBreak) add({ seq: chain.firstBreak.seq, kind: chain.firstBreak.kind, message: chain.firstBreak.message });

  const mine: SignedCheckpoint[] = [];
  /** Of `mine`, the archive checkpoints signed before checkpoint reasons were (v1). */
  const legacyArchiveSeals: SignedCheckpoint[] = [];
  let otherKeys = 0;
  for (const cp of checkpoints) {
    if (cp.keyId !== deps.key.keyId) {
      otherKeys += 1;
      continue;
    }
    const signature = checkpointSignature(deps.key.publicKey, cp);
    if (signature !== 'invalid') {
      mine.push(cp);
      if (cp.reason === 'archive' && signature === 'reason-unsigned') legacyArchiveSeals.push(cp);
    } else add({ seq: cp.seq, kind: 'bad-signature', message: `the checkpoint at seq ${cp.seq} (${cp.ts}) does not verify with key ${cp.keyId}: it was forged or damaged` });
  }
  if (otherKeys > 0) warnings.push(`${otherKeys} checkpoint(s) were signed by another key and were not checked`);
  // Unconfirmed rows are still signed statements: one that contradicts the log is evidence.
  const pending: SignedCheckpoint[] = [];
  for (const cp of unconfirmed) {
    if (cp.keyId !== deps.key.keyId) continue;
    if (checkpointSignatureValid(deps.key.publicKey, cp)) pending.push(cp);
    else add({ seq: cp.seq, kind: 'bad-signature', message: `the checkpoint at seq ${cp.seq} (${cp.ts}) does not verify with key ${cp.keyId}: it was forged or damaged` });
  }
  if (unconfirmed.length > 0) {
    const seqs = unconfirmed.map((cp) => cp.seq);
    warnings.push(
      `${unconfirmed.length} checkpoint(s) (seq ${seqs.slice(0, 5).join(', ')}${seqs.length > 5 ? ', …' : ''}) are only in the audit_checkpoints table: their copy outside the database was not confirmed, so they are not counted (the checkpointer finishes the copy on its next run)`,
    );
  }

  const anchor = await readAnchor(deps.db);
  const tail = await chainTail(deps.db);
  /** Whether `cp` agrees with the log; a contradiction is added as a problem. */
  const agrees = async (cp: SignedCheckpoint): Promise<boolean> => {
    if (anchor && cp.seq < anchor.throughSeq) return true; // behind the anchor: the archive file that holds it carries its own seal
    if (anchor && cp.seq === anchor.throughSeq) {
      if (cp.hash === anchor.lastHash) return true;
      add({ seq: cp.seq, kind: 'rewritten', message: `the archive anchor at seq ${cp.seq} has another hash than the checkpoint signed at ${cp.ts}` });
      return false;
    }
    if (cp.seq > tail.seq) {
      add({ seq: tail.seq + 1, kind: 'truncated', message: `a checkpoint signed at ${cp.ts} covers seq ${cp.seq}, but the log ends at seq ${tail.seq}: entries ${tail.seq + 1}..${cp.seq} were removed` });
      return false;
    }
    const row = await deps.db.get<{ hash: string }>('SELECT hash FROM audit_log WHERE seq = ?', [cp.seq]);
    if (!row) add({ seq: cp.seq, kind: 'deleted', message: `entry ${cp.seq}, signed in a checkpoint at ${cp.ts}, is missing` });
    else if (row.hash !== cp.hash) add({ seq: cp.seq, kind: 'rewritten', message: `entry ${cp.seq} has another hash than the checkpoint signed at ${cp.ts}: the chain was rewritten` });
    else return true;
    return false;
  };
  let verified = 0;
  for (const cp of mine) if (await agrees(cp)) verified += 1;
  for (const cp of pending) await agrees(cp);
  if (anchor) {
    const finding = anchorFinding(anchor, deps.key, legacyArchiveSeals, mine);
    if (finding?.problem) add({ seq: anchor.throughSeq, kind: 'unsealed-anchor', message: finding.problem });
    if (finding?.warning) warnings.push(finding.warning);
  }

  const latestSeq = mine.length > 0 ? mine[mine.length - 1]!.seq : null;
  const every = deps.every ?? 0;
  const covered = Math.max(latestSeq ?? 0, anchor?.throughSeq ?? 0);
  if (every > 0 && tail.seq - covered > every) {
    warnings.push(`${tail.seq - covered} entries after seq ${covered} are not yet covered by a signed checkpoint`);
  }

  let window: CheckpointWindow | undefined;
  if (deps.intervalSeconds !== undefined) {
    window = await coverage(deps, mine, covered, anchor?.throughSeq ?? 0);
    const uncovered = window.oldestUncovered;
    if (uncovered && window.lastEntry) {
      // The log kept being written for longer than the window after the newest checkpoint (or, with
      // none, after its first uncovered entry), and the uncovered entries' deadline has passed by
      // the clock too (so entries appended after a quiet spell, still inside their window, pass).
      const reference = window.newestCheckpoint?.ts ?? uncovered.ts;
      const behind = secondsBetween(reference, window.lastEntry.ts);
      const waited = secondsBetween(uncovered.ts, clock().toISOString());
      const newest = window.newestCheckpoint ? `the newest checkpoint (seq ${window.newestCheckpoint.seq}, ${window.newestCheckpoint.ts})` : 'the first uncovered entry';
      if (behind > window.windowSeconds && waited > window.windowSeconds) {
        add({
          seq: uncovered.seq,
          kind: 'uncovered',
          message: `entries ${uncovered.seq}..${window.lastEntry.seq} are not covered by a signed checkpoint: ${newest} is ${Math.round(behind)} s older than the last entry (seq ${window.lastEntry.seq}, ${window.lastEntry.ts}), but the window is ${window.windowSeconds} s. Checkpoints after seq ${covered} were removed from every store read (and entries after them may have been cut off), or none were taken`,
        });
      } else if (waited > window.windowSeconds) {
        warnings.push(`entries ${uncovered.seq}..${window.lastEntry.seq} have waited ${Math.round(waited)} s for a checkpoint (window ${window.windowSeconds} s): is the service running? \`elevate audit checkpoint\` takes one now`);
      }
    }
  }

  const sorted = [...problems].sort((a, b) => (a.seq ?? -1) - (b.seq ?? -1));
  const result: CheckpointVerifyResult = {
    ok: sorted.length === 0,
    chain,
    checkpoints: { found: checkpoints.length, verified, otherKeys, unconfirmed: unconfirmed.length, latestSeq },
    problems: sorted,
    warnings,
  };
  if (window) result.window = window;
  if (sorted[0]) result.firstProblem = sorted[0];
  return result;
}

const secondsBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/**
 * What the anchor's seal says: nothing when this key signed exactly this anchor; a problem when
 * it is unsigned, damaged, another key's or over another anchor; a warning alone for an anchor an
 * older build set (no seal column then) over an archive checkpoint it signed before reasons were.
 */
function anchorFinding(
  anchor: AuditAnchor,
  key: Pick<CheckpointKey, 'publicKey' | 'keyId'>,
  legacyArchiveSeals: SignedCheckpoint[],
  mine: SignedCheckpoint[],
): { problem?: string; warning?: string } | undefined {
  const at = `the chain starts after seq ${anchor.throughSeq}`;
  if (anchor.seal !== null) {
    const seal = parseAnchorSeal(anchor.seal);
    if (!seal) return { problem: `${at}, but the anchor's seal is not one (damaged or planted): the entries before it may have been removed without an archive` };
    if (seal.keyId !== key.keyId) return { problem: `${at}, sealed by key ${seal.keyId}, not ${key.keyId}: verify with that key (\`--key\`)` };
    if (!anchorSealValid(key.publicKey, anchor, seal)) return { problem: `${at}, but the anchor's seal does not verify: the anchor was moved or changed after retention set it` };
    return undefined;
  }
  if (legacyArchiveSeals.some((cp) => cp.seq === anchor.throughSeq && cp.hash === anchor.lastHash)) {
    // Refusing it would fail every log an older build archived; accepting it silently would hide
    // that nothing proves retention set it.
    return { warning: `${at}, set by a build that did not sign anchors; only an archive checkpoint from before checkpoint reasons were signed stands there, so nothing proves retention moved it. \`elevate audit verify --archives\` checks the archive file that should end there` };
  }
  const signedThere = mine.some((cp) => cp.seq === anchor.throughSeq);
  return {
    problem: signedThere
      ? `${at}, but the anchor is not signed: a checkpoint stands there, but retention did not set the anchor on it, so the entries before it were removed without an archive`
      : `${at}, but the anchor is not signed and no signed checkpoint stands there: the entries before it may have been removed without an archive`,
  };
}

async function coverage(deps: CheckpointVerifyDeps, mine: SignedCheckpoint[], covered: number, anchorSeq: number): Promise<CheckpointWindow> {
  const intervalSeconds = deps.intervalSeconds!;
  const now = (deps.clock ?? (() => new Date()))();
  const newest = mine.reduce<SignedCheckpoint | undefined>((a, cp) => (!a || cp.seq > a.seq || (cp.seq === a.seq && cp.ts > a.ts) ? cp : a), undefined);
  const last = await deps.db.get<{ seq: number; ts: string }>('SELECT seq, ts FROM audit_log WHERE seq > ? ORDER BY seq DESC LIMIT 1', [anchorSeq]);
  const firstUncovered = await deps.db.get<{ seq: number; ts: string }>('SELECT seq, ts FROM audit_log WHERE seq > ? ORDER BY seq LIMIT 1', [covered]);
  return {
    intervalSeconds,
    graceSeconds: CHECKPOINT_GRACE_SECONDS,
    windowSeconds: intervalSeconds + CHECKPOINT_GRACE_SECONDS,
    newestCheckpoint: newest ? { seq: newest.seq, ts: newest.ts, ageSeconds: Math.max(0, Math.round(secondsBetween(newest.ts, now.toISOString()))) } : null,
    lastEntry: last ? { seq: last.seq, ts: last.ts } : null,
    oldestUncovered: firstUncovered ? { seq: firstUncovered.seq, ts: firstUncovered.ts } : null,
  };
}
