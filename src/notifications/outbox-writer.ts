/**
 * The outbox side of RequestChangeOutbox (src/operations/request-change-outbox.ts): inside the
 * change's transaction, turn the change into an event, route it by policy and write one row per
 * channel. Nothing is sent here. A change already on the audit record is due at once; a
 * transition (audited just after its compare-and-set) is held until the lifecycle's wake-up says
 * it is audited, or `holdMs` passes (a crash between the two), and retracted if it is reverted.
 */
import { randomUUID } from 'node:crypto';
import type { RequestChangeOutbox } from '../operations/request-change-outbox.ts';
import type { NotificationsPolicy } from '../policies/notifications-schema.ts';
import type { Queryable } from '../store/database.ts';
import { eventFromChange, type NotificationEvent } from './notification-event.ts';
import { routeEvent } from './notification-routing.ts';
import { insertOutboxRow, retractOutboxRows } from './outbox-store.ts';

export interface OutboxWriterDeps {
  policy: () => NotificationsPolicy;
  clock: () => Date;
  /** how long an unaudited transition's rows wait for the audit record */
  holdMs: number;
  /** wakes the dispatcher (it reads after this transaction commits) */
  onRecorded?: (() => void) | undefined;
  newId?: () => string;
}

export interface OutboxWriter extends RequestChangeOutbox {
  /** Routes and writes an event that is not a request change (drift, audit verification), in `tx`. */
  recordEvent(tx: Queryable, event: NotificationEvent, options?: { requestVersion?: number | null; heldUntil?: string }): Promise<number>;
}

async function agentNameOf(tx: Queryable, agentId: string): Promise<string | undefined> {
  const row = await tx.get<{ name: string }>('SELECT name FROM agents WHERE id = ?', [agentId]);
  return row?.name;
}

export function createOutboxWriter(deps: OutboxWriterDeps): OutboxWriter {
  const newId = deps.newId ?? randomUUID;

  async function recordEvent(tx: Queryable, event: NotificationEvent, options: { requestVersion?: number | null; heldUntil?: string } = {}): Promise<number> {
    const now = deps.clock();
    if (event.drift && event.drift.agentName === undefined) {
      const name = await agentNameOf(tx, event.drift.agentId);
      if (name) event = { ...event, drift: { ...event.drift, agentName: name } };
    }
    const deliveries = routeEvent(deps.policy(), event, now);
    for (const d of deliveries) {
      await insertOutboxRow(tx, {
        id: newId(),
        event,
        requestVersion: options.requestVersion ?? null,
        route: d.route,
        channel: d.channel,
        nextAttemptAt: options.heldUntil ?? event.occurredAt,
        at: now.toISOString(),
      });
    }
    if (deliveries.length > 0 && !options.heldUntil) deps.onRecorded?.();
    return deliveries.length;
  }

  return {
    recordEvent,
    async record(tx, change) {
      // Cheap test first: most transitions (approved, executing, cancelled) notify nobody.
      if (deps.policy().routes.length === 0) return;
      const probe = eventFromChange(change, 'probe');
      if (!probe) return;
      const event = eventFromChange(change, newId(), await agentNameOf(tx, change.request.agentId))!;
      const held = change.kind === 'state' && !change.audited;
      await recordEvent(tx, event, {
        requestVersion: change.request.version,
        ...(held ? { heldUntil: new Date(deps.clock().getTime() + deps.holdMs).toISOString() } : {}),
      });
    },
    retract: (tx, requestId, version) => retractOutboxRows(tx, requestId, version),
  };
}
