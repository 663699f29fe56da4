import type { TokenCredential } from '@azure/core-auth';
import { describe, expect, it } from 'vitest';
import { poolConfig } from '../../src/store/postgres-pool-config.ts';
import { parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { StoreError } from '../../src/store/store-errors.ts';

const credential: TokenCredential = { getToken: async () => ({ token: 'tok', expiresOnTimestamp: Date.now() + 3_600_000 }) };

describe('poolConfig', () => {
  it('verifies the certificate and host name off loopback, and makes sessions read-only unless a write begins READ WRITE', () => {
    const config = poolConfig(parsePostgresUrl('postgres://app:pw@db.example.org:6432/prod?application_name=elevate-a&connect_timeout=3'));
    expect(config).toMatchObject({
      host: 'db.example.org',
      port: 6432,
      database: 'prod',
      user: 'app',
      password: 'pw',
      ssl: { rejectUnauthorized: true },
      application_name: 'elevate-a',
      connectionTimeoutMillis: 3000,
      options: '-c default_transaction_read_only=on',
      keepAlive: true,
      max: 10,
    });
    expect(config.types?.getTypeParser(20, 'text')('42')).toBe(42);
  });

  it('uses plain TCP on loopback only when the URL allows it', () => {
    expect(poolConfig(parsePostgresUrl('postgres://app:pw@127.0.0.1/db')).ssl).toBe(false);
    expect(poolConfig(parsePostgresUrl('postgres://app:pw@127.0.0.1/db?sslmode=verify-full')).ssl).toEqual({ rejectUnauthorized: true });
  });

  it('answers Entra sign-ins with a token function, and needs a credential for it', async () => {
    const settings = parsePostgresUrl('postgres://elevate-identity@srv.postgres.database.azure.com/elevate?authentication=entra');
    const config = poolConfig(settings, { credential });
    expect(typeof config.password).toBe('function');
    expect(await (config.password as () => Promise<string>)()).toBe('tok');
    expect(() => poolConfig(settings)).toThrow(
      new StoreError('database postgres://elevate-identity@srv.postgres.database.azure.com/elevate: authentication=entra needs an Azure credential'),
    );
  });

  it('checks the pool size and busy timeout', () => {
    const settings = parsePostgresUrl('postgres://app:pw@127.0.0.1/db');
    expect(poolConfig(settings, { poolSize: 3 }).max).toBe(3);
    expect(() => poolConfig(settings, { poolSize: 0 })).toThrow(/poolSize must be a whole number from 1/);
    expect(() => poolConfig(settings, { busyTimeoutMs: -1 })).toThrow(/busyTimeoutMs must be a whole number/);
    expect(() => poolConfig(settings, { busyTimeoutMs: 1.5 })).toThrow(/busyTimeoutMs/);
  });
});
