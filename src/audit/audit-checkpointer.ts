/**
 * Makes signed checkpoints: every `every` entries (after an append that crosses the mark), on a
 * schedule (each interval in which entries were added, by this or any other process: so every
 * entry is covered by a checkpoint within one interval of its append, the exposure window that
 * `verify --checkpoints` enforces), and on demand. One checkpoint at a time; a checkpoint is never
 * taken twice of the same head, and none when nothing was added. Across instances on one
 * database (only the leader runs the schedule, but any takes on-demand and append-triggered
 * ones) the table's key on seq decides: the first to insert a head's checkpoint has it, and the
 * others adopt that one (audit-checkpoint-store.ts), so one head is signed once.
 */
import type { Logger } from '../observability/logger.ts';
import type { Queryable } from '../store/database.ts';
import { leaderOnly, type SingletonLeases } from '../store/singleton-leases.ts';
import { chainTail } from './audit-anchor.ts';
import type { CheckpointKey } from './audit-checkpoint-key.ts';
import { signCheckpoint, type CheckpointReason, type SignedCheckpoint } from './audit-checkpoint-sign.ts';
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

  async function take(reason: CheckpointReason, at?: { seq: number; hash: string }): Promise<SignedCheckpoint> {
    if (!deps.key.privateKey) throw new CheckpointError(`checkpoint key ${deps.key.path} holds only a public key; it cannot sign`);
    const target = at ?? (await chainTail(deps.db));
    if (target.seq < 1) throw new CheckpointError('the audit log has no entries to checkpoint');
    const latest = await deps.store.latest();
    if (latest && latest.seq === target.seq && latest.hash === target.hash && latest.keyId === deps.key.keyId) return latest;
    const signed = signCheckpoint(deps.key.privateKey, deps.key.keyId, target, clock(), reason);
    // Another instance may have signed this head since `latest`: then its checkpoint is the one.
    const cp = await deps.store.save(signed);
    if (cp.hash !== target.hash) throw new CheckpointError(`seq ${cp.seq} already has a checkpoint of another hash: the chain or the checkpoint table was rewritten`);
    lastSeq = Math.max(lastSeq ?? 0, cp.seq);
    if (cp === signed) deps.logger?.info({ seq: cp.seq, reason }, 'audit checkpoint signed');
    return cp;
  }

  const maybeCheckpoint = () =>
    serially(async () => {
      const head = await chainTail(deps.db);
      if (head.seq - (await knownLastSeq()) < deps.every) return undefined;
      return take('periodic', head);
    });

  const tick = () =>
    serially(async () => {
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
    checkpointNow: (reason = 'on-demand', at) => serially(() => take(reason, at)),
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
