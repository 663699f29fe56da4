import { createHash } from 'node:crypto';
import type { Seed } from './seed-variants.ts';

/**
 * Group claims in a seed variant, as a tenant administrator would set them up: the group claim on
 * Elevate's app registration (Token configuration > Add groups claim; the default seed, like a
 * new registration, has none) and group memberships, up to a user in more groups than a token
 * can list.
 */

/** Elevate's `groupMembershipClaims` (null, "None", "SecurityGroup", "All", "ApplicationGroup", "DirectoryRole"). */
export function withElevateGroupMembershipClaims(seed: Seed, value: string | null): void {
  seed.applications.find((a) => a.key === 'elevate')!.groupMembershipClaims = value;
}

export interface SeedGroup {
  key: string;
  id: string;
  displayName: string;
  members: string[];
  securityEnabled?: boolean;
}

export function withGroup(seed: Seed, group: SeedGroup): void {
  seed.groups.push(group);
}

/** A fixed GUID for the n-th generated group of `owner`. */
export function generatedGroupId(owner: string, n: number): string {
  const h = createHash('sha256').update(`${owner}|${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** `count` more security groups whose only member is `userKey`; returns their ids. */
export function withManyGroups(seed: Seed, userKey: string, count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; n < count; n++) {
    const id = generatedGroupId(userKey, n);
    seed.groups.push({ key: `${userKey}-g${n}`, id, displayName: `${userKey} group ${n}`, members: [userKey] });
    ids.push(id);
  }
  return ids;
}
