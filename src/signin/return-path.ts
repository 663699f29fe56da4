/**
 * A return path after sign-in must stay on Elevate: a local absolute path, never a URL or a
 * protocol-relative `//host` (an open redirect would let a phishing link borrow Elevate's
 * sign-in). Anything else becomes `/`.
 */
export function safeReturnPath(candidate: unknown): string {
  if (typeof candidate !== 'string' || candidate.length > 2048) return '/';
  if (!candidate.startsWith('/') || candidate.startsWith('//') || candidate.startsWith('/\\')) return '/';
  // Control characters and backslashes are how browsers get talked into treating a path as a host.
  if (/[\u0000-\u001f\u007f\\]/.test(candidate)) return '/';
  if (candidate.startsWith('/auth/')) return '/';
  return candidate;
}
