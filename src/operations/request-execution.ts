/**
 * Runs an approved request against ARM, at most once, ever:
 * 1. `approved -> executing` compare-and-set: the single gate (a racing second caller loses);
 * 2. an `executions` row keyed by request id: the second lock, should the first be bypassed;
 * 3. the stored operation must still hash to the hash recorded at request time, or it is refused;
 * 4. the ARM call is audited before it is sent; its answer is recorded with the succeed/fail
 *    transition (and, for a long-running operation, ARM's acceptance as soon as it comes).
 * The credential is a parameter: the agent's UAMI for direct executions and consented writes,
 * a one-off OBO credential (the approval flow) for elevations.
 */
import { randomUUID } from 'node:crypto';
import type { TokenCredential } from '@azure/core-auth';
import type { AuditActor } from '../audit/audit-types.ts';
import { armError, followArmOperation, type ArmOperationResult } from '../azure/arm-long-running-operation.ts';
import type { ArmPipelineClient, ArmResponse } from '../azure/arm-pipeline-client.ts';
import { buildArmUrl } from '../azure/arm-request-target.ts';
import type { Logger } from '../observability/logger.ts';
import { armRequestEntry, armResponseEntry, SYSTEM_ACTOR } from './operation-audit.ts';
import { operationHash } from './operation-hash.ts';
import type { OperationRequestStore } from './operation-request-store.ts';
import type { ArmResult, JsonValue, OperationRequest } from './operation-types.ts';
import { AuditUnavailableError, type AuditSink, type RequestLifecycle } from './request-lifecycle.ts';

export interface ExecutionDeps {
  store: OperationRequestStore;
  lifecycle: RequestLifecycle;
  audit: AuditSink;
  /** An ARM client acting as `credential` (cached per credential by the caller). */
  armClientFor(credential: TokenCredential): ArmPipelineClient;
  armEndpoint: string;
  clock: () => Date;
  logger?: Logger | undefined;
  /** How long executeRequest waits for a long-running operation before answering `executing`. */
  waitMs?: number;
  /** How long a long-running operation is followed in the background before it is left `executing`. */
  followMs?: number;
  pollIntervalMs?: number;
}

export interface ExecuteOptions {
  /** Who triggered the execution, for the audit log (default: Elevate itself). */
  actor?: AuditActor;
  /** Overrides `waitMs` for this call. */
  waitMs?: number;
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
  const now = () => deps.clock().toISOString();

