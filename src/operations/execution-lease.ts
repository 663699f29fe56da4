/**
 * The lease an instance holds on an execution it runs, when several instances share the database
 * (issue 16). Liveness alone (instance-liveness.ts) cannot tell a dead instance from one whose
 * liveness session dropped for a moment: both free its lock. So a reconciler takes another
 * instance's execution over only once that lock is free AND the execution's lease has run out by
 * the database's clock (`claimExecution`, migration 020), and the instance running it:
 * - renews the lease through its pool (not the liveness session) every third of its length, while
 *   it sends the operation or follows it;
 * - stops talking to ARM about it (the signal aborts the call or the polling in flight) a sixth of
 *   the lease before it would run out, counted on its own monotonic clock from just before the
 *   statement that last wrote it (so never later than the database's expiry, whatever the wall
 *   clocks say), when it could not renew it;
 * - stops at once when a renewal finds the execution no longer names it (taken over).
 * So when another instance takes an execution over, the one that ran it no longer waits on ARM
 * for it: the operation was never sent twice (the start gate), and now no two instances follow
 * or record it at once. What may remain: an answer that reached the old holder just before its
 * lease ran out and whose write reached the database after the takeover; it is audited as
 * `operation.execution.late_result` (request-execution.ts).
 * A shutdown that stops following hands the lease back, so another instance takes over at once.
 * With one process per database (SQLite) nobody else can take over, and no lease is kept.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from '../observability/logger.ts';

export interface ExecutionLeaseStore {
  renewExecutionLease(requestId: string, instanceId: string, leaseMs: number): Promise<boolean>;
  releaseExecutionLease(requestId: string, instanceId: string): Promise<void>;
}

export interface ExecutionLeaseOptions {
  store: ExecutionLeaseStore;
  instanceId: string;
  /** ELEVATE_EXECUTION_LEASE_SECONDS in ms. */
  leaseMs: number;
  /** A monotonic clock in ms (default: performance.now). */
  monotonic?: () => number;
  logger?: Logger | undefined;
}

/** Why an execution's signal aborted: this instance may no longer act on it. */
export class ExecutionLeaseLostError extends Error {
  override name = 'ExecutionLeaseLostError';
}

export interface ExecutionLeaseHold {
  /** Aborts (with an ExecutionLeaseLostError) once this instance may no longer act on the execution. */
  readonly signal: AbortSignal;
  /** Stops renewing; `handBack`: also gives the lease up, so another instance may take over at once. */
  end(options?: { handBack?: boolean }): Promise<void>;
}

export interface ExecutionLeases {
  readonly leaseMs: number;
  /** The monotonic time to take just before sending a statement that writes a lease. */
  now(): number;
  /** Holds the lease of `requestId`, written by a statement sent at `grantedAt` (this.now()). */
  hold(requestId: string, grantedAt: number): ExecutionLeaseHold;
}

export function createExecutionLeases(opts: ExecutionLeaseOptions): ExecutionLeases {
  const monotonic = opts.monotonic ?? (() => performance.now());
  const leaseMs = opts.leaseMs;
  // Stop this long before the lease could run out: a timer firing late on a busy event loop, and
  // the two clocks' rates, must not carry a call past the database's expiry.
  const margin = leaseMs / 6;
  const renewEvery = leaseMs / 3;

  function hold(requestId: string, grantedAt: number): ExecutionLeaseHold {
    const controller = new AbortController();
    let validUntil = grantedAt + leaseMs - margin;
    let fence: NodeJS.Timeout | undefined;
    let renewing = false;
    let ended = false;

    const stop = () => {
      ended = true;
      clearInterval(renewer);
      clearTimeout(fence);
    };
    const lose = (why: string) => {
      if (controller.signal.aborted) return;
      stop();
      opts.logger?.warn({ requestId, instance: opts.instanceId, reason: why }, 'this instance no longer holds the execution; it stops talking to ARM about it');
      controller.abort(new ExecutionLeaseLostError(`this instance no longer holds the execution: ${why}`));
    };
    const arm = () => {
      clearTimeout(fence);
      const left = validUntil - monotonic();
      if (left <= 0) return lose('its lease ran out before it could be renewed');
      fence = setTimeout(() => lose('its lease ran out before it could be renewed'), left);
      fence.unref();
    };
    const renewer = setInterval(() => {
      if (renewing || ended) return;
      renewing = true;
      const sentAt = monotonic();
      opts.store
        .renewExecutionLease(requestId, opts.instanceId, leaseMs)
        .then((renewed) => {
          if (ended) return;
          if (!renewed) return lose('another instance took it over');
          validUntil = Math.max(validUntil, sentAt + leaseMs - margin);
          arm();
        })
        .catch((err: unknown) => {
          // Kept until it runs out: the next renewal may get through.
          opts.logger?.warn({ requestId, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'renewing an execution lease failed; retrying');
        })
        .finally(() => {
          renewing = false;
        });
    }, renewEvery);
    renewer.unref();
    arm();

    return {
      signal: controller.signal,
      async end(options = {}) {
        const held = !controller.signal.aborted;
        stop();
        if (options.handBack && held) {
          await opts.store
            .releaseExecutionLease(requestId, opts.instanceId)
            .catch((err: unknown) => opts.logger?.warn({ requestId, reason: err instanceof Error ? err.message.split('\n')[0] : String(err) }, 'handing an execution lease back failed; it runs out by itself'));
        }
      },
    };
  }

  return { leaseMs, now: monotonic, hold };
}
