const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * A URL the browser is sent to (authorize, end session) with the given query parameters.
 * openid-client refuses to build these for plain http, and rightly for back-channel calls; the
 * sandbox's sign-in page is plain http on loopback only, so that, and nothing else, is allowed.
 */
export function browserEndpointUrl(endpoint: string, params: Record<string, string>): URL {
  const url = new URL(endpoint);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new Error(`refusing to send browsers to ${url.origin}: only https (or http on loopback) is allowed`);
  }
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url;
}
