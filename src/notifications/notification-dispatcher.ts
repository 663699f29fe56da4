/**
 * Delivers the outbox, in the background: the only thing here that talks to channels, and never on
 * a decision's or an approval's path (those only write rows). One pass takes the due rows, claims
 * each for one attempt (a lease, see outbox-store.ts) and starts it without waiting: it sends with
 * the channel's per-attempt timeout, audits the attempt, and then marks it delivered, schedules the next attempt (backoff
 * with jitter, or the receiver's Retry-After when longer) or dead-letters it after the last one.
 * A delivery is marked done only once its audit entry is written: with the audit log down it is
 * retried later (a duplicate, never a silent send). Rows pending at start are picked up at once;
 * between wake-ups the dispatcher sleeps until the earliest next attempt (at most `idleMs`).
 */
import { AsyncResource } from 'node:async_hooks';
import type { AuditInput } from '../audit/audit-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { SingletonLeases } from '../store/singleton-leases.ts';
import type { ChannelSender } from './channel-senders.ts';
import type { DeliveryResult } from './delivery-result.ts';
import { deadLetteredEntry, deliveredEntry, failedAttemptEntry } from './notification-audit.ts';
import { summarise } from './notification-summary.ts';
import type { OutboxRow, OutboxStore } from './outbox-store.ts';
import { isExhausted, nextDelayMs, type RetryPolicy } from './retry-schedule.ts';

export interface DispatcherDeps {
  outbox: OutboxStore;
  senders: ReadonlyMap<string, ChannelSender>;
  audit: { append(input: AuditInput): Promise<unknown> };
  retry: RetryPolicy;
  /** the public base URL deep links are built on */
  baseUrl: string;
  clock?: () => Date;
  random?: () => number;
  logger?: Logger | undefined;
  /** the longest sleep between passes when nothing is due (default 30 s) */
  idleMs?: number;
  /** a claimed row is retried after this long if its attempt never finished (default: 2 x the attempt timeout) */
  leaseMs: number;
  /** rows per query (default 50) */
  batchSize?: number;
  /** attempts running at once (default 100) */
  maxInFlight?: number;
  /** Several instances: only the leader delivers; the others check again every `idleMs` (default: this instance). */
  leases?: SingletonLeases | undefined;
}

export interface NotificationDispatcher {
  /** Picks up pending rows now and keeps running until stopped. */
  start(): void;
  /** Something was written (or a transition audited: its held rows become due). Safe to call inside a transaction. */
  wake(requestId?: string): void;
  /** Resolves when the current pass (if any) is done. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function createNotificationDispatcher(deps: DispatcherDeps): NotificationDispatcher {
  const clock = deps.clock ?? (() => new Date());
  const random = deps.random ?? Math.random;
  const idleMs = deps.idleMs ?? 30_000;
  const batchSize = deps.batchSize ?? 50;
  const maxInFlight = deps.maxInFlight ?? 100;
  const inflight = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  const released = new Set<string>();

  /** Claims the row for one attempt now (false: another attempt has it). */
  async function claim(row: OutboxRow): Promise<boolean> {
    const now = clock();
    return deps.outbox.claim(row, now.toISOString(), new Date(now.getTime() + deps.leaseMs).toISOString());
  }

