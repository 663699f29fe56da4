import type { AccessToken, TokenCredential } from '@azure/core-auth';

export class StaticTokenExpiredError extends Error {
  override name = 'StaticTokenExpiredError';
}

/**
 * A TokenCredential over one already-acquired token (an OBO result used for a single operation).
 * The token lives only in this closure: it is not a property, so it cannot leak through
 * JSON.stringify, util.inspect or a logged object, and it is refused once expired.
 */
export function staticTokenCredential(token: string, expiresOn: Date): TokenCredential {
  const expiresOnTimestamp = expiresOn.getTime();
  const credential: TokenCredential = {
    async getToken(): Promise<AccessToken | null> {
      if (Date.now() >= expiresOnTimestamp) throw new StaticTokenExpiredError('the one-time token has expired');
      return { token, expiresOnTimestamp, tokenType: 'Bearer' };
    },
  };
  return credential;
}
