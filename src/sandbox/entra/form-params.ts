import { entraErrors } from './entra-errors.ts';

export type FormBody = Record<string, unknown>;

const MAX_PARAM_LENGTH = 16_384;

/** One form or query parameter; repeated or oversized parameters are malformed requests. */
export function param(body: FormBody | undefined, name: string): string | undefined {
  const v = body?.[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw entraErrors.invalidRequest(`Parameter '${name}' is repeated or malformed.`);
  if (v.length > MAX_PARAM_LENGTH) throw entraErrors.invalidRequest(`Parameter '${name}' is too long.`);
  return v;
}

export function requiredParam(body: FormBody | undefined, name: string): string {
  const v = param(body, name);
  if (v === undefined || v.length === 0) throw entraErrors.missingParameter(name);
  return v;
}