  /** One claimed attempt: send, audit, record the outcome. */
  async function attempt(row: OutboxRow): Promise<void> {
    const attemptNo = row.attempts + 1;
    const sender = deps.senders.get(row.channel);
    if (!sender) {
      // The channel was removed or disabled since the row was written: nothing can deliver it.
      await deps.audit.append(deadLetteredEntry(row, 'unknown', attemptNo, 'channel not configured', 'channel_unavailable'));
      await deps.outbox.markDead(row.id, clock().toISOString(), 'channel not configured');
      return;
    }
    let result: DeliveryResult;
    try {
      result = await sender.send(row.event, summarise(row.event, deps.baseUrl, clock()));
    } catch (err) {
      deps.logger?.warn({ err: err instanceof Error ? err.name : 'error', channel: row.channel }, 'notification sender threw');
      result = { ok: false, error: 'sender error' };
    }
    const at = clock();
    if (result.ok) {
      await deps.audit.append(deliveredEntry(row, sender.type, attemptNo, result.status));
      await deps.outbox.markDelivered(row.id, at.toISOString());
      return;
    }
    if (result.permanent || isExhausted(deps.retry, attemptNo)) {
      await deps.audit.append(failedAttemptEntry(row, sender.type, attemptNo, result, 'never'));
      await deps.audit.append(deadLetteredEntry(row, sender.type, attemptNo, result.error, result.permanent ? 'permanent_failure' : 'attempts_exhausted'));
      await deps.outbox.markDead(row.id, at.toISOString(), result.error);
      deps.logger?.error({ channel: row.channel, eventType: row.eventType, requestId: row.requestId, attempts: attemptNo, error: result.error }, 'notification dead-lettered');
      return;
    }
    const next = new Date(at.getTime() + nextDelayMs(deps.retry, attemptNo, random(), result.retryAfterMs)).toISOString();
    await deps.audit.append(failedAttemptEntry(row, sender.type, attemptNo, result, next));
    await deps.outbox.scheduleRetry(row.id, at.toISOString(), next, result.error);
    deps.logger?.warn({ channel: row.channel, eventType: row.eventType, attempt: attemptNo, error: result.error, nextAttemptAt: next }, 'notification attempt failed; will retry');
  }

  /**
   * Takes every due row (claiming each, so the next query no longer sees it) and starts its
   * attempt without waiting for it: a channel that hangs until its timeout holds back neither the
   * other channels nor the next pass. At most `maxInFlight` attempts run at once.
   */
  /** One pass when this instance is the dispatcher's leader; false (and no pass) elsewhere. */
  async function leadPass(): Promise<boolean> {
    if (!deps.leases) return (await pass(), true);
    return (await deps.leases.runIfLeader('notification-dispatcher', pass)).ran;
  }

  async function pass(): Promise<void> {
    for (const id of [...released]) {
      released.delete(id);
      await deps.outbox.release(id, clock().toISOString());
    }
    while (!stopped) {
      const room = maxInFlight - inflight.size;
      if (room <= 0) break;
      const rows = await deps.outbox.due(clock().toISOString(), Math.min(batchSize, room));
      if (rows.length === 0) break;
      for (const row of rows) {
        if (!(await claim(row))) continue;
        const work: Promise<void> = attempt(row)
          // Audit log or store unavailable: the row keeps its lease and is retried when it runs out.
          .catch((err: unknown) => deps.logger?.error({ err: err instanceof Error ? err.message : String(err), channel: row.channel }, 'notification attempt not recorded; it will be retried'))
          .finally(() => {
            inflight.delete(work);
            // A slot is free, and a retry may now be due sooner than the timer says.
            run();
          });
        inflight.add(work);
      }
    }
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(run, Math.max(0, Math.min(delayMs, idleMs)));
    timer.unref();
  }

  function run(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(timer);
    running = (async () => {
      let leading = true;
      do {
        again = false;
        try {
          leading = await leadPass();
        } catch (err) {
          deps.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'notification dispatch pass failed; retrying on the next tick');
        }
      } while (again && leading && !stopped);
      if (!leading) {
        // Another instance delivers, and hears the same changes (so releases the same holds).
        released.clear();
        schedule(idleMs);
        return;
      }
      const nextAt = await deps.outbox.nextDueAt().catch(() => undefined);
      schedule(nextAt ? Date.parse(nextAt) - clock().getTime() : idleMs);
    })().finally(() => {
      running = undefined;
    });
  }

  // Bound to the context the dispatcher was made in: a wake-up from inside a transaction must not
  // run its pass in that transaction's context (the store refuses calls from there).
  const wakeBound = AsyncResource.bind((requestId?: string) => {
    if (requestId !== undefined) released.add(requestId);
    setImmediate(run);
  });

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      run();
    },
    wake: (requestId) => wakeBound(requestId),
    async idle() {
      await running;
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      // Attempts under way finish (each within its timeout); unclaimed rows wait for the next start.
      while (inflight.size > 0) await Promise.all([...inflight]);
    },
  };
}
