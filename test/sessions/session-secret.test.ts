import { describe, expect, it } from 'vitest';
import { resolveSessionSecret } from '../../src/sessions/session-secret.ts';

describe('resolveSessionSecret', () => {
  it('uses the configured secret', () => {
    expect(resolveSessionSecret('x'.repeat(40), 'azure')).toBe('x'.repeat(40));
  });

  it('generates a different strong secret per start in sandbox mode', () => {
    const a = resolveSessionSecret(undefined, 'sandbox');
    const b = resolveSessionSecret(undefined, 'sandbox');
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
  });

  it('refuses to run against a real tenant without one, naming the variable', () => {
    expect(() => resolveSessionSecret(undefined, 'azure')).toThrow(/^ELEVATE_SESSION_SECRET: /);
  });
});
