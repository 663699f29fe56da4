/**
 * Entra's claims challenge as an API sends it and a client reads it, in the header format of
 * https://learn.microsoft.com/entra/identity-platform/claims-challenge#claims-challenge-header-format:
 *
 *   HTTP 401 Unauthorized
 *   WWW-Authenticate: Bearer realm="<tenant id>", authorization_uri="<the tenant's authorize
 *     endpoint>", error="insufficient_claims", claims="<base64 of the claims request>"
 *
 * (scheme Bearer; realm optional; authorization_uri and error required; claims required with
 * insufficient_claims). The administrator API sends it when Entra answered the on-behalf-of
 * exchange with a claims challenge (Conditional Access wants MFA, say); the CLI reads it and signs
 * in again with MSAL passing the claims. Both ends treat the value as untrusted and send or pass
 * on only a checked claims request (azure/claims-request.ts).
 * https://www.rfc-editor.org/rfc/rfc9110#name-www-authenticate
 */
import { checkedClaimsRequest, MAX_CLAIMS_REQUEST_BYTES } from '../../azure/claims-request.ts';

const MAX_ENCODED_LENGTH = Math.ceil(MAX_CLAIMS_REQUEST_BYTES / 3) * 4;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** RFC 9110 token characters (auth-scheme and auth-param names, unquoted values). */
const TCHARS = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

export interface ClaimsChallengeParts {
  /** the tenant id */
  realm?: string | undefined;
  /** the tenant's authorize endpoint */
  authorizationUri: string;
  /** the claims request JSON (Entra's `claims`) */
  claims: unknown;
}

const quoted = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

/** The WWW-Authenticate value, or undefined when `claims` is not a claims request (nothing to relay). */
export function claimsChallengeHeader(parts: ClaimsChallengeParts): string | undefined {
  const claims = checkedClaimsRequest(parts.claims);
  if (!claims) return undefined;
  const params: Array<[string, string]> = [
    ...(parts.realm !== undefined ? [['realm', parts.realm] as [string, string]] : []),
    ['authorization_uri', parts.authorizationUri],
    ['error', 'insufficient_claims'],
    ['claims', Buffer.from(claims, 'utf8').toString('base64')],
  ];
  return `Bearer ${params.map(([name, value]) => `${name}=${quoted(value)}`).join(', ')}`;
}

/** The auth-params of each challenge in a WWW-Authenticate value (names lower-cased; token68 forms skipped). */
function challengesOf(header: string): Array<{ scheme: string; params: Map<string, string> }> {
  const out: Array<{ scheme: string; params: Map<string, string> }> = [];
  let i = 0;
  const skip = (chars: RegExp) => {
    while (i < header.length && chars.test(header[i]!)) i++;
  };
  const token = () => {
    const start = i;
    skip(TCHARS);
    return header.slice(start, i);
  };
  while (i < header.length) {
    skip(/[\s,]/);
    const name = token();
    if (!name) {
      i++; // a character no challenge may hold here: skip it
      continue;
    }
    const afterName = i;
    skip(/[ \t]/);
    if (header[i] === '=' && out.length > 0 && header[i + 1] !== '=') {
      i++;
      skip(/[ \t]/);
      let value = '';
      if (header[i] === '"') {
        for (i++; i < header.length && header[i] !== '"'; i++) value += header[i] === '\\' ? (header[++i] ?? '') : header[i];
        i++;
      } else value = token();
      const params = out.at(-1)!.params;
      if (!params.has(name.toLowerCase())) params.set(name.toLowerCase(), value);
      continue;
    }
    i = afterName;
    out.push({ scheme: name.toLowerCase(), params: new Map() });
    skip(/[ \t]/);
    // a token68 credential (Basic's, say) belongs to its scheme; nothing here reads it
    if (/^[A-Za-z0-9._~+/-]+=*\s*(,|$)/.test(header.slice(i))) skip(/[A-Za-z0-9._~+/=-]/);
  }
  return out;
}

export type ReadClaimsChallenge =
  /** a claims challenge, with the claims request to pass on to the sign-in */
  | { ok: true; claims: string }
  /** an insufficient_claims challenge whose claims cannot be passed on */
  | { ok: false; problem: string };

/** The Bearer insufficient_claims challenge in a WWW-Authenticate value, if there is one. */
export function readClaimsChallenge(header: string | null | undefined): ReadClaimsChallenge | undefined {
  if (!header) return undefined;
  const challenge = challengesOf(header).find((c) => c.scheme === 'bearer' && c.params.get('error') === 'insufficient_claims');
  if (!challenge) return undefined;
  const encoded = challenge.params.get('claims');
  if (!encoded) return { ok: false, problem: 'the challenge has no claims' };
  if (encoded.length > MAX_ENCODED_LENGTH || !BASE64.test(encoded)) return { ok: false, problem: 'the claims are not base64 of a bounded size' };
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    return { ok: false, problem: 'the claims are not UTF-8 text' };
  }
  const claims = checkedClaimsRequest(json);
  return claims ? { ok: true, claims } : { ok: false, problem: 'the claims are not a claims request (a JSON object of id_token, userinfo or access_token requests)' };
}
