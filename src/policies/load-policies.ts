import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { RoleCatalogLookup } from './levels-policy.ts';
import { parsePolicies } from './parse-policies.ts';
import { POLICY_FILES, type Policies, type PolicyFileName } from './policies.ts';
import { PolicyError } from './policy-error.ts';

const KNOWN_FILES: readonly string[] = Object.values(POLICY_FILES);
const MAX_POLICY_FILE_BYTES = 1024 * 1024;

/**
 * Reads and validates the policies folder. Throws PolicyError (one line per fault, each naming
 * the file and the path inside it) when anything is missing, malformed or names a role the
 * catalog does not have. A `.yaml`/`.yml` file the loader does not know is an error too: it is
 * most likely a misspelt name whose rules the operator expects to be in force.
 */
export function loadPolicies(dir: string, catalog: RoleCatalogLookup): Policies {
  const shownDir = displayPath(dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new PolicyError([`${shownDir}: policies folder not found; expected a folder holding ${KNOWN_FILES.join(', ')}`]);
  }
  const lines: string[] = [];
  const texts: Partial<Record<PolicyFileName, string>> = {};
  // Already reported as too large; parsePolicies would otherwise also call them missing.
  const tooLarge = new Set<string>();
  for (const name of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/i.test(name)) continue;
    if (!KNOWN_FILES.includes(name)) {
      lines.push(`${shownDir}/${name}: unknown policy file; expected only ${KNOWN_FILES.join(', ')}`);
      continue;
    }
    const path = join(dir, name);
    const size = statSync(path).size;
    if (size > MAX_POLICY_FILE_BYTES) {
      lines.push(`${shownDir}/${name}: file is ${size} bytes; expected at most ${MAX_POLICY_FILE_BYTES}`);
      tooLarge.add(`${shownDir}/${name}: file not found`);
      continue;
    }
    texts[name as PolicyFileName] = readFileSync(path, 'utf8');
  }
  let policies: Policies | undefined;
  try {
    policies = parsePolicies(texts, catalog, shownDir);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    lines.push(...err.lines.filter((line) => !tooLarge.has(line.slice(0, line.indexOf(';')))));
  }
  if (lines.length > 0 || !policies) throw new PolicyError(lines);
  return policies;
}

/** Relative to the working directory when inside it ("policies"), otherwise absolute. */
function displayPath(dir: string): string {
  const abs = resolve(dir);
  const rel = relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}
