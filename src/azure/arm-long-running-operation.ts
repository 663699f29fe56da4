import { setTimeout as delay } from 'node:timers/promises';
import type { ArmResponse } from './arm-response.ts';
import type { ArmMethod } from './arm-request-target.ts';
import { isOnArmEndpoint } from './arm-request-target.ts';

export type ArmOperationState = 'succeeded' | 'failed' | 'canceled' | 'running';

export interface ArmOperationResult {
  state: ArmOperationState;
  initial: ArmResponse;
  /** The last response seen (the final resource GET when there was one). */
  last: ArmResponse;
  /** Where to keep polling when `state` is `running` (the deadline came first). */
  pollUrl?: string;
  /** ARM's `error.code`/`error.message` when the operation failed or was canceled. */
  error?: { code: string; message: string };
  polls: number;
}

export interface ArmOperationOptions {
  /** Give up waiting after this long and report `running`; the operation itself goes on in Azure. */
  timeoutMs: number;
  /** Wait between polls when ARM sends no Retry-After. */
  pollIntervalMs?: number;
  /** Upper bound on a Retry-After ARM asks for. */
  maxPollIntervalMs?: number;
  abortSignal?: AbortSignal;
}

export interface ArmOperationContext {
  method: ArmMethod;
  /** The resource the request addressed (final GET target for PUT/PATCH). */
  resourceUrl: string;
  initial: ArmResponse;
  get: (url: string, correlationId: string, abortSignal?: AbortSignal) => Promise<ArmResponse>;
  armEndpoint: string;
}

export type PollMode = 'async-operation' | 'location' | 'provisioning-state';

/**
 * Where ARM says to follow a long-running operation, per the ARM RPC
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations):
 * `Azure-AsyncOperation` first, else `Location` on a 201/202, else the resource itself while a
 * PUT/PATCH body's provisioningState is not terminal. Undefined: the answer is final.
 * The executor records this before waiting, so a restarted service can follow it to its end.
 */
export function pollTargetOf(method: ArmMethod, resourceUrl: string, initial: ArmResponse): { mode: PollMode; url: string } | undefined {
  if (initial.status >= 400) return undefined;
  const asyncUrl = initial.headers['azure-asyncoperation'];
  const locationUrl = initial.headers['location'];
  if ((initial.status === 200 || initial.status === 201 || initial.status === 202) && asyncUrl) return { mode: 'async-operation', url: asyncUrl };
  if ((initial.status === 201 || initial.status === 202) && locationUrl) return { mode: 'location', url: locationUrl };
  const state = provisioningState(initial);
  if ((method === 'PUT' || method === 'PATCH') && state && !TERMINAL[state.toLowerCase()]) return { mode: 'provisioning-state', url: resourceUrl };
  return undefined;
}

/**
 * ARM's first answer as far as a durable execution record keeps it (the poll URL and its kind):
 * what `followArmOperation` needs to go on following after a restart. Never sends the operation.
 */
export function resumedAnswer(mode: PollMode, pollUrl: string, correlationId: string): ArmResponse {
  if (mode === 'async-operation') return { status: 202, headers: { 'azure-asyncoperation': pollUrl }, body: undefined, correlationId, requestId: undefined };
  if (mode === 'location') return { status: 202, headers: { location: pollUrl }, body: undefined, correlationId, requestId: undefined };
  return { status: 201, headers: {}, body: { properties: { provisioningState: 'Updating' } }, correlationId, requestId: undefined };
}

const TERMINAL: Record<string, ArmOperationState> = { succeeded: 'succeeded', failed: 'failed', canceled: 'canceled', cancelled: 'canceled' };

/**
 * Follows an ARM long-running operation per the ARM RPC: `Azure-AsyncOperation` (status document),
 * else `Location` (202 until done), else a PUT/PATCH body whose provisioningState is not terminal.
 * Poll URLs come from ARM's response headers and are followed only on the ARM endpoint itself.
 */
