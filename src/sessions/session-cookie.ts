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

/**
 * The attributes the session cookie is set with (express-session adds the idle max-age). Clearing
 * it needs the same ones: a browser ignores a Set-Cookie for a `__Host-` name without `Secure`,
 * and the signed-out browser would keep its cookie.
 */
export function sessionCookieAttributes(settings: SessionCookieSettings) {
  return { httpOnly: true, sameSite: 'lax', secure: settings.secure, path: '/' } as const;
}

/**
 * What `res.clearCookie` needs to remove the session cookie: its attributes, `secure: 'auto'`
 * decided as express-session decides it when it sets the cookie (by whether the request came
 * over https).
 */
export function sessionCookieClearOptions(settings: SessionCookieSettings, requestIsSecure: boolean) {
  const attributes = sessionCookieAttributes(settings);
  return { ...attributes, secure: attributes.secure === 'auto' ? requestIsSecure : attributes.secure };
}
