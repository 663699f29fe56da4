/**
 * Refusals (401/403, refused sign-ins, guardrail hits) are evidence too, but a flood of them
 * must not drown the log. Per identity and reason: the first refusal is appended at once; the
 * repeats within the next minute are only counted, and flushed as one `refusal.repeated` entry
 * with the count when the minute is over (or at shutdown).
 */
import type { Logger } from '../observability/logger.ts';
import type { AuditInput, JsonObject } from './audit-types.ts';

export const REFUSAL_REPEATED = 'refusal.repeated';

export interface RefusalRecorder {
  /**
   * Records one refusal by `identity` (an oid, an app id, `ip:<address>`) for `reason` (a short
   * stable code). `entry` is appended if this is the first in its window; otherwise counted.
   * Resolves once the entry is durable (or counted); rejects if the audit log refused it.
   */
  record(identity: string, reason: string, entry: AuditInput): Promise<void>;
  /** Flushes the windows that have ended; the timer calls this. */
  flushDue(): Promise<void>;
  /** Flushes every pending count now (shutdown). */
  flush(): Promise<void>;
  /** Identity/reason pairs currently inside a window. */
  size(): number;
  /** Starts the flush timer (unref'd). */
  start(intervalMs?: number): void;
  /** Stops the timer and flushes. */
  close(): Promise<void>;
}

export interface RefusalRecorderOptions {
  windowMs?: number;
  /** Distinct identity/reason pairs tracked at once; beyond it, refusals share one overflow window per reason. */
  maxKeys?: number;
  logger?: Logger;
}

interface Window {
  identity: string;
  reason: string;
  first: AuditInput;
  startedAt: number;
  lastAt: number;
  repeats: number;
}

const OVERFLOW_IDENTITY = '*many-identities*';
const MAX_KEY_PART = 256;

