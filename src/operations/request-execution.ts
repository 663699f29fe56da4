/**
 * Runs an approved request against ARM, at most once, ever:
 * 1. `approved -> executing` compare-and-set: the single gate (a racing second caller loses);
 * 2. an `executions` row keyed by request id: the second lock, should the first be bypassed;
 *    It is also the durable intent, written in the gate's own transaction (so no instance ever
 *    sees `executing` without it) and before ARM is called, with the correlation id the call
 *    will carry, whose identity sends it and which instance runs it, so a restarted service
 *    knows what may have been sent (execution-reconciler.ts) and never sends it again;
 * 3. the stored operation must hash to the hash in the request's hash-chained
 *    `operation.requested` audit entry (requested-operation-check.ts), or it is refused, fail
 *    closed and audited; a body and hash changed together in the database never reach ARM;
 * 4. the ARM call is audited before it is sent (no audit entry, no action); its answer is
 *    recorded with the succeed/fail transition. For a long-running operation the poll URL ARM
 *    answered with is written to the execution record first, then ARM's acceptance is audited.
 * The credential is a parameter: the agent's UAMI for direct executions and consented writes,
 * a one-off OBO credential (the approval flow) for elevations.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { AuditActor } from '../audit/audit-types.ts';
import { armError, followArmOperation, pollTargetOf, resumedAnswer, type ArmOperationResult } from '../azure/arm-long-running-operation.ts';
import type { ArmPipelineClient, ArmResponse } from '../azure/arm-pipeline-client.ts';
import { buildArmUrl } from '../azure/arm-request-target.ts';
import type { Logger } from '../observability/logger.ts';
import type { ExecutionLeaseHold, ExecutionLeases } from './execution-lease.ts';
import { armRequestEntry, armResponseEntry, executionLateResultEntry, SYSTEM_ACTOR } from './operation-audit.ts';
import type { ExecutionRecord, OperationRequestStore, StoredExecution } from './operation-request-store.ts';
import type { CheckRequestedOperation } from './requested-operation-check.ts';
import type { ArmResult, JsonValue, OperationRequest } from './operation-types.ts';
import { AuditUnavailableError, type AuditSink, type RequestLifecycle } from './request-lifecycle.ts';

export interface ExecutionDeps {
  store: OperationRequestStore;
  lifecycle: RequestLifecycle;
  audit: AuditSink;
  /** An ARM client acting as `credential` (cached per credential by the caller). */
  armClientFor(credential: TokenCredential): ArmPipelineClient;
  armEndpoint: string;
  /** The run-time check against the hash-chained `operation.requested` entry. */
  checkRequestedOperation: CheckRequestedOperation;
  clock: () => Date;
  logger?: Logger | undefined;
  /** How long executeRequest waits for a long-running operation before answering `executing`. */
  waitMs?: number;
  /** How long a long-running operation is followed in the background before it is left `executing`. */
  followMs?: number;
  pollIntervalMs?: number;
  /** This instance's id, written with each execution's intent (reconcilers elsewhere leave it alone while it lives). */
  instanceId?: string | undefined;
  /**
   * Several instances on one database: each execution's lease, written with its intent, renewed
   * while it runs here, and the signal that stops this instance's ARM calls for it once another
   * may take it over (execution-lease.ts). Undefined: one process per database, no lease.
   */
  leases?: Pick<ExecutionLeases, 'leaseMs' | 'now' | 'hold'> | undefined;
}

export interface ExecuteOptions {
  /** Who triggered the execution, for the audit log (default: Elevate itself). */
  actor?: AuditActor;
  /** Overrides `waitMs` for this call. */
  waitMs?: number;
  /** Whose identity `credential` is (recorded with the intent): the agent's UAMI (default) or an approver's OBO token. */
  credentialKind?: 'agent' | 'obo';
}

