import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { RoleCatalogLookup } from '../../src/policies/levels-policy.ts';
import { parsePolicies } from '../../src/policies/parse-policies.ts';
import { POLICY_FILES, type Policies, type PolicyFileName } from '../../src/policies/policies.ts';
import { PolicyError } from '../../src/policies/policy-error.ts';

export const POLICIES_DIR = fileURLToPath(new URL('../../policies/', import.meta.url));
const BUILTIN_ROLES = fileURLToPath(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url));
export const PROVIDER_OPERATIONS = fileURLToPath(new URL('../../../shared/azure-rbac/provider-operations.flat.json', import.meta.url));

let builtinNames: Set<string> | undefined;

/** The 928 real built-in roles, looked up by roleName (case-insensitively, as Azure does). */
export function builtinCatalog(): RoleCatalogLookup {
  builtinNames ??= new Set(
    (JSON.parse(readFileSync(BUILTIN_ROLES, 'utf8')) as { roleName: string }[]).map((r) => r.roleName.toLowerCase()),
  );
  const names = builtinNames;
  return { hasRole: (name) => names.has(name.toLowerCase()) };
}

export function shippedTexts(): Record<PolicyFileName, string> {
  return Object.fromEntries(
    Object.values(POLICY_FILES).map((file) => [file, readFileSync(`${POLICIES_DIR}${file}`, 'utf8')]),
  ) as Record<PolicyFileName, string>;
}

export function shippedPolicies(): Policies {
  return parsePolicies(shippedTexts(), builtinCatalog());
}

/** The shipped files with some replaced (or removed, with `undefined`). */
export function parseWith(overrides: Partial<Record<PolicyFileName, string | undefined>>): Policies {
  const texts: Partial<Record<PolicyFileName, string>> = { ...shippedTexts() };
  for (const [file, text] of Object.entries(overrides) as [PolicyFileName, string | undefined][]) {
    if (text === undefined) delete texts[file];
    else texts[file] = text;
  }
  return parsePolicies(texts, builtinCatalog());
}

/** Runs `fn`, which must throw a PolicyError, and returns its lines. */
export function policyErrorLines(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    const lines = (err as PolicyError).lines;
    for (const line of lines) expect(line).not.toMatch(/\n/);
    expect((err as PolicyError).message).toBe(lines.join('\n'));
    return lines;
  }
  throw new Error('expected a PolicyError, but nothing was thrown');
}
