import { describe, expect, it } from 'vitest';
import { isLoopback, parsePostgresUrl } from '../../src/store/postgres-url.ts';
import { StoreError } from '../../src/store/store-errors.ts';

const SECRET = 'S3cr%40t-pa55';

/** Every refusal is a StoreError whose message does not carry the password, raw or decoded. */
function refusal(url: string): string {
  let caught: unknown;
  try {
    parsePostgresUrl(url);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(StoreError);
  const message = (caught as Error).message;
  expect(message).not.toContain('S3cr');
  expect(message).not.toContain('pa55');
  return message;
}

describe('parsePostgresUrl', () => {
  it('reads a loopback URL with a password: no TLS by default, port 5432, 10 s connect timeout', () => {
    expect(parsePostgresUrl(`postgres://elevate:${SECRET}@127.0.0.1/elevate`)).toEqual({
      host: '127.0.0.1',
      port: 5432,
      database: 'elevate',
      user: 'elevate',
      password: 'S3cr@t-pa55',
      authentication: 'password',
      tls: 'disable',
      connectTimeoutMs: 10_000,
      display: 'postgres://elevate@127.0.0.1/elevate',
    });
  });

  it('requires verified TLS off loopback, by default and when asked for', () => {
    const remote = parsePostgresUrl(`postgresql://app:${SECRET}@db.example.org:6432/prod?sslmode=verify-full&application_name=elevate-a&connect_timeout=3`);
    expect(remote).toMatchObject({ host: 'db.example.org', port: 6432, tls: 'verify-full', applicationName: 'elevate-a', connectTimeoutMs: 3000 });
    expect(remote.display).toBe('postgres://app@db.example.org:6432/prod');
    expect(JSON.stringify(remote.display)).not.toContain('S3cr');
    expect(parsePostgresUrl(`postgres://app:${SECRET}@db.example.org/prod`).tls).toBe('verify-full');
  });

  it('refuses sslmode=disable and the non-verifying modes off loopback', () => {
    expect(refusal(`postgres://app:${SECRET}@db.example.org/prod?sslmode=disable`)).toMatch(/sslmode=disable is refused for db\.example\.org/);
    for (const mode of ['allow', 'prefer', 'require', 'verify-ca']) {
      expect(refusal(`postgres://app:${SECRET}@db.example.org/prod?sslmode=${mode}`)).toMatch(new RegExp(`sslmode=${mode} does not verify`));
    }
    expect(refusal(`postgres://app:${SECRET}@127.0.0.1/prod?sslmode=require`)).toMatch(/use verify-full/);
    expect(refusal(`postgres://app:${SECRET}@127.0.0.1/prod?sslmode=on`)).toMatch(/sslmode must be verify-full or disable/);
  });

  it('accepts verified TLS on loopback too', () => {
    expect(parsePostgresUrl(`postgres://app:${SECRET}@localhost/db?sslmode=verify-full`).tls).toBe('verify-full');
  });

  it('selects Entra authentication on a URL without a password', () => {
    const s = parsePostgresUrl('postgres://elevate-identity@srv.postgres.database.azure.com/elevate?authentication=entra');
    expect(s).toMatchObject({ user: 'elevate-identity', authentication: 'entra', tls: 'verify-full' });
    expect(s).not.toHaveProperty('password');
    expect(parsePostgresUrl('postgres://someone%40contoso.com@srv.example/db?authentication=entra').user).toBe('someone@contoso.com');
    expect(refusal(`postgres://app:${SECRET}@srv.example/db?authentication=entra`)).toMatch(/remove the password/);
    expect(refusal('postgres://app@srv.example/db')).toMatch(/no password/);
    expect(refusal(`postgres://app:${SECRET}@srv.example/db?authentication=kerberos`)).toMatch(/authentication must be password or entra/);
  });

  it('refuses malformed URLs without echoing them', () => {
    expect(refusal(`postgres://app:${SECRET}@[oops/db`)).toMatch(/not a valid URL/);
    expect(refusal(`not a url ${SECRET}`)).toMatch(/not a valid URL/);
    expect(refusal(`mysql://app:${SECRET}@h/db`)).toMatch(/scheme must be postgres/);
    expect(refusal(`postgres://app:${SECRET}@h`)).toMatch(/one database name/);
    expect(refusal(`postgres://app:${SECRET}@h/a/b`)).toMatch(/one database name/);
    expect(refusal(`postgres://:${SECRET}@h/db`)).toMatch(/no user name/);
    expect(refusal(`postgres://app:${SECRET}@h:0/db`)).toMatch(/port 0/);
    expect(refusal(`postgres://app:${SECRET}@h:99999/db`)).toMatch(/not a valid URL/);
    expect(refusal(`postgres://app:${SECRET}@h/db#x`)).toMatch(/fragment/);
    expect(refusal(`postgres://app:S3cr%zzpa55@h/db`)).toMatch(/password is not valid percent-encoding/);
  });

  it('refuses unknown, repeated or malformed query parameters (a misspelt sslmode must not mean no TLS)', () => {
    expect(refusal(`postgres://app:${SECRET}@h/db?ssl_mode=verify-full`)).toMatch(/unknown parameter ssl_mode/);
    expect(refusal(`postgres://app:${SECRET}@h/db?sslmode=verify-full&sslmode=disable`)).toMatch(/more than once/);
    expect(refusal(`postgres://app:${SECRET}@h/db?connect_timeout=0`)).toMatch(/connect_timeout/);
    expect(refusal(`postgres://app:${SECRET}@h/db?connect_timeout=2.5`)).toMatch(/connect_timeout/);
  });

  it('knows loopback hosts', () => {
    for (const h of ['localhost', 'LOCALHOST', '127.0.0.1', '127.8.9.10', '::1']) expect(isLoopback(h)).toBe(true);
    for (const h of ['128.0.0.1', '10.0.0.1', 'localhost.example.org', '::2', 'db', '0.0.0.0']) expect(isLoopback(h)).toBe(false);
    expect(parsePostgresUrl(`postgres://app:${SECRET}@[::1]:5433/db`)).toMatchObject({ host: '::1', port: 5433, tls: 'disable' });
  });
});
