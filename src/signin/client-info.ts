/**
 * Entra's `client_info`: returned by the token endpoint when the request carries
 * `client_info=1` (MSAL always asks for it), base64url JSON `{ uid, utid }` naming the account in
 * its HOME directory: `utid` is the tenant the account lives in, `uid` its object id there. For a
 * member that is this tenant; for a B2B guest the other organisation's tenant; for a personal
 * Microsoft account (invited or not) the consumers tenant 9188040d-6c67-4c5b-b112-36a304b66dad.
 * It comes in the token response over the client-authenticated TLS back channel, like the ID
 * token itself, and does not depend on optional claims, so it is how Elevate tells members from
 * guests when `idp` and `acct` are absent.
 */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface HomeAccount {
  oid: string;
  tenantId: string;
}

/** The home account, or undefined when the value is missing or not the expected shape. */
export function parseClientInfo(value: unknown): HomeAccount | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024 || !/^[A-Za-z0-9_-]+={0,2}$/.test(value)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const { uid, utid } = parsed as { uid?: unknown; utid?: unknown };
  if (typeof uid !== 'string' || typeof utid !== 'string' || !GUID.test(uid) || !GUID.test(utid)) return undefined;
  return { oid: uid.toLowerCase(), tenantId: utid.toLowerCase() };
}
