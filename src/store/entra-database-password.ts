import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { StoreError } from './store-errors.ts';

/**
 * The scope of Azure Database for PostgreSQL's Entra tokens ("ossrdbms-aad"), per
 * https://learn.microsoft.com/azure/postgresql/flexible-server/how-to-configure-sign-in-azure-ad-authentication
 */
export const POSTGRES_ENTRA_SCOPE = 'https://ossrdbms-aad.database.windows.net/.default';

/** Fetch a new token this long before the cached one expires. */
export const DEFAULT_REFRESH_SKEW_MS = 5 * 60_000;

export interface EntraPasswordOptions {
  /** Milliseconds since the epoch; the real clock unless a test injects one. */
  now?: () => number;
  refreshSkewMs?: number;
}

/**
 * A `pg` password function that answers with a Microsoft Entra access token (the page above: the
 * token is the password of the Entra principal's role). `pg` calls it for each new pool connection,
 * so a token must be valid when a connection signs in: it is cached, and fetched again once it is
 * within `refreshSkewMs` of expiry or past the credential's own `refreshAfterTimestamp`.
 * Concurrent sign-ins share one fetch; a failed fetch is not cached, so the next sign-in retries.
 * The token is handed to `pg` only, never logged, and a credential's error is reported without it.
 */
export function entraDatabasePassword(credential: TokenCredential, opts: EntraPasswordOptions = {}): () => Promise<string> {
  const now = opts.now ?? Date.now;
  const skew = opts.refreshSkewMs ?? DEFAULT_REFRESH_SKEW_MS;
  let cached: AccessToken | undefined;
  let inFlight: Promise<AccessToken> | undefined;

  const stale = (t: AccessToken) => {
    const at = now();
    return at >= t.expiresOnTimestamp - skew || (t.refreshAfterTimestamp !== undefined && at >= t.refreshAfterTimestamp);
  };

  const fetch = async (): Promise<AccessToken> => {
    let token: AccessToken | null;
    try {
      token = await credential.getToken(POSTGRES_ENTRA_SCOPE);
    } catch (err) {
      throw new StoreError(`PostgreSQL sign-in: no Microsoft Entra token for ${POSTGRES_ENTRA_SCOPE} (${(err as Error).name}: ${(err as Error).message.split('\n')[0]})`);
    }
    if (!token?.token) throw new StoreError(`PostgreSQL sign-in: the credential returned no token for ${POSTGRES_ENTRA_SCOPE}`);
    return token;
  };

  return async () => {
    if (cached && !stale(cached)) return cached.token;
    inFlight ??= fetch().finally(() => {
      inFlight = undefined;
    });
    const token = await inFlight;
    cached = token;
    return token.token;
  };
}
