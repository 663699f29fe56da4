import { AUTH_CONTEXT_ID } from '../seed/conditional-access-schema.ts';
import { entraErrors } from './entra-errors.ts';

/**
 * The `claims` request parameter of /authorize (OpenID Connect Core 5.5: a JSON object whose
 * `id_token` and `userinfo` members name claims, to which Entra adds `access_token`), reduced to
 * what the sandbox's Entra acts on: a claims challenge handed back by an app, i.e. the Conditional
 * Access policies to satisfy (`capolids`, `polids` in older challenges) and the authentication
 * contexts asked for (`acrs`). Everything else in it is ignored, as Entra ignores claims it does
 * not know. https://learn.microsoft.com/entra/identity-platform/claims-challenge
 * https://openid.net/specs/openid-connect-core-1_0.html#ClaimsParameter
 */
export interface ClaimsRequest {
  policyIds: string[];
  authContexts: string[];
}

export const NO_CLAIMS_REQUEST: Readonly<ClaimsRequest> = Object.freeze({ policyIds: [], authContexts: [] });

const MEMBERS = ['access_token', 'id_token'] as const;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_VALUES = 25;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{value}` or `{values: [...]}` of one requested claim (OpenID Connect Core 5.5.1). */
function requestedValues(request: unknown): string[] {
  if (!isObject(request)) return [];
  const values = Array.isArray(request.values) ? request.values : request.value !== undefined ? [request.value] : [];
  return values.filter((v): v is string => typeof v === 'string').slice(0, MAX_VALUES);
}

export function parseClaimsRequest(raw: string | undefined): ClaimsRequest {
  if (raw === undefined || raw.trim() === '') return NO_CLAIMS_REQUEST;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw entraErrors.invalidRequest("The 'claims' parameter is not valid JSON.");
  }
  if (!isObject(parsed)) throw entraErrors.invalidRequest("The 'claims' parameter must be a JSON object.");
  const policyIds = new Set<string>();
  const authContexts = new Set<string>();
  for (const member of MEMBERS) {
    const claims = parsed[member];
    if (claims === undefined || claims === null) continue;
    if (!isObject(claims)) throw entraErrors.invalidRequest(`The '${member}' member of the 'claims' parameter must be a JSON object.`);
    for (const id of [...requestedValues(claims.capolids), ...requestedValues(claims.polids)]) if (GUID.test(id)) policyIds.add(id.toLowerCase());
    for (const acrs of requestedValues(claims.acrs)) if (AUTH_CONTEXT_ID.test(acrs)) authContexts.add(acrs);
  }
  return { policyIds: [...policyIds], authContexts: [...authContexts] };
}
