/**
 * When ARM answers an elevation with a long-running operation, the executor keeps following it
 * with the same one-time credential after the approval's HTTP answer has gone. This waits (in the
 * background) until the request leaves `executing`, the token is about to expire, or the service
 * shuts down, so the credential is discarded right after its last use and not before.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { OperationRequestStore } from '../operations/operation-request-store.ts';
import type { TokenUseReport } from './obo-execution.ts';

/** Longest hold, whatever the token's lifetime (the executor follows operations for 30 min). */
export const MAX_HOLD_MS = 30 * 60_000;
/** Stop a minute before the token expires: a poll with an expiring token would fail anyway. */
const EXPIRY_MARGIN_MS = 60_000;

export interface HoldInput {
  requests: Pick<OperationRequestStore, 'get'>;
  requestId: string;
  tokenExpiresAt: string;
  clock: () => Date;
  pollMs: number;
  signal: AbortSignal;
  report: TokenUseReport;
}

export async function holdWhileExecuting(x: HoldInput): Promise<void> {
  const until = Math.min(Date.parse(x.tokenExpiresAt) - EXPIRY_MARGIN_MS, x.clock().getTime() + MAX_HOLD_MS);
  while (!x.signal.aborted && x.clock().getTime() < until) {
    await sleep(x.pollMs, undefined, { signal: x.signal }).catch(() => undefined);
    const current = (await x.requests.get(x.requestId).catch(() => undefined))?.request;
    if (!current) return;
    x.report.requestState = current.state;
    x.report.armCorrelationId = current.arm?.correlationId ?? x.report.armCorrelationId;
    x.report.armStatus = current.arm?.status ?? x.report.armStatus;
    if (current.state !== 'executing') return;
  }
}
