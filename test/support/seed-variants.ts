import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEED_FILE } from '../../src/sandbox/seed/load-seed.ts';

export type Seed = {
  users: unknown[];
  roleAssignments: unknown[];
  groups: unknown[];
  appRoleAssignments: Array<{ principal: string; resource: string; role: string }>;
  applications: Array<{ key: string; optionalClaims?: unknown; accessTokenVersion?: 1 | 2; groupMembershipClaims?: string | null }>;
};

/** The default seed, changed by `edit`, written to a temporary file for a private sandbox. */
export function seedFile(edit: (seed: Seed) => void = () => undefined): string {
  const seed = JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')) as Seed;
  edit(seed);
  const file = join(mkdtempSync(join(tmpdir(), 'elevate-seed-')), 'seed.json');
  writeFileSync(file, JSON.stringify(seed));
  return file;
}

/**
 * Configures optional claims on Elevate's app registration, as a tenant administrator would in
 * Token configuration (the default seed, like a new registration, has none).
 */
export function withElevateOptionalClaims(seed: Seed, claims: { idToken?: string[]; accessToken?: string[] }): void {
  const elevate = seed.applications.find((a) => a.key === 'elevate')!;
  elevate.optionalClaims = {
    idToken: (claims.idToken ?? []).map((name) => ({ name })),
    accessToken: (claims.accessToken ?? []).map((name) => ({ name })),
  };
}

/**
 * Sets the access token version of Elevate's registration (the manifest's
 * `requestedAccessTokenVersion`): the default seed keeps Entra's default for a new registration,
 * 1; a tenant may set 2.
 */
export function withElevateAccessTokenVersion(seed: Seed, version: 1 | 2): void {
  seed.applications.find((a) => a.key === 'elevate')!.accessTokenVersion = version;
}
