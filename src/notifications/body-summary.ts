/**
 * A request body as a notification may show it: its top-level keys and its size, never a value
 * (an ARM body can hold passwords, keys, connection strings).
 */
import type { JsonValue } from '../operations/operation-types.ts';

export interface BodySummary {
  /** 'object', 'array' or the JSON type of a scalar */
  kind: string;
  bytes: number;
  /** top-level keys of an object, at most 20, each at most 64 characters */
  keys?: string[] | undefined;
  /** element count of an array */
  items?: number | undefined;
}

const MAX_KEYS = 20;

export function summariseBody(body: JsonValue): BodySummary {
  const bytes = Buffer.byteLength(JSON.stringify(body), 'utf8');
  if (Array.isArray(body)) return { kind: 'array', bytes, items: body.length };
  if (body !== null && typeof body === 'object') {
    const keys = Object.keys(body)
      .slice(0, MAX_KEYS)
      .map((k) => (k.length > 64 ? `${k.slice(0, 63)}…` : k));
    return { kind: 'object', bytes, keys };
  }
  return { kind: body === null ? 'null' : typeof body, bytes };
}
