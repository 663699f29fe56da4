/**
 * A request URL as it may be recorded (audit details, logs). An OAuth redirect carries
 * credentials in its query: the authorization `code` (redeemable for tokens until it expires),
 * the `state` that binds it to a browser, and with other response modes tokens themselves
 * (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#successful-response).
 * On a callback route the whole query is replaced by its parameter names; anywhere else the
 * values of those parameters are, since nothing stops a client from sending them to another path.
 */

import { ALERTS_PATH } from './api/agent-api-paths.ts';

/** Query parameters whose values are credentials or bind one (OAuth 2.0 / OIDC responses). */
const SECRET_PARAMETERS = new Set([
  'code',
  'state',
  'id_token',
  'access_token',
  'refresh_token',
  'token',
  'session_state',
  'client_info',
  'code_verifier',
  'client_secret',
  'client_assertion',
  'assertion',
]);

export const REDACTED = '[redacted]';
const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,40}$/;

const lowerName = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' ')).trim().toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
};

/** Express matches paths case-insensitively and with an optional trailing slash; so does this. */
const samePath = (path: string, route: string) => path.replace(/\/+$/, '').toLowerCase() === route.replace(/\/+$/, '').toLowerCase();

/**
 * Path segments that are credentials: the URL form of an alert source's shared secret
 * (`POST {ALERTS_PATH}/sources/{source}/{secret}`, alert-intake-routes.ts), for monitoring tools
 * that can only call a URL. Express matches routes case-insensitively, so this does too.
 */
const SECRET_IN_PATH = new RegExp(`^(${escapeRegExp(ALERTS_PATH)}/sources/[^/?#]*/)[^/?#]+`, 'i');

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A request path as it may be recorded: a credential in a path segment is replaced. */
export function redactedPath(path: string): string {
  return path.replace(SECRET_IN_PATH, `$1${REDACTED}`);
}

/** The path of a request URL, without its query, as it may be recorded (redactedPath). */
export function recordedPathOf(url: string): string {
  const q = url.indexOf('?');
  return redactedPath(q < 0 ? url : url.slice(0, q));
}

export function redactedUrl(originalUrl: string, callbackPaths: readonly string[]): string {
  const q = originalUrl.indexOf('?');
  if (q < 0) return redactedPath(originalUrl);
  const path = redactedPath(originalUrl.slice(0, q));
  const pairs = originalUrl.slice(q + 1).split('&').filter((p) => p !== '');
  const onCallback = callbackPaths.some((c) => samePath(path, c));
  const kept = pairs.map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    // On a callback even a bare value (no `=`) may be the code: only plain names survive there.
    if (onCallback) return PLAIN_NAME.test(name) ? `${name}=${REDACTED}` : REDACTED;
    if (SECRET_PARAMETERS.has(lowerName(name))) return `${name}=${REDACTED}`;
    return pair;
  });
  return kept.length > 0 ? `${path}?${kept.join('&')}` : path;
}
