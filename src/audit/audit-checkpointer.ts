/**
 * Makes signed checkpoints: every `every` entries (after an append that crosses the mark), on a
 * schedule (each interval in which entries were added, by this or any other process: so every
 * entry is covered by a checkpoint within one interval of its append, the exposure window that
 * `verify --checkpoints` enforces), and on demand. One checkpoint at a time; a checkpoint is never
 * taken twice of the same head, and none when nothing was added. Across instances on one
 * database (only the leader runs the schedule, but any takes on-demand and append-triggered
 * ones) the table's key on seq decides: the first to insert a head's checkpoint has it, and the
 * others adopt that one (audit-checkpoint-store.ts), so one head is signed once.
 *
 * A claim whose copy outside the database was never confirmed (its claimer died mid-copy, or a
 * store refused it) is finished by the next run on any instance (the scheduled tick, a checkpoint
 * on demand or after appends) once the claimer's lease has passed: the same checkpoint, copied
 * again to every store (each takes a checkpoint it holds as a no-op), never a new one of that seq.
 */
import type { Logger } from '../observability/logger.ts';
import type { Queryable } from '../store/database.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';
import { chainTail } from './audit-anchor.ts';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import { checkpointSignatureValid, signCheckpoint, type CheckpointReason, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
import type { CheckpointStore } from './audit-checkpoint-store.ts';
import type { AuditLog } from './audit-log.ts';

export interface Checkpointer {
  /** A checkpoint when at least `every` entries were appended since the last one. */
  maybeCheckpoint(): Promise<SignedCheckpoint | undefined>;
  /** A checkpoint of the current head (or of `at`, e.g. the last archived entry); the existing one if the head has one. */
  checkpointNow(reason?: CheckpointReason, at?: { seq: number; hash: string }): Promise<SignedCheckpoint>;
  /** The same audit log, checkpointing in the background when an append crosses the mark. */
  observe(audit: AuditLog): AuditLog;
  /** A checkpoint of the head when entries were added since the last one (the scheduled tick). */
  tick(): Promise<SignedCheckpoint | undefined>;
  /** Ticks every `intervalSeconds` (unref'd timer, or the injected scheduler). */
  start(intervalSeconds: number): void;
  stop(): void;
  readonly store: CheckpointStore;
  readonly key: CheckpointKey;
}

/** Runs `tick` every `ms`; returns how to stop. Injected by tests to drive the schedule by hand. */
export type Scheduler = (ms: number, tick: () => Promise<unknown>) => () => void;

const intervalScheduler: Scheduler = (ms, tick) => {
  const timer = setInterval(() => void tick(), ms);
  timer.unref();
  return () => clearInterval(timer);
};

export interface CheckpointerDeps {
  db: Pick<Queryable, 'get'>;
  key: CheckpointKey;
  store: CheckpointStore;
  every: number;
  clock?: () => Date;
  logger?: Logger;
  scheduler?: Scheduler;
  /** Several instances: only the leader takes the scheduled checkpoints (default: this instance). */
  leases?: SingletonLeases | undefined;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

export function createCheckpointer(deps: CheckpointerDeps): Checkpointer {
  const clock = deps.clock ?? (() => new Date());
  if (!Number.isSafeInteger(deps.every) || deps.every < 1) throw new CheckpointError('checkpoint interval must be a positive whole number of entries');
  let lastSeq: number | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let cancelSchedule: (() => void) | undefined;

  /** Checkpoints are taken one after another, never interleaved. */
  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = running.then(fn, fn);
    running = next.catch(() => undefined);
    return next;
  }

  async function knownLastSeq(): Promise<number> {
    lastSeq ??= (await deps.store.latest())?.seq ?? 0;
    return lastSeq;
  }

  const expired = (claimExpiresAt: string) => !(Date.parse(claimExpiresAt) > clock().getTime());

  /**
   * Copies out a claimed checkpoint and marks it copied. Only one this key signed: a planted or
   * damaged row, or another key's, would otherwise be written into write-once stores for good.
   */
  async function finishCopy(cp: SignedCheckpoint): Promise<void> {
    if (cp.keyId !== deps.key.keyId || !checkpointSignatureValid(deps.key.publicKey, cp)) {
      throw new CheckpointError(`audit_checkpoints row seq ${cp.seq} is not a checkpoint signed by key ${deps.key.keyId}: it is not copied out, and counts for nothing`);
    }
    await deps.store.copyOut(cp);
    deps.logger?.info({ seq: cp.seq }, 'audit checkpoint copy finished');
  }

  /**
   * Finishes the copies of claims whose lease has passed, oldest first, stopping at the first
   * failure (the store is likely down; the next run retries). Failures are logged, not thrown: a
   * claim that cannot be copied counts for nothing, and must not stop new checkpoints too.
   */
  async function settle(): Promise<void> {
    for (const claim of await deps.store.unconfirmed()) {
      if (!expired(claim.claimExpiresAt)) continue; // its claimer is still copying it
      try {
        await finishCopy(claim.checkpoint);
        lastSeq = Math.max(lastSeq ?? 0, claim.checkpoint.seq);
      } catch (err) {
        deps.logger?.error({ seq: claim.checkpoint.seq, reason: (err as Error).message }, 'audit checkpoint copy could not be finished; retrying on the next run');
        if (!(err instanceof CheckpointError)) return;
      }
    }
  }

  async function take(reason: CheckpointReason, at?: { seq: number; hash: string }): Promise<SignedCheckpoint> {
    if (!deps.key.privateKey) throw new CheckpointError(`checkpoint key ${deps.key.path} holds only a public key; it cannot sign`);
    const target = at ?? (await chainTail(deps.db));
    if (target.seq < 1) throw new CheckpointError('the audit log has no entries to checkpoint');
    const signed = signCheckpoint(deps.key.privateKey, deps.key.keyId, target, clock(), reason);
    // Another instance may have signed this head already: then its checkpoint is the one.
    const claim = await deps.store.save(signed);
    const cp = claim.checkpoint;
    if (cp.hash !== target.hash) throw new CheckpointError(`seq ${cp.seq} already has a checkpoint of another hash: the chain or the checkpoint table was rewritten`);
    // Adopted while its claimer's lease runs (it is copying it); after that the claimer died or
    // gave up, and it is not returned as taken until its copy is finished here.
    if (!claim.copied && !claim.won && expired(claim.claimExpiresAt)) await finishCopy(cp);
    lastSeq = Math.max(lastSeq ?? 0, cp.seq);
    if (claim.won) deps.logger?.info({ seq: cp.seq, reason }, 'audit checkpoint signed');
    return cp;
  }

  const maybeCheckpoint = () =>
    serially(async () => {
      const head = await chainTail(deps.db);
      if (head.seq - (await knownLastSeq()) < deps.every) return undefined;
      await settle();
      return take('periodic', head);
    });

  const tick = () =>
    serially(async () => {
      await settle();
      const head = await chainTail(deps.db);
      if (head.seq <= (await knownLastSeq())) return undefined;
      return take('periodic', head);
    });

  const logFailure = (err: unknown) => {
    deps.logger?.error({ reason: (err as Error).message }, 'audit checkpoint failed; retrying on the next tick');
    return undefined;
  };
  const background = () => {
    maybeCheckpoint().catch(logFailure);
  };

  return {
    store: deps.store,
    key: deps.key,
    maybeCheckpoint,
    tick,
    checkpointNow: (reason = 'on-demand', at) =>
      serially(async () => {
        await settle();
        return take(reason, at);
      }),
    observe(audit) {
      return {
        ...audit,
        async append(input) {
          const entry = await audit.append(input);
          if (lastSeq === undefined || entry.seq - lastSeq >= deps.every) background();
          return entry;
        },
      };
    },
    start(intervalSeconds) {
      if (cancelSchedule) return;
      if (!Number.isSafeInteger(intervalSeconds) || intervalSeconds < 1) throw new CheckpointError('checkpoint interval must be a positive whole number of seconds');
      const scheduledTick = leaderOnly(deps.leases, 'audit-checkpointer', tick, undefined);
      cancelSchedule = (deps.scheduler ?? intervalScheduler)(intervalSeconds * 1000, () => scheduledTick().catch(logFailure));
    },
    stop() {
      cancelSchedule?.();
      cancelSchedule = undefined;
    },
  };
}
