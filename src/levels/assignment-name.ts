import { createHash } from 'node:crypto';

/**
 * Role assignment names Elevate uses are UUIDv5 of (principal, role, scope), so planning the same
 * assignment twice yields the same name and a repeated PUT is a no-op (or a 409 we treat as done)
 * instead of a duplicate assignment.
 */

/** Fixed namespace for Elevate's assignment names (a random v4 chosen once, never to change). */
export const ASSIGNMENT_NAMESPACE = '5d1c7f0e-3b7a-4c61-9a0f-6f2b8e4d9c13';

export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  if (ns.length !== 16) throw new Error('uuidV5: namespace must be a UUID');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** ARM ids compare case-insensitively; the name must not change with the casing ARM echoes back. */
export function assignmentName(principalId: string, roleDefinitionGuid: string, scope: string): string {
  const key = [principalId, roleDefinitionGuid, scope.replace(/\/+$/, '')].map((s) => s.toLowerCase()).join('|');
  return uuidV5(key, ASSIGNMENT_NAMESPACE);
}
