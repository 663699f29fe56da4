/**
 * The agent-side use cases of the operations API. Each function takes the authenticated agent
 * and the raw input, and returns either a value with its HTTP status or an API error; the route
 * only renders. Everything an agent does is audited before its effect is released; if the audit
 * log cannot record, nothing happens and the answer is 503.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { Logger } from '../observability/logger.ts';
import type { AuditInput } from '../audit/audit-types.ts';
import type { Metrics } from '../observability/metrics.ts';
import { decideOperation, UnsupportedOperationError, type DecisionDeps } from './decision-pipeline.ts';
import { agentActor, decisionEntry, managedIdentityOf, redecidedEntry, refusedEntry, requestedEntry } from './operation-audit.ts';
import { armOperationOf, operationHash, submissionHash } from './operation-hash.ts';
import type { OperationRequestStore } from './operation-request-store.ts';
import type { Agent, OperationDecision, OperationInput, OperationRequest } from './operation-types.ts';
import { PermissionStateUnavailableError, type PermissionCache } from './permission-cache.ts';
import type { DecisionQueryAudit } from './decision-query-audit.ts';
import { inputOf, type MemoEntry, type ValidatedInputMemo } from './validated-input-memo.ts';
import { observing, rememberable, sharedDecision, stillHolds, type Consulted } from './decision-memo.ts';
import { createKeyedLock } from './keyed-lock.ts';
import { pageOf, parseListQuery, type ListQuery, type RequestPage } from './request-listing.ts';
import type { RequestExecutor } from './request-execution.ts';
import { AuditUnavailableError, type AuditSink, type RequestLifecycle } from './request-lifecycle.ts';
import type { RequestNotifier } from './request-notifier.ts';
import { initialState, isFinal, WAITING_STATES } from './request-state-machine.ts';
import { invalidRequest, validateOperationInput, type FieldError } from './validate-operation.ts';
import type { RequesterIdentity } from '../directory/requester-identity.ts';

export interface ApiError {
  code: string;
  message: string;
  fields?: FieldError[];
  /** the decision behind a 403 (guardrail rule, run mode) */
  decision?: OperationDecision;
}

export type ServiceResult<T> = { ok: true; status: 200 | 201; value: T } | { ok: false; status: 400 | 403 | 404 | 409 | 413 | 415 | 429 | 503; error: ApiError; retryAfterSeconds?: number };

export interface OperationsServiceDeps {
  store: OperationRequestStore;
  lifecycle: RequestLifecycle;
  executor: Pick<RequestExecutor, 'executeRequest'>;
  audit: AuditSink;
  /** Refusals (bad input, guardrail and run-mode refusals): a sink that may collapse floods. Default: `audit`. */
  refusalAudit?: AuditSink | undefined;
  /** Decision-only queries: collapses identical repeats (decision-query-audit.ts). Default: each appended to `audit`. */
  decisionQueryAudit?: Pick<DecisionQueryAudit, 'record'> | undefined;
  /** Decision-only queries: remembers validated bodies by their exact bytes (validated-input-memo.ts). Absent: each body is validated. */
  validatedInputs?: ValidatedInputMemo | undefined;
  decision: DecisionDeps;
  permissions: Pick<PermissionCache, 'invalidate'>;
  notifier: RequestNotifier;
  /** The agent's own UAMI credential, for operations the pipeline lets run directly. */
  agentCredential(agent: Agent): TokenCredential;
  clock: () => Date;
  ttlSeconds: number;
  newId?: () => string;
  metrics?: Pick<Metrics, 'decisions'> | undefined;
  logger?: Logger | undefined;
  /**
   * Resolves `trigger.requestedBy` of a request that waits for approval to a directory identity,
   * recorded once with the request (src/directory). Absent: no record, which the approval flow
   * treats as unresolved (the stricter rule).
   */
  requesters?: RequesterRecording | undefined;
  /**
   * Checks what the trigger names (src/incidents: an incident `ref` must be a recorded incident in
   * the agent's groups). Absent: every well-formed trigger is accepted.
   */
  checkTrigger?: ((agent: Agent, trigger: OperationInput['trigger']) => Promise<{ ok: true } | { ok: false; field: string; message: string }>) | undefined;
}