  async function finish(request: OperationRequest, actor: AuditActor, actingIdentity: string, result: ArmOperationResult): Promise<OperationRequest> {
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
        status: arm.status,
        correlationId: arm.correlationId ?? null,
        armRequestId: arm.armRequestId ?? null,
        polls: result.polls,
        ...(error ? { error: { code: error.code, message: error.message } } : {}),
      },
    });
    return outcome.ok ? outcome.request : request;
  }

  async function failBeforeArm(request: OperationRequest, actor: AuditActor, actingIdentity: string, code: string, message: string): Promise<OperationRequest> {
    await deps.store.finishExecution(request.id, now(), 'failed');
    const outcome = await deps.lifecycle.apply(request, { event: 'fail', actor, actingIdentity, fields: { error: { code, message } }, details: { error: { code, message } } });
    return outcome.ok ? outcome.request : request;
  }

  async function executeRequest(requestId: string, credential: TokenCredential, actingIdentity: string, options: ExecuteOptions = {}): Promise<ExecutionOutcome> {
    const actor = options.actor ?? SYSTEM_ACTOR;
    const stored = await deps.store.get(requestId);
    if (!stored) return { ok: false, code: 'not_found', message: 'no such request' };
    const gate = await deps.lifecycle.apply(stored.request, { event: 'start', actor, actingIdentity, details: { operationHash: stored.request.operationHash } });
    if (!gate.ok) return { ok: false, code: gate.code === 'not_found' ? 'not_found' : 'not_approved', message: gate.message, ...(gate.code === 'invalid_state' ? { request: gate.request } : {}) };
    const request = gate.request;

    if (!(await deps.store.insertExecution({ requestId, actingIdentity, operationHash: request.operationHash, startedAt: now() }))) {
      // Unreachable unless the state column was tampered with: the request already ran once.
      const current = await failBeforeArm(request, actor, actingIdentity, 'already_executed', 'this request has already been executed once; it is never executed again');
      return { ok: true, request: current, authorizationFailed: false };
    }
    if (operationHash(request.operation) !== request.operationHash) {
      const current = await failBeforeArm(request, actor, actingIdentity, 'operation_mismatch', 'the stored operation no longer matches the one requested (hash differs); refused');
      return { ok: true, request: current, authorizationFailed: false };
    }

    const op = request.operation;
    const correlationId = randomUUID();
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
      initial = await client.armRequest({ method: op.method, path: op.path, apiVersion: op.apiVersion, body: op.body, correlationId, purpose: 'operation' });
    } catch (err) {
      const message = err instanceof Error ? err.message.split('\n')[0]!.slice(0, 500) : 'ARM request failed';
      deps.logger?.warn({ requestId, correlationId, reason: message }, 'ARM call for a request failed without a response');
      const current = await failBeforeArm(request, actor, actingIdentity, 'arm_unreachable', message);
      return { ok: true, request: current, authorizationFailed: false };
    }
    const lro = longRunning(initial);
    if (lro) {
      // The final answer may be minutes away: record ARM's acceptance now. (A direct answer is
      // recorded with the succeed/fail transition that follows at once.) ARM has acted by now,
      // so a failed append is logged and the request still records the result.
      const firstError = initial.status >= 400 ? armError(initial) : undefined;
      await deps.audit
        .append(armResponseEntry(request, actor, actingIdentity, { status: initial.status, correlationId, armRequestId: initial.requestId, error: firstError, longRunning: true }))
        .catch((err: unknown) => deps.logger?.error({ err, requestId, correlationId }, 'audit append of an ARM response failed'));
      await deps.store.recordArm(request.id, 'executing', now(), { status: initial.status, correlationId, armRequestId: initial.requestId, asyncStatus: 'running' });
    }

    const resourceUrl = buildArmUrl(deps.armEndpoint, op.path, op.apiVersion);
    const follow = followArmOperation(
      { method: op.method, resourceUrl, initial, get: client.armGetUrl, armEndpoint: deps.armEndpoint },
      { timeoutMs: followMs, abortSignal: shutdown.signal, ...(deps.pollIntervalMs ? { pollIntervalMs: deps.pollIntervalMs } : {}) },
    )
      .then((result) => finish(request, actor, actingIdentity, result))
      .catch(async (err: unknown) => {
        deps.logger?.warn({ err, requestId, correlationId }, 'recording the ARM result stopped; the request stays executing');
        return (await deps.store.get(requestId).catch(() => undefined))?.request ?? request;
      });
    const tracked = follow.finally(() => background.delete(tracked));
    background.add(tracked);

    const limit = options.waitMs ?? waitMs;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([follow.then(() => true), new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limit)))]);
    clearTimeout(timer);
    const current = finished ? await follow : ((await deps.store.get(requestId))?.request ?? request);
    const authorizationFailed =
      current.state === 'failed' && current.arm?.status === 403 && AUTHORIZATION_FAILED.has((current.error?.code ?? '').toLowerCase());
    return { ok: true, request: current, authorizationFailed };
  }

  return {
    executeRequest,
    /** Stops following long-running operations (their requests stay `executing`) and waits for the followers to end. */
    async close(): Promise<void> {
      shutdown.abort();
      await Promise.allSettled([...background]);
    },
  };
}

export type RequestExecutor = ReturnType<typeof createRequestExecutor>;