export type ExecutionOutcome =
  | {
      ok: true;
      request: OperationRequest;
      /** ARM answered AuthorizationFailed: the identity lacked what the decision assumed. */
      authorizationFailed: boolean;
    }
  | { ok: false; code: 'not_found' | 'not_approved'; message: string; request?: OperationRequest };

/** ARM bodies beyond this are not kept on the request (the agent is told their size). */
const MAX_STORED_BODY_BYTES = 1024 * 1024;
const AUTHORIZATION_FAILED = new Set(['authorizationfailed', 'linkedauthorizationfailed']);

function longRunning(r: ArmResponse): boolean {
  return (r.status === 201 || r.status === 202) && (r.headers['azure-asyncoperation'] !== undefined || r.headers['location'] !== undefined)
    || (r.status === 200 && r.headers['azure-asyncoperation'] !== undefined);
}

function storedBody(body: unknown): JsonValue | undefined {
  if (body === undefined) return undefined;
  const text = JSON.stringify(body);
  if (text === undefined) return undefined;
  const bytes = Buffer.byteLength(text, 'utf8');
  return bytes <= MAX_STORED_BODY_BYTES ? (JSON.parse(text) as JsonValue) : { elevateNote: 'ARM response body not stored: too large', bytes };
}

export function createRequestExecutor(deps: ExecutionDeps) {
  const waitMs = deps.waitMs ?? 20_000;
  const followMs = deps.followMs ?? 30 * 60_000;
  const shutdown = new AbortController();
  const background = new Set<Promise<unknown>>();
  /**
   * Requests this process is executing or following right now, from the `start` gate to the end
   * of following: the reconciler leaves them alone, however long ARM takes.
   */
  const following = new Set<string>();
  const now = () => deps.clock().toISOString();

  async function finish(request: OperationRequest, actor: AuditActor, actingIdentity: string, result: ArmOperationResult, provenance: Record<string, JsonValue>): Promise<OperationRequest> {
    const arm: ArmResult = { status: result.last.status, correlationId: result.initial.correlationId };
    if (result.initial.requestId) arm.armRequestId = result.initial.requestId;
    if (longRunning(result.initial)) arm.asyncStatus = result.state;
    const body = storedBody(result.last.body);
    if (body !== undefined) arm.body = body;

    if (result.state === 'running') {
      // Followed as long as we were willing to: reported as running, left executing.
      await deps.store.recordArm(request.id, 'executing', now(), arm);
      await deps.store.finishExecution(request.id, now(), 'running', arm);
      return (await deps.store.get(request.id))?.request ?? request;
    }
    const succeeded = result.state === 'succeeded';
    await deps.store.finishExecution(request.id, now(), succeeded ? 'succeeded' : 'failed', arm);
    const error = succeeded ? undefined : (result.error ?? { code: `HTTP${result.last.status}`, message: `ARM answered ${result.last.status}` });
    const outcome = await deps.lifecycle.apply(request, {
      event: succeeded ? 'succeed' : 'fail',
      actor,
      actingIdentity,
      fields: { arm, ...(error ? { error: { code: error.code, message: error.message } } : {}) },
      details: {
        ...provenance,
        status: arm.status,
        correlationId: arm.correlationId ?? null,
        armRequestId: arm.armRequestId ?? null,
        polls: result.polls,
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      },
    });
    const endedElsewhere = !outcome.ok && outcome.code === 'invalid_state' && outcome.request.state !== request.state ? outcome.request : undefined;
    if (endedElsewhere) {
      // Ended meanwhile by someone else (a reconciler that took this execution for a dead
      // instance's): the request keeps that final state, and ARM's answer is audited beside it.
      await deps.audit
        .append(
          executionLateResultEntry(endedElsewhere, {
            observed: succeeded ? 'succeeded' : 'failed',
            endedAs: endedElsewhere.state,
            status: arm.status,
            correlationId: arm.correlationId ?? null,
            armRequestId: arm.armRequestId ?? null,
            instance: deps.instanceId ?? null,
          }),
        )
        .catch((err: unknown) => deps.logger?.error({ err, requestId: request.id }, 'audit append failed for an ARM answer that arrived after the request was ended'));
      deps.logger?.warn({ requestId: request.id, observed: result.state, endedAs: endedElsewhere.state }, 'ARM answered after the request had been ended elsewhere; the answer is audited');
    }
    return outcome.ok ? outcome.request : request;
  }

  async function failBeforeArm(request: OperationRequest, actor: AuditActor, actingIdentity: string, code: string, message: string, options: { keepExecution?: boolean } = {}): Promise<OperationRequest> {
    if (!options.keepExecution) await deps.store.finishExecution(request.id, now(), 'failed');
    const outcome = await deps.lifecycle.apply(request, { event: 'fail', actor, actingIdentity, fields: { error: { code, message } }, details: { error: { code, message } } });
    return outcome.ok ? outcome.request : request;
  }

  async function executeRequest(requestId: string, credential: TokenCredential, actingIdentity: string, options: ExecuteOptions = {}): Promise<ExecutionOutcome> {
    const actor = options.actor ?? SYSTEM_ACTOR;
    const stored = await deps.store.get(requestId);
    if (!stored) return { ok: false, code: 'not_found', message: 'no such request' };
    // The intent (correlation id, whose identity, which instance) is written by the start gate
    // itself, in one transaction with `approved -> executing`.
    const execution: ExecutionRecord = {
      requestId,
      actingIdentity,
      operationHash: stored.request.operationHash,
      startedAt: now(),
      correlationId: randomUUID(),
      credentialKind: options.credentialKind ?? 'agent',
      instanceId: deps.instanceId ?? null,
      ...(deps.leases ? { leaseMs: deps.leases.leaseMs } : {}),
    };
    // Taken before the gate's statement is sent: the lease is counted from no later than its write.
    const grantedAt = deps.leases?.now();
    const gate = await deps.lifecycle.apply(stored.request, { event: 'start', actor, actingIdentity, details: { operationHash: stored.request.operationHash }, execution });
    if (!gate.ok) return { ok: false, code: gate.code === 'not_found' ? 'not_found' : 'not_approved', message: gate.message, ...(gate.code === 'invalid_state' ? { request: gate.request } : {}) };
    const lease = deps.leases && grantedAt !== undefined ? deps.leases.hold(requestId, grantedAt) : undefined;
    following.add(requestId);
    let handedOver = false;
    try {
      const outcome = await run(gate.request, execution.correlationId, credential, actingIdentity, actor, options, lease, () => (handedOver = true));
      return outcome;
    } finally {
      if (!handedOver) {
        following.delete(requestId);
        await lease?.end();
      }
    }
  }

  /** This instance lost the execution while ARM had it: what it sent may or may not have been done. */
  async function endLostWhileSent(request: OperationRequest, actor: AuditActor, actingIdentity: string, correlationId: string, lease: ExecutionLeaseHold): Promise<OperationRequest> {
    const why = lease.signal.reason instanceof Error ? lease.signal.reason.message : 'this instance no longer holds the execution';
    const message = `${why}, while ARM had the operation. Its outcome is unknown and it will not be re-run: look up ARM correlation id ${correlationId} in the Azure activity log`;
    deps.logger?.warn({ requestId: request.id, correlationId }, 'stopped waiting for ARM: this instance no longer holds the execution');
    await deps.store.closeExecution(request.id, now());
    const outcome = await deps.lifecycle.apply(request, {
      event: 'unknown',
      actor,
      actingIdentity,
      reason: message,
      fields: { error: { code: 'outcome_unknown', message } },
      details: { correlationId, instance: deps.instanceId ?? null, error: { code: 'outcome_unknown', message } },
    });
    return outcome.ok ? outcome.request : request;
  }

  async function run(
    request: OperationRequest,
    correlationId: string,
    credential: TokenCredential,
    actingIdentity: string,
    actor: AuditActor,
    options: ExecuteOptions,
    lease: ExecutionLeaseHold | undefined,
    handOver: () => void,
  ): Promise<ExecutionOutcome> {
    const requestId = request.id;

    const op = request.operation;
    if ((await deps.store.getExecution(requestId))?.correlationId !== correlationId) {
      // Unreachable unless the state column was tampered with: the request already ran once, and
      // its execution row (kept as it was: the record of that run) is not this gate's.
      const current = await failBeforeArm(request, actor, actingIdentity, 'already_executed', 'this request has already been executed once; it is never executed again', { keepExecution: true });
      return { ok: true, request: current, authorizationFailed: false };
    }
    const checked = await deps.checkRequestedOperation(request);
    if (!checked.ok) {
      deps.logger?.warn({ requestId, code: checked.code }, 'refused to execute: the operation does not match its operation.requested audit entry');
      const current = await failBeforeArm(request, actor, actingIdentity, checked.code, checked.message);
      return { ok: true, request: current, authorizationFailed: false };
    }

    if (lease?.signal.aborted) {
      // Lost before anything was sent (a database cut longer than the lease): never sent now.
      const current = await failBeforeArm(request, actor, actingIdentity, 'lease_lost', 'this instance lost its hold on the execution before sending it; it was not sent and will not be');
      return { ok: true, request: current, authorizationFailed: false };
    }
    try {
      await deps.audit.append(armRequestEntry(request, actor, actingIdentity, correlationId));
    } catch (err) {
      deps.logger?.error({ err, requestId }, 'audit append failed before an ARM call; not executed');
      await failBeforeArm(request, actor, actingIdentity, 'audit_unavailable', 'the audit log is unavailable; the operation was not sent to ARM').catch(() => undefined);
      throw new AuditUnavailableError('the audit log is unavailable; the operation was not executed');
    }
    const client = deps.armClientFor(credential);
    let initial: ArmResponse;
    try {
      initial = await client.armRequest({
        method: op.method,
        path: op.path,
        apiVersion: op.apiVersion,
        body: op.body,
        ...(op.query ? { query: op.query } : {}),
        correlationId,
        purpose: 'operation',
        ...(lease ? { abortSignal: lease.signal } : {}),
      });
    } catch (err) {
      if (lease?.signal.aborted) return { ok: true, request: await endLostWhileSent(request, actor, actingIdentity, correlationId, lease), authorizationFailed: false };
      // No answer: ARM may or may not have received it. Recorded as failed with the correlation
      // id (for the activity log), never retried.
      const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 500) : 'ARM request failed';
      deps.logger?.warn({ requestId, correlationId, reason: message }, 'ARM call for a request failed without a response');
      const current = await failBeforeArm(request, actor, actingIdentity, 'arm_unreachable', message);
      return { ok: true, request: current, authorizationFailed: false };
    }
    const resourceUrl = buildArmUrl(deps.armEndpoint, op.path, op.apiVersion, op.query);
    const target = pollTargetOf(op.method, resourceUrl, initial);
    if (longRunning(initial) || target) {
      // The final answer may be minutes away. Where to follow it goes to the durable execution
      // record first (a restarted service follows it from there), then ARM's acceptance is
      // audited. ARM has acted by now, so a failed append is logged and the request still
      // records the result.
      if (target) await deps.store.recordPollTarget(requestId, target, { status: initial.status, armRequestId: initial.requestId });
      const firstError = initial.status >= 400 ? armError(initial) : undefined;
      await deps.audit
        .append(armResponseEntry(request, actor, actingIdentity, { status: initial.status, correlationId, armRequestId: initial.requestId, error: firstError, longRunning: true }))
        .catch((err: unknown) => deps.logger?.error({ err, requestId, correlationId }, 'audit append of an ARM response failed'));
      await deps.store.recordArm(request.id, 'executing', now(), { status: initial.status, correlationId, armRequestId: initial.requestId, asyncStatus: 'running' });
    }
    handOver();
    const follow = followInBackground(request, actor, actingIdentity, client, initial, {}, lease);

    const limit = options.waitMs ?? waitMs;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([follow.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limit)))]);
    clearTimeout(timer);
    const current = finished ? await follow : ((await deps.store.get(requestId))?.request ?? request);
    const authorizationFailed =
      current.state === 'failed' && current.arm?.status === 403 && AUTHORIZATION_FAILED.has((current.error?.code ?? '').toLowerCase());
    return { ok: true, request: current, authorizationFailed };
  }

  function followInBackground(
    request: OperationRequest,
    actor: AuditActor,
    actingIdentity: string,
    client: ArmPipelineClient,
    initial: ArmResponse,
    provenance: Record<string, JsonValue> = {},
    lease?: ExecutionLeaseHold,
  ): Promise<OperationRequest> {
    const op = request.operation;
    const resourceUrl = buildArmUrl(deps.armEndpoint, op.path, op.apiVersion, op.query);
    following.add(request.id);
    // Polling stops at shutdown, and when this instance no longer holds the execution.
    const abortSignal = lease ? AbortSignal.any([shutdown.signal, lease.signal]) : shutdown.signal;
    const follow = followArmOperation(
      { method: op.method, resourceUrl, initial, get: client.armGetUrl, armEndpoint: deps.armEndpoint },
      { timeoutMs: followMs, abortSignal, ...(deps.pollIntervalMs ? { pollIntervalMs: deps.pollIntervalMs } : {}) },
    )
      .then((result) => finish(request, actor, actingIdentity, result, provenance))
      .catch(async (err: unknown) => {
        deps.logger?.warn({ err, requestId: request.id, correlationId: initial.correlationId }, 'recording the ARM result stopped; the request stays executing');
        return (await deps.store.get(request.id).catch(() => undefined))?.request ?? request;
      })
      .finally(async () => {
        following.delete(request.id);
        // A shutdown left it executing: handed back, so another instance takes it over at once.
        await lease?.end({ handBack: shutdown.signal.aborted });
      });
    const tracked = follow.finally(() => background.delete(tracked));
    background.add(tracked);
    return follow;
  }

  /**
   * Goes on following a long-running operation a previous process started, from its durable
   * record (the reconciler's call): only GETs of the poll URL ARM gave, with `credential` (the
   * identity that started it). The operation itself is never sent again. `provenance` goes into
   * the details of the entry that ends it (reconciled, by which instance, taken over from which).
   * `leaseGrantedAt` (several instances): when the statement that gave this instance the
   * execution's lease was sent (leases.now()); the lease is renewed while it is followed here.
   */
  function resumeFollowing(
    request: OperationRequest,
    execution: StoredExecution,
    credential: TokenCredential,
    provenance: Record<string, JsonValue> = {},
    leaseGrantedAt?: number,
  ): Promise<OperationRequest> {
    if (!execution.pollUrl || !execution.pollMode) throw new Error('resumeFollowing needs a recorded poll URL');
    const initial = resumedAnswer(execution.pollMode, execution.pollUrl, execution.correlationId);
    const lease = deps.leases && leaseGrantedAt !== undefined ? deps.leases.hold(request.id, leaseGrantedAt) : undefined;
    return followInBackground(request, SYSTEM_ACTOR, execution.actingIdentity, deps.armClientFor(credential), initial, provenance, lease);
  }

  return {
    executeRequest,
    resumeFollowing,
    /** Whether this process is following the request's long-running operation right now. */
    isFollowing: (requestId: string) => following.has(requestId),
    /** Stops following long-running operations (their requests stay `executing`) and waits for the followers to end. */
    async close(): Promise<void> {
      shutdown.abort();
      await Promise.allSettled([...background]);
    },
  };
}

export type RequestExecutor = ReturnType<typeof createRequestExecutor>;
