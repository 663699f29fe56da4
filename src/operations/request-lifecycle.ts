/**
 * Applies lifecycle events to stored requests: the state machine says whether the event is
 * allowed, the store's compare-and-set decides who wins a race, and the audit log records the
 * winner's transition before anyone is told. If the audit append fails the change is reverted
 * (a compare-and-set back, on the exact version it produced) and the caller gets
 * AuditUnavailableError: nothing happened.
 *
 * A transition caused by a person's decision (an elevation's `approval.decided`) carries that
 * decision's entry, appended here for the winner only, between the compare-and-set and the
 * transition's own entry: whoever loses the race never records a decision, only the refusal its
 * caller audits. The audit log has no transactions with the store, so the two entries cannot
 * commit with the change; instead no entry ever claims more than the store holds. If the decision
 * cannot be appended the change is reverted as above. Once it is on record the change is never
 * reverted (the log would then say "approved" of a request back to pending, and a second decision
 * could follow): if the transition's own entry then fails, the request stays where the decision
 * put it and the caller gets AuditUnavailableError, so nothing acts on it; an approved request
 * that never starts is ended by the reconciler (execution-reconciler.ts) or its deadline.
 */
import type { AuditActor, AuditInput, JsonObject } from '../audit/audit-types.ts';
import type { Logger } from '../observability/logger.ts';
import { SYSTEM_ACTOR, transitionEntry } from './operation-audit.ts';
import type { ExecutionRecord, OperationRequestStore, TransitionFields } from './operation-request-store.ts';
import type { OperationRequest, RequestState } from './operation-types.ts';
import type { RequestNotifier } from './request-notifier.ts';
import { transition, WAITING_STATES, type RequestEvent } from './request-state-machine.ts';

export interface AuditSink {
  /** Resolves once durably recorded; rejects otherwise (audit first, act second). */
  append(input: AuditInput): Promise<unknown>;
}

export interface LifecycleDeps {
  store: OperationRequestStore;
  audit: AuditSink;
  notifier: RequestNotifier;
  clock: () => Date;
  /** ELEVATE_REQUEST_TTL_SECONDS */
  ttlSeconds: number;
  logger?: Logger | undefined;
  /** Told after every recorded transition (e.g. incidents follow their alert's changestate); must not throw. */
  onTransition?: ((request: OperationRequest) => void) | undefined;
}

export class AuditUnavailableError extends Error {
  override name = 'AuditUnavailableError';
}

export type TransitionOutcome =
  | { ok: true; request: OperationRequest; from: RequestState; to: RequestState }
  | { ok: false; code: 'not_found'; message: string }
  | { ok: false; code: 'invalid_state'; message: string; request: OperationRequest };

export interface TransitionCommand {
  event: RequestEvent;
  actor: AuditActor;
  actingIdentity?: string | undefined;
  reason?: string | undefined;
  fields?: TransitionFields;
  details?: JsonObject;
  /** `start` only: the execution's intent, written in the same transaction as the change (operation-request-store.ts). */
  execution?: ExecutionRecord;
  /** The decision that causes the transition, recorded only if this call wins it (see above). */
  decision?: AuditInput | undefined;
}

/** The columns a transition may change, as they were before it (what a revert restores). */
function restoreFields(r: OperationRequest, fields: TransitionFields): TransitionFields {
  const out: TransitionFields = {};
  if (fields.actingIdentity !== undefined) out.actingIdentity = r.actingIdentity ?? null;
  if (fields.stateReason !== undefined) out.stateReason = r.stateReason ?? null;
  if (fields.expiresAt !== undefined) out.expiresAt = r.expiresAt ?? null;
  if (fields.arm !== undefined) out.arm = r.arm ?? null;
  if (fields.error !== undefined) out.error = r.error ?? null;
  return out;
}

