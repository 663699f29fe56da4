import type { AzureEndpoints } from '../azure/azure-endpoints.ts';
import type { Database } from '../store/database.ts';
import { readMigrations } from '../store/migrations.ts';
import type { ReadinessCheck } from '../web/readiness.ts';

/**
 * The database answers a query within `timeoutMs` (on PostgreSQL: the pool hands out a working
 * connection, opening a new one if the old ones died). A lost database makes the instance not
 * ready; nothing needs resetting when it is back, as the pool reconnects on the next check.
 */
export function databaseCheck(db: Pick<Database, 'get'>, timeoutMs = 1_500): ReadinessCheck {
  return {
    name: 'database',
    check: async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          db.get('SELECT 1 AS ok'),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`the database did not answer within ${timeoutMs} ms`)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Every migration this build knows is applied (another process may have rolled the file back). */
export function migrationsCheck(db: Pick<Database, 'get'>, migrationsDir?: string): ReadinessCheck {
  const newest = Math.max(0, ...readMigrations(migrationsDir).map((m) => m.version));
  return {
    name: 'migrations',
    check: async () => {
      const row = await db.get<{ version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations');
      const applied = row?.version ?? 0;
      if (applied < newest) throw new Error(`schema at version ${applied}, this build needs ${newest}`);
    },
  };
}

/** Policies were loaded and validated (start fails otherwise; a future reload can clear them). */
export function policiesCheck(loaded: () => boolean): ReadinessCheck {
  return {
    name: 'policies',
    check: () => {
      if (!loaded()) throw new Error('policies are not loaded');
    },
  };
}

/**
 * The identity provider's OpenID discovery document is reachable and names the expected issuer:
 * the sandbox in sandbox mode (which also proves this process trusts the sandbox CA), Entra ID
 * otherwise.
 */
export function identityDiscoveryCheck(endpoints: Pick<AzureEndpoints, 'openIdConfigurationUrl' | 'authority' | 'mode'>, timeoutMs = 2_500): ReadinessCheck {
  return {
    name: endpoints.mode === 'sandbox' ? 'sandbox-discovery' : 'entra-discovery',
    check: async () => {
      const res = await fetchWithCause(endpoints.openIdConfigurationUrl, timeoutMs);
      if (!res.ok) throw new Error(`discovery answered HTTP ${res.status}`);
      const doc = (await res.json()) as { issuer?: unknown };
      if (doc.issuer !== `${endpoints.authority}/v2.0`) throw new Error('discovery names an unexpected issuer');
    },
  };
}

/** fetch's own message is just "fetch failed"; the cause (ECONNREFUSED, a TLS error) is what helps. */
async function fetchWithCause(url: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`discovery unreachable: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
}
