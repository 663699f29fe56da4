/**
 * Regenerates src/rbac/builtin-role-catalog.json from the full built-in role corpus, which stays
 * outside the repository (../shared/azure-rbac/builtin-roles.all.json). Entries are copied
 * unchanged so a test can compare them with the corpus.
 *
 *   node --import tsx src/rbac/scripts/extract-builtin-catalog.ts [path/to/builtin-roles.all.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BUILTIN_CATALOG_ROLE_NAMES } from '../builtin-role-names.ts';

const source = process.argv[2] ?? fileURLToPath(new URL('../../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url));
const target = fileURLToPath(new URL('../builtin-role-catalog.json', import.meta.url));

const all = JSON.parse(readFileSync(source, 'utf8')) as Array<{ roleName: string }>;
const picked = BUILTIN_CATALOG_ROLE_NAMES.map((name) => {
  const found = all.filter((r) => r.roleName === name);
  if (found.length !== 1) throw new Error(`expected exactly one built-in role named ${JSON.stringify(name)}, found ${found.length}`);
  return found[0]!;
});
writeFileSync(target, `${JSON.stringify(picked, null, 2)}\n`);
process.stderr.write(`wrote ${picked.length} roles to ${target}\n`);
