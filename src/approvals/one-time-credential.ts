/**
 * A TokenCredential over the approver's one-time ARM token that can be discarded. The token is
 * held only in this closure (not a property, so JSON.stringify, util.inspect and loggers cannot
 * reach it); `discard()` drops the reference, after which every getToken fails. JavaScript cannot
 * wipe a string's memory, so "discarded" means: no reference left anywhere in Elevate, and
 * nothing can use it again.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';

export class TokenDiscardedError extends Error {
  override name = 'TokenDiscardedError';
}

export interface OneTimeCredential extends TokenCredential {
  discard(): void;
  readonly discarded: boolean;
}

export function oneTimeCredential(token: string, expiresOn: Date): OneTimeCredential {
  let held: string | undefined = token;
  const expiresOnTimestamp = expiresOn.getTime();
  return {
    async getToken(): Promise<AccessToken | null> {
      if (held === undefined) throw new TokenDiscardedError('the one-time token has been discarded');
      if (Date.now() >= expiresOnTimestamp) throw new TokenDiscardedError('the one-time token has expired');
      return { token: held, expiresOnTimestamp, tokenType: 'Bearer' };
    },
    discard(): void {
      held = undefined;
    },
    get discarded(): boolean {
      return held === undefined;
    },
    toJSON(): string {
      return '[one-time-credential]';
    },
  } as OneTimeCredential & { toJSON(): string };
}
