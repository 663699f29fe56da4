/**
 * An unsigned, JWT-shaped string built at run time. Tests that check tokens are never stored,
 * logged or echoed need token-shaped input; building it here keeps token-shaped literals out of
 * the repository, where secret scanners (rightly) flag them.
 */
export function fakeJwt(payload: Record<string, unknown>, signature = 'signature-signature-signature'): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(payload)}.${Buffer.from(signature).toString('base64url')}`;
}