export function createRefusalRecorder(
  audit: { append(input: AuditInput): Promise<unknown> },
  clock: () => Date,
  options: RefusalRecorderOptions = {},
): RefusalRecorder {
  const windowMs = options.windowMs ?? 60_000;
  const maxKeys = options.maxKeys ?? 10_000;
  const windows = new Map<string, Window>();
  let timer: NodeJS.Timeout | undefined;

  function repeatedEntry(w: Window): AuditInput {
    const details: JsonObject = {
      identity: w.identity,
      reason: w.reason,
      count: w.repeats,
      repeatedEventType: w.first.eventType,
      windowStart: new Date(w.startedAt).toISOString(),
      lastAt: new Date(w.lastAt).toISOString(),
    };
    return {
      actor: w.identity === OVERFLOW_IDENTITY ? { kind: 'system', id: 'elevate', name: 'refusal recorder' } : w.first.actor,
      eventType: REFUSAL_REPEATED,
      subject: w.first.subject ?? null,
      agentId: w.first.agentId ?? null,
      action: w.first.action ?? null,
      scope: w.first.scope ?? null,
      outcome: w.first.outcome ?? 'refused',
      details,
    };
  }

  async function flushWindow(key: string, w: Window): Promise<void> {
    windows.delete(key);
    if (w.repeats === 0) return;
    try {
      await audit.append(repeatedEntry(w));
    } catch (err) {
      // Keep the count for the next flush rather than lose it.
      const current = windows.get(key);
      if (current) current.repeats += w.repeats;
      else windows.set(key, w);
      throw err;
    }
  }

  async function flushWhere(due: (w: Window) => boolean): Promise<void> {
    const failures: unknown[] = [];
    for (const [key, w] of [...windows]) {
      if (!due(w)) continue;
      await flushWindow(key, w).catch((err: unknown) => failures.push(err));
    }
    if (failures.length > 0) {
      options.logger?.error({ count: failures.length, reason: String((failures[0] as Error)?.message ?? failures[0]) }, 'refusal counts could not be audited');
      throw failures[0];
    }
  }

  const clip = (s: string) => (s.length > MAX_KEY_PART ? s.slice(0, MAX_KEY_PART) : s);
  const flushDue = () => {
    const now = clock().getTime();
    return flushWhere((w) => now - w.startedAt >= windowMs);
  };
  const flush = () => flushWhere(() => true);

  return {
    async record(identity, reason, entry) {
      const now = clock().getTime();
      let who = clip(identity);
      const why = clip(reason);
      let key = `${who}\u0000${why}`;
      let w = windows.get(key);
      if (w && now - w.startedAt >= windowMs) {
        await flushWindow(key, w).catch((err: unknown) => options.logger?.error({ reason: (err as Error).message }, 'refusal count could not be audited'));
        // Still there only if that flush failed: keep counting into it until one succeeds.
        w = windows.get(key);
      }
      if (!w && windows.size >= maxKeys) {
        // Too many distinct identities (a spray): collapse the rest per reason.
        who = OVERFLOW_IDENTITY;
        key = `${who}\u0000${why}`;
        w = windows.get(key);
        if (!w) {
          w = { identity: who, reason: why, first: entry, startedAt: now, lastAt: now, repeats: 0 };
          windows.set(key, w);
        }
        w.repeats += 1;
        w.lastAt = now;
        return;
      }
      if (w) {
        w.repeats += 1;
        w.lastAt = now;
        return;
      }
      windows.set(key, { identity: who, reason: why, first: entry, startedAt: now, lastAt: now, repeats: 0 });
      try {
        await audit.append(entry);
      } catch (err) {
        // Not recorded, so not a window: the next occurrence tries again.
        windows.delete(key);
        throw err;
      }
    },

    flushDue,
    flush,

    size: () => windows.size,

    start(intervalMs = 5_000) {
      if (timer) return;
      // flushWhere has logged a failure already; the counts stay pending for the next tick.
      timer = setInterval(() => {
        flushDue().catch(() => undefined);
      }, intervalMs);
      timer.unref();
    },

    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
  };
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const field = (o: unknown, key: string): unknown => (o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined);

/**
 * Event types routed through the recorder by `collapsingAudit`, with how to name their reason:
 * refusals that change nothing (no request is stored, no session made), which a hostile caller
 * can repeat at will.
 */
export const COLLAPSED_EVENTS: Record<string, (input: AuditInput) => string> = {
  'signin.refused': (i) => text(i.details?.reason) ?? 'refused',
  'api.auth.refused': (i) => text(i.details?.reason) ?? 'refused',
  // An agent over its API rate limit (rate-limits.yaml): one entry per agent per minute, then a count.
  'api.rate_limited': () => 'rate_limited',
  'http.refused': (i) => text(i.details?.reason) ?? i.outcome ?? 'refused',
  // A guardrail or run-mode refusal of a submission: per rule (or decision reason) and action.
  'operation.forbidden': (i) => `${text(field(field(i.details?.decision, 'guardrail'), 'rule')) ?? text(field(i.details?.decision, 'reason')) ?? 'forbidden'} ${i.action ?? ''}`.trim(),
  // A submission refused before any decision (malformed, idempotency conflict).
  'operation.refused': (i) => text(i.details?.code) ?? 'refused',
  // An alert delivery refused (unauthenticated, wrong caller, malformed): per sender and reason.
  'incident.alert.refused': (i) => text(i.details?.reason) ?? 'refused',
  // A repeated delivery of the same alert and monitor condition: per alert, counted.
  'incident.alert.repeated': (i) => text(i.details?.reason) ?? 'repeated',
};

/**
 * An `append`-only audit sink for code that records refusals itself (sign-in, the agent API):
 * the events of COLLAPSED_EVENTS go through the recorder, everything else straight to the log.
 */
export function collapsingAudit(audit: { append(input: AuditInput): Promise<unknown> }, recorder: RefusalRecorder): { append(input: AuditInput): Promise<unknown> } {
  return {
    append(input) {
      const reasonOf = COLLAPSED_EVENTS[input.eventType];
      if (!reasonOf) return audit.append(input);
      return recorder.record(input.actor.id, `${input.eventType}:${reasonOf(input)}`, input);
    },
  };
}
