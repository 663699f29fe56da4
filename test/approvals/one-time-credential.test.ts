import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { oneTimeCredential, TokenDiscardedError } from '../../src/approvals/one-time-credential.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

const TOKEN = fakeJwt({ uti: 'abc' });

describe('oneTimeCredential', () => {
  it('serves the token until discarded, then refuses', async () => {
    const c = oneTimeCredential(TOKEN, new Date(Date.now() + 3600_000));
    expect((await c.getToken('https://management.azure.com/.default'))?.token).toBe(TOKEN);
    expect(c.discarded).toBe(false);
    c.discard();
    expect(c.discarded).toBe(true);
    await expect(c.getToken('https://management.azure.com/.default')).rejects.toBeInstanceOf(TokenDiscardedError);
  });

  it('refuses an expired token', async () => {
    const c = oneTimeCredential(TOKEN, new Date(Date.now() - 1));
    await expect(c.getToken('x')).rejects.toThrow(/expired/);
  });

  it('never shows the token when serialised or inspected', () => {
    const c = oneTimeCredential(TOKEN, new Date(Date.now() + 3600_000));
    expect(JSON.stringify({ c })).not.toContain('eyJ');
    expect(inspect(c, { depth: 5, showHidden: true })).not.toContain('eyJ');
    expect(String(Object.values(c))).not.toContain('eyJ');
  });
});
