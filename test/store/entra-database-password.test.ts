import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { entraDatabasePassword, POSTGRES_ENTRA_SCOPE } from '../../src/store/entra-database-password.ts';
import { StoreError } from '../../src/store/store-errors.ts';

const MINUTE = 60_000;

/** A credential handing out numbered tokens valid for `lifetimeMs` from the injected clock. */
class FakeCredential implements TokenCredential {
  calls: (string | string[])[] = [];
  failNext: Error | undefined;
  refreshAfter: number | undefined;
  private pending: (() => void)[] = [];
  gate = false;
  constructor(
    private readonly clock: { now: number },
    private readonly lifetimeMs = 60 * MINUTE,
  ) {}

  async getToken(scopes: string | string[], _opts?: GetTokenOptions): Promise<AccessToken | null> {
    this.calls.push(scopes);
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      throw err;
    }
    const token: AccessToken = {
      token: `token-${this.calls.length}`,
      expiresOnTimestamp: this.clock.now + this.lifetimeMs,
      ...(this.refreshAfter === undefined ? {} : { refreshAfterTimestamp: this.refreshAfter }),
    };
    if (!this.gate) return token;
    return new Promise((resolve) => this.pending.push(() => resolve(token)));
  }

  release(): void {
    for (const r of this.pending.splice(0)) r();
  }
}

describe('entraDatabasePassword', () => {
  it('asks for the Azure Database for PostgreSQL scope and reuses the token until 5 minutes before expiry', async () => {
    const clock = { now: 1_000_000 };
    const credential = new FakeCredential(clock);
    const password = entraDatabasePassword(credential, { now: () => clock.now });
    expect(await password()).toBe('token-1');
    expect(credential.calls).toEqual([POSTGRES_ENTRA_SCOPE]);
    expect(POSTGRES_ENTRA_SCOPE).toBe('https://ossrdbms-aad.database.windows.net/.default');

    clock.now += 54 * MINUTE; // 6 minutes left
    expect(await password()).toBe('token-1');
    clock.now += 1 * MINUTE; // 5 minutes left: refresh
    expect(await password()).toBe('token-2');
    expect(credential.calls).toHaveLength(2);
    clock.now += 10 * MINUTE;
    expect(await password()).toBe('token-2');
  });

  it('honours a custom skew and the credential\'s refreshAfterTimestamp', async () => {
    const clock = { now: 0 };
    const credential = new FakeCredential(clock);
    credential.refreshAfter = 30 * MINUTE;
    const password = entraDatabasePassword(credential, { now: () => clock.now, refreshSkewMs: 0 });
    expect(await password()).toBe('token-1');
    clock.now = 30 * MINUTE - 1;
    expect(await password()).toBe('token-1');
    credential.refreshAfter = undefined;
    clock.now = 30 * MINUTE;
    expect(await password()).toBe('token-2');
    clock.now = 90 * MINUTE - 1; // token-2 expires at 90 min, skew 0
    expect(await password()).toBe('token-2');
    clock.now = 90 * MINUTE;
    expect(await password()).toBe('token-3');
  });

  it('shares one fetch between concurrent sign-ins', async () => {
    const clock = { now: 0 };
    const credential = new FakeCredential(clock);
    credential.gate = true;
    const password = entraDatabasePassword(credential, { now: () => clock.now });
    const both = Promise.all([password(), password(), password()]);
    await Promise.resolve();
    credential.release();
    expect(await both).toEqual(['token-1', 'token-1', 'token-1']);
    expect(credential.calls).toHaveLength(1);
  });

  it('does not cache a failure, and reports it without a token', async () => {
    const clock = { now: 0 };
    const credential = new FakeCredential(clock);
    credential.failNext = Object.assign(new Error('ManagedIdentityCredential: no identity endpoint\nstack-ish detail'), { name: 'CredentialUnavailableError' });
    const password = entraDatabasePassword(credential, { now: () => clock.now });
    const err = await password().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toBe(
      `PostgreSQL sign-in: no Microsoft Entra token for ${POSTGRES_ENTRA_SCOPE} (CredentialUnavailableError: ManagedIdentityCredential: no identity endpoint)`,
    );
    expect(await password()).toBe('token-2');
  });

  it('refuses an empty answer from the credential', async () => {
    const password = entraDatabasePassword({ getToken: async () => null });
    await expect(password()).rejects.toThrow(new StoreError(`PostgreSQL sign-in: the credential returned no token for ${POSTGRES_ENTRA_SCOPE}`));
  });
});
