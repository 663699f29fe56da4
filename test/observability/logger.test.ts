import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

const jwt = fakeJwt({ sub: 'admin', aud: 'arm' });

describe('createLogger', () => {
  it('redacts credential fields by name', () => {
    const { logger, lines } = capture();
    logger.info({ access_token: 'abc', nested: { refresh_token: 'def', accessToken: 'ghi' } }, 'tokens');
    const out = lines.join('');
    expect(out).not.toContain('abc');
    expect(out).not.toContain('def');
    expect(out).not.toContain('ghi');
    expect(out).toContain('[redacted]');
  });

  it('scrubs JWT-shaped text from messages and any field', () => {
    const { logger, lines } = capture();
    logger.warn({ detail: `upstream said Bearer ${jwt}` }, `failed with ${jwt}`);
    const out = lines.join('');
    expect(out).not.toContain(jwt);
    expect(out).toContain('[redacted-jwt]');
  });

  it('keeps an error message and stack, scrubbed', () => {
    const { logger, lines } = capture();
    logger.error({ err: new Error(`token ${jwt} rejected`) }, 'boom');
    const entry = JSON.parse(lines[0]!);
    expect(entry.err.message).toBe('token [redacted-jwt] rejected');
    expect(entry.err.stack).toContain('logger.test.ts');
    expect(entry.err.type).toBe('Error');
  });

  it('writes structured JSON with level label and ISO time', () => {
    const { logger, lines } = capture();
    logger.info({ requestId: 'r1' }, 'hello');
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: 'info', service: 'elevate', requestId: 'r1', msg: 'hello' });
    expect(new Date(entry.time).toISOString()).toBe(entry.time);
  });
});
