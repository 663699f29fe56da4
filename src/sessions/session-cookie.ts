/**
 * The session cookie's name and attributes. `Secure` when Elevate is reached over https (its
 * public URL is https, or it sits behind a trusted TLS-terminating proxy, in which case the
 * request's protocol decides). The `__Host-` prefix, only valid on Secure cookies, pins the
 * cookie to this exact host and path.
 */
export interface SessionCookieSettings {
  name: string;
  secure: boolean | 'auto';
}

export function sessionCookieSettings(publicUrl: string, trustProxy: boolean): SessionCookieSettings {
  if (new URL(publicUrl).protocol === 'https:') return { name: '__Host-elevate.sid', secure: true };
  if (trustProxy) return { name: 'elevate.sid', secure: 'auto' };
  return { name: 'elevate.sid', secure: false };
}
