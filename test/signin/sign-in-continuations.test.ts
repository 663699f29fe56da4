import { describe, expect, it } from 'vitest';
import type { CompletedSignIn } from '../../src/signin/complete-sign-in.ts';
import { isFreshSignInFor, SignInContinuations } from '../../src/signin/sign-in-continuations.ts';

const NOW = 2_000_000;

function signIn(overrides: Partial<CompletedSignIn> = {}, authTime: number | null = NOW - 10): CompletedSignIn {
  return {
    user: {
      oid: '60ca6263-4c86-46fc-b376-b14ef1e7ff91',
      tid: '26d07dfe-13eb-44c6-bbdf-5d359fd60c0c',
      upn: 'ada.admin@contoso-sre.onmicrosoft.com',
      name: 'Ada Admin',
      roles: ['administrator'],
      authTime,
      signedInAt: NOW,
    },
    boundTo: { kind: 'approval', requestId: 'req-1' },
    startedAt: NOW - 30,
    promptedLogin: true,
    authenticatedDuringFlow: true,
    authenticatedAt: authTime,
    authenticationSource: authTime === null ? 'none' : 'auth_time',
    apiToken: undefined,
    returnTo: '/',
    ...overrides,
  };
}

describe('isFreshSignInFor', () => {
  const binding = { kind: 'approval', requestId: 'req-1' };

  it('accepts a sign-in bound to this request with credentials entered just now', () => {
    expect(isFreshSignInFor(signIn(), binding, 300, NOW)).toBe(true);
  });

  it('refuses a sign-in bound to another request', () => {
    expect(isFreshSignInFor(signIn({ boundTo: { kind: 'approval', requestId: 'req-2' } }), binding, 300, NOW)).toBe(false);
  });

  it('refuses a sign-in bound to another kind of continuation', () => {
    expect(isFreshSignInFor(signIn({ boundTo: { kind: 'other', requestId: 'req-1' } }), binding, 300, NOW)).toBe(false);
  });

  it('refuses an unbound sign-in', () => {
    expect(isFreshSignInFor(signIn({ boundTo: undefined }), binding, 300, NOW)).toBe(false);
  });

  it('refuses a sign-in that did not force credentials (no prompt=login)', () => {
    expect(isFreshSignInFor(signIn({ promptedLogin: false }), binding, 300, NOW)).toBe(false);
  });

  it('refuses when the tenant reused an authentication from before the flow', () => {
    expect(isFreshSignInFor(signIn({ authenticatedDuringFlow: false }), binding, 300, NOW)).toBe(false);
  });

  it('refuses an authentication older than the allowed age', () => {
    expect(isFreshSignInFor(signIn({}, NOW - 301), binding, 300, NOW)).toBe(false);
  });

  it('refuses when nothing proves when the user authenticated', () => {
    expect(isFreshSignInFor(signIn({ authenticatedAt: null }, null), binding, 300, NOW)).toBe(false);
  });

  it('accepts a prompt=login sign-in without auth_time, aged from the start of its flow', () => {
    const without = (startedAt: number) => signIn({ startedAt, authenticatedAt: startedAt, authenticationSource: 'prompt_login' }, null);
    expect(isFreshSignInFor(without(NOW - 300), binding, 300, NOW)).toBe(true);
    expect(isFreshSignInFor(without(NOW - 301), binding, 300, NOW)).toBe(false);
  });
});

describe('SignInContinuations', () => {
  it('returns the registered continuation by kind', () => {
    const continuations = new SignInContinuations();
    const handler = async () => undefined;
    continuations.register('approval', handler);
    expect(continuations.get('approval')).toBe(handler);
    expect(continuations.get('other')).toBeUndefined();
  });

  it('refuses a second registration and odd kind names', () => {
    const continuations = new SignInContinuations();
    continuations.register('approval', async () => undefined);
    expect(() => continuations.register('approval', async () => undefined)).toThrow(/already registered/);
    expect(() => continuations.register('../x', async () => undefined)).toThrow(/lower-case/);
  });
});
