/**
 * Runs verification for the verify page: the hash chain, and the signed checkpoints when a key
 * is configured. One run at a time (a second request while one runs gets the same promise), and
 * the last report is kept for the page.
 */
import type { Queryable } from '../store/database.ts';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import type { CheckpointStore } from './audit-checkpoint-store.ts';
import { verifyWithCheckpoints, type VerifyProblem } from './audit-checkpoint-verify.ts';
import { verifyChain } from './audit-verify.ts';

export interface VerifyReport {
  ok: boolean;
  startedAt: string;
  durationMs: number;
  entriesChecked: number;
  lastSeq: number;
  lastHash: string;
  firstProblem: VerifyProblem | null;
  /** Present when checkpoints were checked too. */
  checkpoints: { found: number; verified: number; unconfirmed: number; latestSeq: number | null } | null;
  warnings: string[];
}

export interface AuditVerifier {
  run(): Promise<VerifyReport>;
  last(): VerifyReport | undefined;
  readonly checksCheckpoints: boolean;
  /** Calls `listener` with every run that found a problem (notifications); returns the unsubscribe. */
  onFailure?(listener: (report: VerifyReport) => void): () => void;
}

export interface AuditVerifierDeps {
  db: Pick<Queryable, 'get' | 'all'>;
  checkpoints?: { key: Pick<CheckpointKey, 'publicKey' | 'keyId'>; store: Pick<CheckpointStore, 'readAll'>; every: number; intervalSeconds?: number } | undefined;
  clock?: () => Date;
}

export function createAuditVerifier(deps: AuditVerifierDeps): AuditVerifier {
  const clock = deps.clock ?? (() => new Date());
  let running: Promise<VerifyReport> | undefined;
  let last: VerifyReport | undefined;
  const failureListeners = new Set<(report: VerifyReport) => void>();

  async function once(): Promise<VerifyReport> {
    const started = clock();
    const t0 = performance.now();
    let report: Omit<VerifyReport, 'startedAt' | 'durationMs'>;
    if (deps.checkpoints) {
      const r = await verifyWithCheckpoints({ db: deps.db, ...deps.checkpoints, clock });
      report = {
        ok: r.ok,
        entriesChecked: r.chain.entriesChecked,
        lastSeq: r.chain.lastSeq,
        lastHash: r.chain.lastHash,
        firstProblem: r.firstProblem ?? null,
        checkpoints: { found: r.checkpoints.found, verified: r.checkpoints.verified, unconfirmed: r.checkpoints.unconfirmed, latestSeq: r.checkpoints.latestSeq },
        warnings: r.warnings,
      };
    } else {
      const r = await verifyChain(deps.db);
      report = {
        ok: r.ok,
        entriesChecked: r.entriesChecked,
        lastSeq: r.lastSeq,
        lastHash: r.lastHash,
        firstProblem: r.firstBreak ? { seq: r.firstBreak.seq, kind: r.firstBreak.kind, message: r.firstBreak.message } : null,
        checkpoints: null,
        warnings: ['no checkpoint key is configured (ELEVATE_AUDIT_CHECKPOINT_KEY): a truncated tail or a rewritten chain cannot be detected'],
      };
    }
    last = { ...report, startedAt: started.toISOString(), durationMs: Math.round(performance.now() - t0) };
    if (!last.ok) {
      for (const listener of failureListeners) {
        try {
          listener(last);
        } catch {
          // a listener's fault is not the verification's
        }
      }
    }
    return last;
  }

  return {
    run() {
      running ??= once().finally(() => {
        running = undefined;
      });
      return running;
    },
    last: () => last,
    checksCheckpoints: deps.checkpoints !== undefined,
    onFailure(listener) {
      failureListeners.add(listener);
      return () => {
        failureListeners.delete(listener);
      };
    },
  };
}
