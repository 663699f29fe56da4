/**
 * `elevate roles update --from <export>`: refreshes the built-in role catalog Elevate ships
 * (src/rbac/catalog/builtin-roles.json.br) from `az role definition list` output, so a newer
 * Azure's roles are known without waiting for a release. The export is validated entry by entry
 * (zod) and compiled before anything is written; the catalog and its NOTICE are replaced
 * atomically; a running service picks it up at its next start.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, outputOption, printJson, printTable, type OutputFormat } from '../cli-output.ts';
import { buildCatalogUpdate, renderNotice } from '../../rbac/builtin-catalog-update.ts';
import { RbacDataError } from '../../rbac/rbac-errors.ts';
import { BUILTIN_CATALOG_FILE, loadBuiltinCatalogFile, type RoleCatalog } from '../../rbac/role-catalog.ts';
import { writeFileAtomic } from '../../rbac/write-file-atomic.ts';

interface UpdateOptions {
  from: string;
  out?: string;
  allowRemovals?: boolean;
  output: OutputFormat;
}

const MAX_EXPORT_BYTES = 64 * 1024 * 1024;
const CATALOG_NAME = basename(fileURLToPath(BUILTIN_CATALOG_FILE));
const NOTICE_NAME = CATALOG_NAME.replace(/\.json\.br$/, '.NOTICE.md');

function readExport(path: string): unknown {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`roles export ${path}: cannot read${code ? ` (${code})` : ''}`);
  }
  if (size > MAX_EXPORT_BYTES) throw new CliError(`roles export ${path}: larger than ${MAX_EXPORT_BYTES / 1024 / 1024} MiB`);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw new CliError(`roles export ${path}: not valid JSON (${(err as Error).message}); expected the output of \`az role definition list\``);
  }
}

/** Progress on stderr, one line per tenth: stdout stays the result alone. */
function progressReporter(): (done: number, total: number) => void {
  let shown = -1;
  return (done, total) => {
    const tenth = Math.floor((done * 10) / Math.max(total, 1));
    if (tenth === shown) return;
    shown = tenth;
    process.stderr.write(`elevate: validating role definitions ${done}/${total} (${tenth * 10}%)\n`);
  };
}

function runUpdate(opts: UpdateOptions): void {
  const outDir = resolve(opts.out ?? dirname(fileURLToPath(BUILTIN_CATALOG_FILE)));
  const target = join(outDir, CATALOG_NAME);
  const body = readExport(opts.from);

  let current: RoleCatalog | undefined;
  try {
    if (existsSync(target)) current = loadBuiltinCatalogFile(target, `current catalog ${target}`);
  } catch (err) {
    // a damaged catalog is what an update repairs: say so and carry on without the comparison
    process.stderr.write(`elevate: warning: ${(err as Error).message}; replacing it\n`);
  }

  let update;
  try {
    update = buildCatalogUpdate(body, `roles export ${opts.from}`, {
      ...(current ? { current } : {}),
      allowRemovals: opts.allowRemovals === true,
      onProgress: progressReporter(),
    });
  } catch (err) {
    if (err instanceof RbacDataError) throw new CliError(err.message);
    throw err;
  }
  process.stderr.write(`elevate: validated ${update.roles.length} built-in roles; writing ${target}\n`);

  const now = new Date();
  writeFileAtomic(target, update.bytes);
  writeFileAtomic(
    join(outDir, NOTICE_NAME),
    renderNotice({
      file: CATALOG_NAME,
      source:
        `An \`az role definition list\` export (${basename(opts.from)}), that is Azure's own built-in role definitions as ` +
        "the tenant's ARM returned them; custom roles in the export are not kept (give them to Elevate with ELEVATE_ROLES_FILE). " +
        "Kept in Elevate's RoleDefinition shape (id, name, roleName, roleType, description, permissions, assignableScopes), " +
        'as brotli-compressed JSON.',
      command: `elevate roles update --from ${basename(opts.from)}`,
      generatedAt: now,
      counts: { roles: update.roles.length, 'permission blocks': update.roles.reduce((n, r) => n + r.permissions.length, 0), 'compressed bytes': update.bytes.length },
    }),
  );

  const summary = {
    catalog: target,
    roles: update.roles.length,
    added: update.added.length,
    changed: update.changed.length,
    removed: update.removed.length,
    skippedCustomRoles: update.skippedCustom,
    bytes: update.bytes.length,
  };
  if (opts.output === 'json') printJson({ ...summary, addedRoles: update.added, changedRoles: update.changed, removedRoles: update.removed });
  else printTable([summary], ['roles', 'added', 'changed', 'removed', 'skippedCustomRoles', 'bytes', 'catalog']);
  process.stderr.write('elevate: restart Elevate to use the updated catalog\n');
}

export function registerRolesCommands(program: Command): void {
  const roles = program.command('roles').description("The built-in role catalog Elevate ships (every Azure built-in role)");
  roles
    .command('update')
    .description('Replace the built-in role catalog with the built-in roles of an `az role definition list` export')
    .requiredOption('--from <file.json>', 'output of `az role definition list` (all roles; custom ones are skipped)')
    .option('--out <dir>', 'directory of the catalog to write (default: the one Elevate reads)')
    .option('--allow-removals', 'accept an export that lacks roles the current catalog has')
    .addOption(outputOption())
    .action((opts: UpdateOptions) => runUpdate(opts));
}