export async function followArmOperation(ctx: ArmOperationContext, options: ArmOperationOptions): Promise<ArmOperationResult> {
  const { initial } = ctx;
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.pollIntervalMs ?? 1_000;
  const maxInterval = options.maxPollIntervalMs ?? 30_000;
  const done = (state: ArmOperationState, last: ArmResponse, polls: number, extra: Partial<ArmOperationResult> = {}): ArmOperationResult => ({
    state,
    initial,
    last,
    polls,
    ...extra,
  });

  if (initial.status >= 400) return done('failed', initial, 0, { error: armError(initial) });
  const locationUrl = initial.headers['location'];
  const target = pollTargetOf(ctx.method, ctx.resourceUrl, initial);
  const mode = target?.mode;
  let pollUrl = target?.url;
  if (!mode || !pollUrl) {
    const state = stateFromProvisioning(initial) ?? 'succeeded';
    return done(state, initial, 0, state === 'succeeded' ? {} : { error: armError(initial) });
  }
  if (!isOnArmEndpoint(ctx.armEndpoint, pollUrl)) {
    return done('failed', initial, 0, { error: { code: 'UntrustedPollUrl', message: 'ARM returned a polling URL outside the ARM endpoint; not followed' } });
  }

  let last = initial;
  let polls = 0;
  for (;;) {
    const wait = Math.min(retryAfterMs(last) ?? interval, maxInterval);
    if (Date.now() + wait > deadline) return done('running', last, polls, { pollUrl });
    await delay(wait, undefined, options.abortSignal ? { signal: options.abortSignal } : undefined);
    last = await ctx.get(pollUrl, initial.correlationId, options.abortSignal);
    polls += 1;
    if (last.status >= 400) return done('failed', last, polls, { error: armError(last) });

    if (mode === 'location') {
      if (last.status === 202) {
        const next = last.headers['location'];
        if (next && next !== pollUrl) {
          if (!isOnArmEndpoint(ctx.armEndpoint, next)) return done('failed', last, polls, { error: { code: 'UntrustedPollUrl', message: 'ARM returned a polling URL outside the ARM endpoint; not followed' } });
          pollUrl = next;
        }
        continue;
      }
      return done('succeeded', last, polls);
    }

    const status = mode === 'async-operation' ? statusField(last) : provisioningState(last);
    const terminal = status ? TERMINAL[status.toLowerCase()] : undefined;
    if (!terminal) continue;
    if (terminal !== 'succeeded') return done(terminal, last, polls, { error: armError(last) });
    if (mode === 'async-operation') {
      // The status document is not the result: fetch the resource (PUT/PATCH) or the Location result (POST).
      const finalUrl = ctx.method === 'PUT' || ctx.method === 'PATCH' ? ctx.resourceUrl : ctx.method === 'POST' ? locationUrl : undefined;
      if (finalUrl && isOnArmEndpoint(ctx.armEndpoint, finalUrl)) {
        const final = await ctx.get(finalUrl, initial.correlationId, options.abortSignal);
        polls += 1;
        if (final.status >= 400) return done('failed', final, polls, { error: armError(final) });
        return done('succeeded', final, polls);
      }
    }
    return done('succeeded', last, polls);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function statusField(response: ArmResponse): string | undefined {
  const status = asRecord(response.body)?.status;
  return typeof status === 'string' ? status : undefined;
}

function provisioningState(response: ArmResponse): string | undefined {
  const state = asRecord(asRecord(response.body)?.properties)?.provisioningState;
  return typeof state === 'string' ? state : undefined;
}

function stateFromProvisioning(response: ArmResponse): ArmOperationState | undefined {
  const state = provisioningState(response);
  return state ? TERMINAL[state.toLowerCase()] : undefined;
}

/** ARM's error object, trimmed; falls back to the HTTP status. */
export function armError(response: ArmResponse): { code: string; message: string } {
  const error = asRecord(asRecord(response.body)?.error);
  const code = typeof error?.code === 'string' ? error.code : `HTTP${response.status}`;
  const message = typeof error?.message === 'string' ? error.message : `ARM answered ${response.status}`;
  return { code: code.slice(0, 100), message: message.slice(0, 1000) };
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unparseable. */
function retryAfterMs(response: ArmResponse): number | undefined {
  const value = response.headers['retry-after'];
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