export function createRequestLifecycle(deps: LifecycleDeps) {
  const now = () => deps.clock().toISOString();

  /**
   * Moves `request` (the caller's snapshot) by `command.event`. Fails with invalid_state when
   * the machine forbids the event or another transition won the race; in both cases nothing
   * was changed or audited.
   */
  async function apply(request: OperationRequest, command: TransitionCommand): Promise<TransitionOutcome> {
    const t = transition(request.state, command.event);
    if (!t.ok) return { ok: false, code: 'invalid_state', message: t.error.message, request };
    const fields: TransitionFields = { ...(command.fields ?? {}) };
    if (command.actingIdentity !== undefined) fields.actingIdentity = command.actingIdentity;
    if (command.reason !== undefined) fields.stateReason = command.reason;
    // Only waiting states carry a deadline; leaving them clears it unless the command sets one.
    if (!WAITING_STATES.includes(t.to) && fields.expiresAt === undefined) fields.expiresAt = null;

    const at = now();
    const execution = command.execution;
    // Approving or starting moves a request forward, which its deadline forbids once it has
    // passed: checked in the same statement as the change, since an approver's OBO exchange can
    // take seconds between reading the request and approving it. Ending it (deny, cancel) may
    // still win, and expiring it is what the deadline is for.
    const beforeDeadline = command.event === 'approve' || command.event === 'start';
    const won = await deps.store.compareAndSet({
      id: request.id,
      from: t.from,
      to: t.to,
      now: at,
      fields,
      ...(execution ? { execution } : {}),
      ...(beforeDeadline ? { unexpiredAt: at } : {}),
    });
    if (!won) {
      let current = (await deps.store.get(request.id))?.request ?? request;
      if (beforeDeadline && current.state === t.from) {
        // Lost to the deadline, not to another transition: expire it now rather than leave it
        // for the sweeper, and say so.
        current = await expireIfDue(current);
        if (current.state === 'expired') return { ok: false, code: 'invalid_state', message: `the request expired before it could ${command.event === 'approve' ? 'be approved' : 'start'}`, request: current };
      }
      return { ok: false, code: 'invalid_state', message: `the request changed concurrently and is now ${current.state}`, request: current };
    }
    const revert = async (err: unknown): Promise<never> => {
      const reverted = await deps.store
        .compareAndSet({
          id: request.id,
          from: t.to,
          to: t.from,
          now: now(),
          fields: restoreFields(request, fields),
          expectVersion: request.version + 1,
          // The intent goes with the change it came with: nothing was sent, so nothing is owed.
          ...(execution ? { retractExecution: { correlationId: execution.correlationId } } : {}),
        })
        .catch(() => false);
      deps.logger?.error({ err, requestId: request.id, from: t.from, to: t.to, reverted }, 'audit append failed; transition reverted');
      throw new AuditUnavailableError(`the audit log is unavailable; the request was not ${t.to}`);
    };
    if (command.decision) await deps.audit.append(command.decision).catch(revert);
    try {
      await deps.audit.append(
        transitionEntry(request, { from: t.from, to: t.to, event: command.event }, command.actor, {
          actingIdentity: command.actingIdentity,
          reason: command.reason,
          details: command.details ?? {},
        }),
      );
    } catch (err) {
      if (!command.decision) return revert(err);
      // The decision is on record: the change stands under it, and no one acts on it (see above).
      deps.logger?.error({ err, requestId: request.id, from: t.from, to: t.to }, "audit append failed after the decision's entry; transition kept, not acted on");
      told(request.id, await deps.store.get(request.id).then((stored) => stored?.request).catch(() => undefined));
      throw new AuditUnavailableError(`the audit log is unavailable; the request is ${t.to} but nothing will act on it`);
    }
    const updated = (await deps.store.get(request.id))?.request;
    told(request.id, updated);
    return { ok: true, request: updated ?? { ...request, state: t.to }, from: t.from, to: t.to };
  }

  /** Wakes those waiting on the request, and tells who follows transitions, of a change that stands. */
  function told(requestId: string, updated: OperationRequest | undefined): void {
    deps.notifier.notify(requestId);
    if (updated) deps.onTransition?.(updated);
  }

  /** Loads the request and applies the event. */
  async function applyById(requestId: string, command: TransitionCommand): Promise<TransitionOutcome> {
    const stored = await deps.store.get(requestId);
    if (!stored) return { ok: false, code: 'not_found', message: 'no such request' };
    return apply(stored.request, command);
  }

  /** Expires a waiting request whose time is up (lazy expiry on read, and the sweeper). */
  async function expireIfDue(request: OperationRequest): Promise<OperationRequest> {
    return (await tryExpire(request)).request;
  }

  async function tryExpire(request: OperationRequest): Promise<{ request: OperationRequest; won: boolean }> {
    if (!WAITING_STATES.includes(request.state) || request.expiresAt === undefined || request.expiresAt > now()) return { request, won: false };
    const result = await apply(request, { event: 'expire', actor: SYSTEM_ACTOR, reason: 'not acted on before it expired' });
    if (result.ok) return { request: result.request, won: true };
    return { request: result.code === 'invalid_state' ? result.request : request, won: false };
  }

  return {
    apply,
    applyById,
    expireIfDue,

    /**
     * An administrator approves a pending request (consent or elevation). The approved request
     * gets a fresh deadline to be executed within.
     */
    approve(requestId: string, approver: AuditActor, options: { reason?: string; details?: JsonObject; decision?: AuditInput } = {}) {
      const expiresAt = new Date(deps.clock().getTime() + deps.ttlSeconds * 1000).toISOString();
      return applyById(requestId, { event: 'approve', actor: approver, reason: options.reason, fields: { expiresAt }, details: options.details ?? {}, decision: options.decision });
    },

    deny(requestId: string, approver: AuditActor, options: { reason?: string; details?: JsonObject } = {}) {
      return applyById(requestId, { event: 'deny', actor: approver, reason: options.reason, details: options.details ?? {} });
    },

    cancel(requestId: string, actor: AuditActor, reason?: string) {
      return applyById(requestId, { event: 'cancel', actor, reason });
    },

    /** One sweep: expires up to `limit` due requests; returns how many this call expired. */
    async expireDue(limit = 100): Promise<number> {
      const due = await deps.store.listExpired(now(), limit);
      let expired = 0;
      for (const { id } of due) {
        const stored = await deps.store.get(id);
        if (!stored) continue;
        if ((await tryExpire(stored.request)).won) expired += 1;
      }
      return expired;
    },
  };
}

export type RequestLifecycle = ReturnType<typeof createRequestLifecycle>;