export interface RequesterRecording {
  resolve(requestedBy: string): Promise<RequesterIdentity>;
  record(requestId: string, identity: RequesterIdentity, at: string): Promise<boolean>;
}


export type { ListQuery, RequestPage };
export const MAX_WAIT_SECONDS = 60;

const fail = (status: 400 | 403 | 404 | 409 | 413 | 415 | 429 | 503, code: string, message: string, extra: Partial<ApiError> = {}) =>
  ({ ok: false, status, error: { code, message, ...extra } }) as const;

const unavailable = (err: unknown) => {
  if (err instanceof PermissionStateUnavailableError) return { ok: false, status: 503, error: { code: 'permission_state_unavailable', message: err.message }, retryAfterSeconds: err.retryAfterSeconds } as const;
  if (err instanceof AuditUnavailableError) return fail(503, 'audit_unavailable', err.message);
  return fail(503, 'audit_unavailable', 'the audit log is unavailable; nothing was done');
};

/** Errors that mean "fail closed with 503"; anything else is a bug and propagates (500). */
function isUnavailable(err: unknown): boolean {
  return (
    err instanceof PermissionStateUnavailableError ||
    err instanceof AuditUnavailableError ||
    (err instanceof Error && err.name === 'AuditAppendError')
  );
}

/** Two decision-only queries with the same key got the same answer. */
function decisionQueryKey(agent: Agent, d: OperationDecision): string {
  return JSON.stringify([agent.id, d.outcome, d.reasonCode, d.runMode, d.action.toLowerCase(), d.scope.toLowerCase(), d.missingAction ?? '', d.guardrail?.rule ?? '', d.contentRules?.length ? d.contentRules.map((h) => `${h.rule}:${h.failedClosed ? 'failed' : h.effect}`).join(',') : '']);
}

