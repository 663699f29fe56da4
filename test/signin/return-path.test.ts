import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../src/signin/return-path.ts';

describe('safeReturnPath', () => {
  it('keeps a local path with its query', () => {
    expect(safeReturnPath('/requests/abc?tab=history')).toBe('/requests/abc?tab=history');
  });

  it.each([
    ['an absolute URL', 'https://evil.example/'],
    ['a protocol-relative URL', '//evil.example/x'],
    ['a backslash trick', '/\\evil.example'],
    ['an embedded backslash', '/foo\\..\\evil'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a tab-smuggled host', '/\t/evil.example'],
    ['a relative path', 'requests'],
    ['the sign-in routes themselves (loop)', '/auth/callback?code=x'],
    ['a non-string', ['/a']],
    ['nothing', undefined],
    ['an oversized path', `/${'a'.repeat(3000)}`],
  ])('turns %s into /', (_label, value) => {
    expect(safeReturnPath(value)).toBe('/');
  });
});
