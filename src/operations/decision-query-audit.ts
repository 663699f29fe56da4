/**
 * Audit of decision-only queries (POST /decisions). Each distinct decision is appended, durably,
 * before its answer is released. An agent asking the very same question again and again (same
 * agent, action, scope, run mode, outcome and reason) gets the same answer; within a window
 * those repeats are counted, and the count is appended as one `operation.decided.repeated`
 * entry when the window ends (or at shutdown). So every answer is accounted for without one
 * fsync per identical dry run. What the repeats lose is their free text (justification, trigger
 * reference), and a crash loses at most one window of counts.
 *
 * A window opens for a question seen recently before (recent-sightings.ts), so from its second
 * asking: most distinct questions are asked once, and a window for each held a map slot for the
 * window's minute. A burst of them filled the bounded map, and then every repeat of a polled
 * question went to the log on its own, an fsync each, until the burst's windows ended.
 *
 * Requests (POST /operations), transitions and ARM calls are never collapsed.
 */
import type { AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { AuditSink } from './request-lifecycle.ts';
import { createRecentSightings, type RecentSightings } from './recent-sightings.ts';

import { OPERATION_AUDIT_EVENTS } from './operation-audit.ts';

export const DECISION_REPEATED = OPERATION_AUDIT_EVENTS.decidedRepeated;

export interface DecisionQueryAudit {
  /**
   * Appends `entry` if it opens a window for `key`; otherwise counts it. Rejects if the append
   * fails. A function is called only when the entry is appended: a counted repeat needs none.
   */
  record(key: string, entry: AuditInput | (() => AuditInput)): Promise<void>;
  /** Appends the counts of windows that have ended. */
  flushDue(): Promise<void>;
  flush(): Promise<void>;
  start(intervalMs?: number): void;
  close(): Promise<void>;
  /** windows open now */
  size(): number;
}

interface Window {
  /**
   * What the count is recorded with: the first entry's columns and its decision, no more. A
   * window lives for windowMs, so keeping the whole first entry (the operation, the trigger) and
   * the appended row kept every distinct query's evidence alive for a minute after it was durable,
   * for the collector to copy and promote (issue 18).
   */
  first: AuditInput;
  /** the first entry's append: repeats are answered only once it is durable (then RECORDED) */
  recorded: Promise<unknown>;
  startedAt: number;
  lastAt: number;
  repeats: number;
}

function entryFrom(entryOf: AuditInput | (() => AuditInput)): AuditInput {
  return typeof entryOf === 'function' ? entryOf() : entryOf;
}

/** A first entry once durable: nothing of the appended row is kept. */
const RECORDED: Promise<unknown> = Promise.resolve();

/** What a window keeps of its first entry: the columns and the decision (repeatedEntry). */
function keptForCount(first: AuditInput): AuditInput {
  const details: JsonObject = { decision: (first.details?.decision ?? null) as JsonObject | null };
  return { ...first, details };
}

export function createDecisionQueryAudit(
  audit: AuditSink,
  options: { windowMs?: number; maxKeys?: number; clock?: () => Date; logger?: Logger | undefined; sightings?: Pick<RecentSightings, 'sightText'> } = {},
): DecisionQueryAudit {
  const sightings = options.sightings ?? createRecentSightings();
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const clock = options.clock ?? (() => new Date());
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;

  function repeatedEntry(w: Window): AuditInput {
    const details: JsonObject = {
      count: w.repeats,
      windowStart: new Date(w.startedAt).toISOString(),
      lastAt: new Date(w.lastAt).toISOString(),
      decision: w.first.details?.decision ?? null,
    };
    return { ...w.first, eventType: DECISION_REPEATED, details };
  }

  async function flushWindow(key: string, w: Window): Promise<void> {
    windows.delete(key);
    if (w.repeats === 0) return;
    try {
      await audit.append(repeatedEntry(w));
    } catch (err) {
      // keep the count for the next flush rather than lose it
      const current = windows.get(key);
      if (current) current.repeats += w.repeats;
      else windows.set(key, w);
      throw err;
    }
  }

  async function flushWhere(due: (w: Window) => boolean): Promise<void> {
    let failure: unknown;
    for (const [key, w] of [...windows]) {
      if (due(w)) await flushWindow(key, w).catch((err: unknown) => (failure ??= err));
    }
    if (failure !== undefined) {
      options.logger?.error({ reason: failure instanceof Error ? failure.message : String(failure) }, 'repeated decision counts could not be audited; kept for the next flush');
      throw failure;
    }
  }

  return {
    async record(key, entryOf) {
      const now = clock().getTime();
      let w = windows.get(key);
      if (w && now - w.startedAt >= windowMs) {
        await flushWindow(key, w).catch(() => undefined);
        w = windows.get(key);
      }
      if (w) {
        w.repeats += 1;
        w.lastAt = now;
        await w.recorded;
        return;
      }
      // A question not asked recently opens no window; past the bound, none does either: each
      // such query is appended on its own (never less evidence, only slower).
      if (!sightings.sightText(key) || windows.size >= maxKeys) {
        await audit.append(entryFrom(entryOf));
        return;
      }
      const first = entryFrom(entryOf);
      const recorded = audit.append(first);
      const opened: Window = { first: keptForCount(first), recorded, startedAt: now, lastAt: now, repeats: 0 };
      windows.set(key, opened);
      try {
        await recorded;
        opened.recorded = RECORDED;
      } catch (err) {
        // Not recorded, so no window: repeats that waited on it fail too, and are not counted.
        if (windows.get(key) === opened) windows.delete(key);
        throw err;
      }
    },
    flushDue() {
      const now = clock().getTime();
      return flushWhere((w) => now - w.startedAt >= windowMs);
    },
    flush: () => flushWhere(() => true),
    start(intervalMs = 5_000) {
      if (timer) return;
      timer = setInterval(() => void this.flushDue().catch(() => undefined), intervalMs);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flushWhere(() => true).catch(() => undefined);
    },
    size: () => windows.size,
  };
}