export function createOperationsService(deps: OperationsServiceDeps) {
  const newId = deps.newId ?? randomUUID;
  const keyLock = createKeyedLock();
  const now = () => deps.clock().toISOString();
  const refusalAudit = deps.refusalAudit ?? deps.audit;

  async function refuse(agent: Agent, status: 400 | 409 | 413 | 415, code: string, message: string, fields: FieldError[] = []): Promise<ServiceResult<never>> {
    try {
      await refusalAudit.append(refusedEntry(agent, code, message, fields));
    } catch (err) {
      deps.logger?.error({ err, agentId: agent.id }, 'audit append of a refusal failed');
      return unavailable(err);
    }
    return fail(status, code, message, fields.length > 0 ? { fields } : {});
  }

  /** The pipeline on validated input; a path ARM does not serve for the method is bad input too. */
  async function decided(
    agent: Agent,
    input: OperationInput,
    decisionDeps: DecisionDeps = deps.decision,
  ): Promise<{ ok: true; decision: OperationDecision } | { ok: false; result: ServiceResult<never> }> {
    try {
      return { ok: true, decision: await decideOperation(input, agent, decisionDeps) };
    } catch (err) {
      if (err instanceof UnsupportedOperationError) {
        const e = invalidRequest([{ path: 'path', message: err.message }]);
        return { ok: false, result: await refuse(agent, 400, e.code, e.message, e.fields) };
      }
      throw err;
    }
  }

  /**
   * The pipeline for a remembered body (decision-memo.ts): run with the permission check and the
   * current-resource read observed, and the decision kept in the memo entry when it depends on
   * nothing else, frozen, with its query key.
   */
  async function decidedAndRemembered(
    agent: Agent,
    input: OperationInput,
    entry: MemoEntry,
  ): Promise<{ ok: true; decision: OperationDecision; queryKey: string } | { ok: false; result: ServiceResult<never> }> {
    const consulted: Consulted = { permissions: [], readCurrentResource: false };
    const checked = await decided(agent, input, observing(deps.decision, consulted));
    if (!checked.ok) return checked;
    const { decision } = checked;
    const queryKey = decisionQueryKey(agent, decision);
    // The last one decided stays; a throw leaves what was there, reused only while it still holds.
    // Frozen when first shared (sharedDecision), not here: most bodies are never asked again.
    entry.decided = rememberable(consulted) ? { agent, permission: consulted.permissions[0], decision, queryKey } : undefined;
    return { ok: true, decision, queryKey };
  }

  const triggerDetails = (input: OperationInput) => ({ ...input.trigger }) as Record<string, string>;

  function decidedEntry(agent: Agent, input: OperationInput, decision: OperationDecision): AuditInput {
    return decisionEntry('decided', agent, armOperationOf(input), decision, { justification: input.justification, trigger: triggerDetails(input) });
  }

  async function forbidden(agent: Agent, input: OperationInput, decision: OperationDecision): Promise<ServiceResult<never>> {
    await refusalAudit.append(decisionEntry('forbidden', agent, armOperationOf(input), decision, { justification: input.justification, trigger: triggerDetails(input), idempotencyKey: input.idempotencyKey }));
    deps.metrics?.decisions.inc({ outcome: 'forbidden' });
    return fail(403, 'forbidden', decision.explanation, { decision });
  }

  /** The existing request under the key: the same submission replays it, another one conflicts. */
  async function replay(agent: Agent, input: OperationInput): Promise<ServiceResult<OperationRequest> | undefined> {
    const existing = await deps.store.findByIdempotencyKey(agent.id, input.idempotencyKey);
    if (!existing) return undefined;
    if (existing.submissionHash !== submissionHash(input)) {
      return refuse(agent, 409, 'idempotency_conflict', 'this idempotencyKey was already used for a different submission; use a new key for a new operation');
    }
    return { ok: true, status: 200, value: await deps.lifecycle.expireIfDue(existing.request) };
  }

  async function runDirectly(agent: Agent, input: OperationInput, request: OperationRequest): Promise<OperationRequest> {
    const outcome = await deps.executor.executeRequest(request.id, deps.agentCredential(agent), managedIdentityOf(agent), { actor: agentActor(agent) });
    if (!outcome.ok) return outcome.request ?? request;
    if (!outcome.authorizationFailed) return outcome.request;
    // ARM contradicted the cache: drop it, decide once more on fresh assignments, and record
    // what the agent would need now. The failed request itself is never retried.
    deps.permissions.invalidate(agent.uamiPrincipalId);
    const redecision = await decideOperation(input, agent, deps.decision);
    await deps.audit.append(redecidedEntry(agent, outcome.request, redecision));
    await deps.store.recordRedecision(request.id, now(), redecision);
    return (await deps.store.get(request.id))?.request ?? outcome.request;
  }

  /**
   * Validation, then what the trigger names: both refusals are audited 400s. With the body's
   * exact bytes (the parsed `raw` is their parse), a body this agent already sent validly is not
   * validated again (validated-input-memo.ts); the trigger is checked every time.
   */
  async function validated(
    agent: Agent,
    raw: unknown,
    bytes?: Buffer,
  ): Promise<{ ok: true; input: OperationInput; entry: MemoEntry | undefined } | { ok: false; result: ServiceResult<never> }> {
    const memo = bytes && deps.validatedInputs;
    let entry = memo ? memo.entry(agent, bytes) : undefined;
    let input: OperationInput;
    if (entry) input = inputOf(entry);
    else {
      const v = validateOperationInput(raw, agent);
      if (!v.ok) return { ok: false, result: await refuse(agent, 400, v.error.code, v.error.message, v.error.fields) };
      input = v.value;
      if (memo) entry = memo.set(agent, bytes, input);
    }
    const t = deps.checkTrigger ? await deps.checkTrigger(agent, input.trigger) : ({ ok: true } as const);
    if (!t.ok) {
      const e = invalidRequest([{ path: t.field, message: t.message }]);
      return { ok: false, result: await refuse(agent, 400, e.code, e.message, e.fields) };
    }
    return { ok: true, input, entry };
  }

  async function submit(agent: Agent, raw: unknown): Promise<ServiceResult<OperationRequest>> {
    const v = await validated(agent, raw);
    if (!v.ok) return v.result;
    const input = v.input;
    try {
      return await keyLock.run(`${agent.id}\u0000${input.idempotencyKey}`, async () => {
        const replayed = await replay(agent, input);
        if (replayed) return replayed;
        const checked = await decided(agent, input);
        if (!checked.ok) return checked.result;
        const { decision } = checked;
        if (decision.outcome === 'forbidden') return forbidden(agent, input, decision);

        const at = now();
        const state = initialState(decision.outcome);
        const op = armOperationOf(input);
        const request: OperationRequest = {
          id: newId(),
          agentId: agent.id,
          idempotencyKey: input.idempotencyKey,
          state,
          version: 0,
          operation: op,
          operationHash: operationHash(op),
          trigger: input.trigger,
          decision,
          createdAt: at,
          updatedAt: at,
          actingIdentity: managedIdentityOf(agent),
        };
        if (input.justification !== undefined) request.justification = input.justification;
        if (WAITING_STATES.includes(state)) request.expiresAt = new Date(deps.clock().getTime() + deps.ttlSeconds * 1000).toISOString();

        // Who asked is fixed now, before anyone can review the request; only waiting requests are reviewed.
        const requestedBy = input.trigger.requestedBy;
        const requester = deps.requesters && requestedBy !== undefined && WAITING_STATES.includes(state) ? await deps.requesters.resolve(requestedBy) : undefined;

        await deps.audit.append(requestedEntry(agent, request, requester));
        if (!(await deps.store.insert({ request, submissionHash: submissionHash(input) }))) {
          // Another process took the key between our look-up and insert.
          return (await replay(agent, input)) ?? fail(409, 'idempotency_conflict', 'this idempotencyKey is in use');
        }
        // Readers of new requests (the /approvals live stream) hear of it at once.
        deps.notifier.notify(request.id);
        if (requester && deps.requesters) {
          // A failure here leaves no record, which reviews treat as unresolved: stricter, never laxer.
          await deps.requesters.record(request.id, requester, at).catch((err: unknown) => deps.logger?.error({ err, requestId: request.id }, 'the requester could not be recorded; reviews will treat it as unresolved'));
        }
        deps.metrics?.decisions.inc({ outcome: decision.outcome });
        const value = decision.outcome === 'execute' ? await runDirectly(agent, input, request) : request;
        return { ok: true, status: 201, value };
      });
    } catch (err) {
      if (isUnavailable(err)) return unavailable(err);
      throw err;
    }
  }

  /**
   * `bytes`: the exact request body `raw` was parsed from, when the route kept it; then the
   * validated input, and the decision while it still holds, are remembered for those bytes
   * (validated-input-memo.ts, decision-memo.ts). Every call is still authenticated, rate-limited,
   * trigger-checked, asked of the permission cache and counted in the decision audit.
   */
  async function decide(agent: Agent, raw: unknown, bytes?: Buffer): Promise<ServiceResult<OperationDecision>> {
    try {
      const v = await validated(agent, raw, bytes);
      if (!v.ok) return v.result;
      const input = v.input;
      // The decision remembered for these bytes, if it still holds (decision-memo.ts): the same
      // agent object, and the same answer from the permission cache now.
      let remembered = v.entry?.decided;
      if (remembered !== undefined && remembered.agent !== agent) remembered = undefined;
      const asked = remembered?.permission;
      if (remembered !== undefined && asked !== undefined) {
        const answer = await deps.decision.checkPermission(asked.principalId, asked.action, asked.scope);
        if (!stillHolds(remembered, agent, answer)) remembered = undefined;
      }
      let decision: OperationDecision;
      let queryKey: string;
      if (remembered) ({ decision, queryKey } = sharedDecision(remembered));
      else if (v.entry) {
        const checked = await decidedAndRemembered(agent, input, v.entry);
        if (!checked.ok) return checked.result;
        ({ decision, queryKey } = checked);
      } else {
        const checked = await decided(agent, input);
        if (!checked.ok) return checked.result;
        decision = checked.decision;
        queryKey = decisionQueryKey(agent, decision);
      }
      // An unnamed arrow, inline: the entry is built only if the query opens a window (see
      // decision-query-audit.ts), and tsx names a closure kept in a const at each creation.
      if (deps.decisionQueryAudit) await deps.decisionQueryAudit.record(queryKey, () => decidedEntry(agent, input, decision));
      else await deps.audit.append(decidedEntry(agent, input, decision));
      return { ok: true, status: 200, value: decision };
    } catch (err) {
      if (isUnavailable(err)) return unavailable(err);
      throw err;
    }
  }

  /** The agent's own request; anyone else's is indistinguishable from a missing one. */
  async function ownRequest(agent: Agent, id: string): Promise<OperationRequest | undefined> {
    if (typeof id !== 'string' || id.length > 64 || !/^[A-Za-z0-9-]+$/.test(id)) return undefined;
    const stored = await deps.store.get(id);
    return stored && stored.request.agentId === agent.id ? stored.request : undefined;
  }

  async function get(agent: Agent, id: string, waitSeconds?: unknown, signal?: AbortSignal): Promise<ServiceResult<OperationRequest>> {
    let wait = 0;
    if (waitSeconds !== undefined) {
      const n = typeof waitSeconds === 'string' && /^\d{1,3}$/.test(waitSeconds) ? Number(waitSeconds) : NaN;
      if (!Number.isInteger(n) || n < 0 || n > MAX_WAIT_SECONDS) {
        return fail(400, 'invalid_request', `invalid request: wait: expected whole seconds from 0 to ${MAX_WAIT_SECONDS}`, {
          fields: [{ path: 'wait', message: `expected whole seconds from 0 to ${MAX_WAIT_SECONDS}` }],
        });
      }
      wait = n;
    }
    try {
      const found = await ownRequest(agent, id);
      if (!found) return fail(404, 'not_found', 'no such operation request');
      let request = await deps.lifecycle.expireIfDue(found);
      if (wait === 0 || isFinal(request.state)) return { ok: true, status: 200, value: request };

      // Wake on a change or at the request's own expiry, whichever is sooner.
      const untilExpiry = request.expiresAt ? Date.parse(request.expiresAt) - deps.clock().getTime() + 5 : Infinity;
      const waiting = deps.notifier.wait(request.id, Math.min(wait * 1000, Math.max(0, untilExpiry)), signal);
      if (!waiting) return fail(429, 'too_many_waiters', 'too many requests are being waited on; poll again shortly');
      // A change between our read and parking the waiter must not be missed.
      const reread = await ownRequest(agent, id);
      if (reread && reread.version !== request.version) {
        deps.notifier.notify(request.id);
      }
      await waiting;
      request = await deps.lifecycle.expireIfDue((await ownRequest(agent, id)) ?? request);
      return { ok: true, status: 200, value: request };
    } catch (err) {
      if (isUnavailable(err)) return unavailable(err);
      throw err;
    }
  }

  async function list(agent: Agent, query: ListQuery): Promise<ServiceResult<RequestPage>> {
    const q = parseListQuery(query);
    if (!q.ok) return fail(400, q.error.code, q.error.message, { fields: q.error.fields });
    const rows = await deps.store.listForAgent({ agentId: agent.id, limit: q.limit + 1, after: q.after, state: q.state });
    return { ok: true, status: 200, value: pageOf(rows, q.limit) };
  }

  async function cancel(agent: Agent, id: string): Promise<ServiceResult<OperationRequest>> {
    try {
      const found = await ownRequest(agent, id);
      if (!found) return fail(404, 'not_found', 'no such operation request');
      const request = await deps.lifecycle.expireIfDue(found);
      const result = await deps.lifecycle.apply(request, { event: 'cancel', actor: agentActor(agent), reason: 'cancelled by the agent' });
      if (result.ok) return { ok: true, status: 200, value: result.request };
      if (result.code === 'not_found') return fail(404, 'not_found', 'no such operation request');
      return fail(409, 'invalid_state', `cannot cancel: ${result.message}`);
    } catch (err) {
      if (isUnavailable(err)) return unavailable(err);
      throw err;
    }
  }

  return {
    submit,
    decide,
    get,
    list,
    cancel,
    /** Audits a refusal that happened before the body reached the service (malformed JSON, too large, not JSON). */
    refuse: (agent: Agent, status: 400 | 413 | 415, code: string, message: string) => refuse(agent, status, code, message),
  };
}

export type OperationsService = ReturnType<typeof createOperationsService>;
