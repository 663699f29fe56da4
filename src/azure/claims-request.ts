/**
 * A claims request (Entra's `claims`, as a Conditional Access claims challenge carries it) checked
 * before it goes any further. It comes from Entra through MSAL, and on the CLI path back through
 * Elevate and the network, and it is put into an authorize URL, a device code request or a
 * WWW-Authenticate header: so only a JSON object of bounded size whose members are the OpenID
 * Connect claims request's `id_token` and `userinfo` and Entra's `access_token`, each an object,
 * is passed on, re-serialised from what was parsed, so what goes further is exactly what was
 * checked (no duplicate member that another parser would read differently).
 * https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge
 */

/** Bound on the claims request, as JSON text (Entra's claims challenges are a few hundred bytes). */
export const MAX_CLAIMS_REQUEST_BYTES = 4096;
const MEMBERS = new Set(['access_token', 'id_token', 'userinfo']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The claims request as JSON to pass on, or undefined when `raw` is not one. */
export function checkedClaimsRequest(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw === '' || Buffer.byteLength(raw, 'utf8') > MAX_CLAIMS_REQUEST_BYTES) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isObject(parsed)) return undefined;
  const members = Object.entries(parsed);
  if (members.length === 0 || members.some(([name, value]) => !MEMBERS.has(name) || !isObject(value))) return undefined;
  return JSON.stringify(parsed);
}
