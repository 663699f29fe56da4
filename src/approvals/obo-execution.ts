/**
 * The approver's Azure permissions, used once: the on-behalf-of exchange of their token for
 * Elevate's API into an ARM token, a one-time credential over it for exactly one request, and the
 * credential discarded in `finally`, whatever happened, followed by a `token.discarded` audit
 * entry (uti as SHA-256, expiry, ARM correlation id and status, time of discard).
 */
import type { TokenCredential } from '@azure/core-auth';
import type { OboExchangeResult } from '../azure/obo-exchange.ts';
import type { Logger } from '../observability/logger.ts';
import type { OperationRequest } from '../operations/operation-types.ts';
import type { AuditSink } from '../operations/request-lifecycle.ts';
import { tokenDiscardedEntry, utiHash } from './approval-audit.ts';
import type { Approver } from './approval-types.ts';
import { oneTimeCredential } from './one-time-credential.ts';
import type { OneTimeTokenRecords } from './one-time-token-records.ts';

export interface OneTimeTokenFacts {
  utiSha256: string | null;
  expiresAt: string;
}

/** What the work done with the token reports for the `token.discarded` entry. */
export interface TokenUseReport {
  used: boolean;
  armCorrelationId: string | null;
  armStatus: number | null;
  requestState: string;
  /**
   * Set when ARM is still running the operation: the executor follows it with the same
   * credential, so the discard waits for this (which must settle by the token's expiry at the
   * latest) and then happens in the background.
   */
  holdUntil?: Promise<void>;
}

export interface OboExecutionDeps {
  exchange(userAssertion: string): Promise<OboExchangeResult>;
  audit: AuditSink;
  clock: () => Date;
  logger?: Logger | undefined;
  /** Keeps a background discard alive for shutdown to wait on. */
  track?: (work: Promise<unknown>) => void;
  /**
   * The durable trace of the exchange: a row before it, marked when the token is discarded, so a
   * token that dies with the process still gets its `token.discarded` entry (token-reconciler.ts).
   */
  tokens: Pick<OneTimeTokenRecords, 'begin' | 'issued' | 'discarded'>;
}

/**
 * Exchanges `userAssertion` (throws OboExchangeError before anything runs), then hands `use` a
 * credential valid for this call only. The ARM token never leaves this function: `use` gets a
 * TokenCredential, the facts get the hash of its id.
 */
export async function withOneTimeArmToken<T>(
  deps: OboExecutionDeps,
  x: { userAssertion: string; request: OperationRequest; approver: Approver },
  use: (credential: TokenCredential, token: OneTimeTokenFacts, report: TokenUseReport) => Promise<T>,
): Promise<T> {
  // Written before the exchange: if the process ends while it holds the token, the next one knows.
  const recordId = await deps.tokens.begin(x.request.id, x.approver, deps.clock().toISOString());
  let exchanged: OboExchangeResult | undefined;
  try {
    exchanged = await deps.exchange(x.userAssertion);
  } catch (err) {
    await deps.tokens.discarded(recordId, deps.clock().toISOString(), 'not_issued').catch(() => undefined);
    throw err;
  }
  const credential = oneTimeCredential(exchanged.accessToken, exchanged.expiresOn);
  const facts: OneTimeTokenFacts = { utiSha256: utiHash(exchanged.uti), expiresAt: exchanged.expiresOn.toISOString() };
  // From here on the credential's closure is the only holder of the token.
  exchanged = undefined;
  await deps.tokens.issued(recordId, facts.utiSha256, facts.expiresAt).catch((err: unknown) => deps.logger?.warn({ err, requestId: x.request.id }, 'could not record the issued token facts'));
  const report: TokenUseReport = { used: false, armCorrelationId: null, armStatus: null, requestState: x.request.state };
  const discard = async () => {
    credential.discard();
    const discardedAt = deps.clock().toISOString();
    await deps.audit
      .append(
        tokenDiscardedEntry(x.request, x.approver, {
          utiSha256: facts.utiSha256,
          tokenExpiresAt: facts.expiresAt,
          discardedAt,
          armCorrelationId: report.armCorrelationId,
          armStatus: report.armStatus,
          requestState: report.requestState,
          used: report.used,
        }),
      )
      // Marked only once the entry is on record; otherwise the reconciler writes it later.
      .then(() => deps.tokens.discarded(recordId, discardedAt, 'after_use'))
      .catch((err: unknown) => deps.logger?.error({ err, requestId: x.request.id }, 'the token.discarded entry could not be audited (the token was discarded)'));
  };
  try {
    return await use(credential, facts, report);
  } finally {
    if (report.holdUntil) {
      const later = report.holdUntil.catch(() => undefined).then(discard);
      deps.track?.(later);
    } else {
      await discard();
    }
  }
}
