/**
 * Builds and checks the URL of an ARM call. Paths reach here from agent-supplied operations, so
 * anything that could step outside the intended resource (dot segments, a second query string,
 * a different host) is refused rather than normalised.
 */

export class ArmRequestValidationError extends Error {
  override name = 'ArmRequestValidationError';
}

export const ARM_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'] as const;
export type ArmMethod = (typeof ARM_METHODS)[number];

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-[a-z]+(\.\d+)?)?$/;
/**
 * Characters no ARM resource name contains (`<>%&\?/`, controls), plus `#` and whitespace other
 * than the plain space: refused rather than encoded, so a path has exactly one spelling.
 * https://learn.microsoft.com/en-us/azure/azure-resource-manager/management/resource-name-rules
 */
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[<>%&\\?#\u0000-\u001f\u007f-\u009f]|[^\S ]/u;
const QUERY_NAME = /^\$?[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const MAX_PATH = 2048;

export function checkArmMethod(method: string): ArmMethod {
  if ((ARM_METHODS as readonly string[]).includes(method)) return method as ArmMethod;
  throw new ArmRequestValidationError(`unsupported HTTP method ${JSON.stringify(method).slice(0, 20)}`);
}

export function checkApiVersion(apiVersion: string): string {
  if (API_VERSION.test(apiVersion)) return apiVersion;
  throw new ArmRequestValidationError('api-version must look like 2022-04-01 or 2023-05-01-preview');
}

/**
 * Checks an ARM resource id (names as ARM shows them, not percent-encoded) before it becomes a
 * URL path: no empty or dot segments, nothing a URL parser or ARM would read as a separator.
 */
export function checkArmPath(path: string): string {
  if (path.length === 0 || path.length > MAX_PATH) throw new ArmRequestValidationError(`ARM path must be 1-${MAX_PATH} characters`);
  if (!path.startsWith('/')) throw new ArmRequestValidationError('ARM path must start with /');
  if (FORBIDDEN.test(path)) throw new ArmRequestValidationError('ARM path contains characters no ARM name has (percent-encoding, query, fragment, backslash, control characters or non-space whitespace)');
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') throw new ArmRequestValidationError('ARM path has an empty segment');
    if (segment === '.' || segment === '..') throw new ArmRequestValidationError('ARM path must not contain dot segments');
  }
  return path;
}

/**
 * The URL path of an ARM id: each segment percent-encoded the way the Azure SDKs encode path
 * parameters (encodeURIComponent), so `a b;c` goes out as `a%20b%3Bc` and ARM reads it back.
 */
export function encodeArmPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

/** `${armEndpoint}${path}?api-version=...&extra`, after validating every part. */
export function buildArmUrl(armEndpoint: string, path: string, apiVersion: string, query: Record<string, string> = {}): string {
  const url = new URL(`${armEndpoint}${encodeArmPath(checkArmPath(path))}`);
  if (url.origin !== new URL(armEndpoint).origin) throw new ArmRequestValidationError('ARM path must stay on the ARM endpoint');
  url.searchParams.set('api-version', checkApiVersion(apiVersion));
  for (const [name, value] of Object.entries(query)) {
    if (!QUERY_NAME.test(name) || name.toLowerCase() === 'api-version') throw new ArmRequestValidationError(`query parameter name ${JSON.stringify(name).slice(0, 40)} is not allowed`);
    url.searchParams.set(name, value);
  }
  return url.toString();
}

/** A URL ARM handed back (polling, nextLink) may be followed only if it is on the ARM endpoint, over https. */
export function isOnArmEndpoint(armEndpoint: string, candidate: string): boolean {
  try {
    const url = new URL(candidate);
    return url.protocol === 'https:' && url.origin === new URL(armEndpoint).origin && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
