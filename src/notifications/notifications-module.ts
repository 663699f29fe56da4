/**
 * Wires notifications from their narrow parts: the channel senders (checked against the
 * environment at start), the outbox writer the request and approval stores call inside their
 * transactions, and the dispatcher that delivers in the background. `listenTo` connects the
 * request notifier: its wake-up comes after a transition is audited, which releases that
 * transition's held rows. Other events (drift, audit verification) go through `publish`.
 */
import type { Logger } from '../observability/logger.ts';
import { NO_NOTIFICATIONS, requiredNotificationEnv, type NotificationsPolicy } from '../policies/notifications-schema.ts';
import type { Database } from '../store/database.ts';
import type { SingletonLeases } from '../store/singleton-leases.ts';
import type { AuditInput } from '../audit/audit-types.ts';
import { createChannelSenders, NotificationConfigError } from './channel-senders.ts';
import { createNotificationDispatcher } from './notification-dispatcher.ts';
import { randomUUID } from 'node:crypto';
import { auditVerificationEvent, driftEvent, type NotificationEvent } from './notification-event.ts';
import { createOutboxStore } from './outbox-store.ts';
import { createOutboxWriter } from './outbox-writer.ts';

export interface NotificationSettings {
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  secret(name: string): string | undefined;
}

export interface NotificationsModuleDeps {
  db: Database;
  policy: NotificationsPolicy | undefined;
  settings: NotificationSettings;
  /** Elevate's public URL: deep links and the CloudEvents source */
  baseUrl: string;
  audit: { append(input: AuditInput): Promise<unknown> };
  logger?: Logger | undefined;
  clock?: () => Date;
  /** how long a transition's rows wait for its audit record before they are sent anyway (default 5 s) */
  holdMs?: number;
  /** sleep between passes when nothing is due (default 30 s) */
  idleMs?: number;
  /** Several instances: only the leader delivers the outbox (default: this instance). */
  leases?: SingletonLeases | undefined;
}

/** Every variable an enabled route needs through an enabled channel, or a start-up error naming the missing ones. */
export function checkNotificationEnvironment(policy: NotificationsPolicy, secret: (name: string) => string | undefined): void {
  const missing = requiredNotificationEnv(policy).filter((r) => !secret(r.env));
  if (missing.length > 0) {
    throw new NotificationConfigError(
      `policies/notifications.yaml: ${missing.map((m) => `channel '${m.channel}' needs ${m.env}`).join('; ')}, which ${missing.length === 1 ? 'is' : 'are'} not set (set ${missing.length === 1 ? 'it' : 'them'} in the environment, or disable the channel)`,
    );
  }
}

export function createNotificationsModule(deps: NotificationsModuleDeps) {
  const clock = deps.clock ?? (() => new Date());
  const policy = deps.policy ?? NO_NOTIFICATIONS;
  checkNotificationEnvironment(policy, deps.settings.secret);
  const senders = createChannelSenders(policy, deps.settings.secret, { timeoutMs: deps.settings.timeoutMs, now: clock, source: deps.baseUrl });
  const store = createOutboxStore(deps.db);
  const dispatcher = createNotificationDispatcher({
    outbox: store,
    senders,
    audit: deps.audit,
    retry: { baseDelayMs: deps.settings.retryBaseMs, maxDelayMs: deps.settings.retryMaxMs, maxAttempts: deps.settings.maxAttempts },
    baseUrl: deps.baseUrl,
    clock,
    logger: deps.logger,
    leaseMs: deps.settings.timeoutMs * 2 + 1000,
    ...(deps.idleMs !== undefined ? { idleMs: deps.idleMs } : {}),
    leases: deps.leases,
  });
  const writer = createOutboxWriter({ policy: () => policy, clock, holdMs: deps.holdMs ?? 5000, onRecorded: () => dispatcher.wake() });
  const unsubscribers: Array<() => void> = [];
  const publish = (event: NotificationEvent): Promise<number> => deps.db.transaction((tx) => writer.recordEvent(tx, event));

  return {
    /** The port the request and approval stores write through. */
    outbox: writer,
    store,
    dispatcher,
    /** channel names with a sender (enabled and routed) */
    channels: [...senders.keys()],
    /** Wakes the dispatcher on every request change (no id: changes may have been missed, look at everything due). */
    listenTo(notifier: { subscribe(listener: (requestId?: string) => void): () => void }) {
      unsubscribers.push(notifier.subscribe((requestId) => dispatcher.wake(requestId)));
    },
    /** Records an event that is not a request change (drift found, audit verification failed). */
    publish,
    /** drift.found (levels/drift-status.ts calls this once per drift episode); failures are logged, never thrown. */
    driftFound(agentId: string, differences: number): void {
      void publish(driftEvent(randomUUID(), clock().toISOString(), agentId, differences)).catch((err: unknown) =>
        deps.logger?.error({ err: err instanceof Error ? err.message : String(err), agentId }, 'drift notification not recorded'),
      );
    },
    /** audit.verification_failed (the audit verifier's failure listener). */
    auditVerificationFailed(problem: string, seq?: number | null): void {
      void publish(auditVerificationEvent(randomUUID(), clock().toISOString(), problem, seq)).catch((err: unknown) =>
        deps.logger?.error({ err: err instanceof Error ? err.message : String(err) }, 'audit verification notification not recorded'),
      );
    },
    start: () => dispatcher.start(),
    async close(): Promise<void> {
      for (const u of unsubscribers.splice(0)) u();
      await dispatcher.stop();
      for (const s of senders.values()) s.close();
    },
  };
}

export type NotificationsModule = ReturnType<typeof createNotificationsModule>;
export { NotificationConfigError };
