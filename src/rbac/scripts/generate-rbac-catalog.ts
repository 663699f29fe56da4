/**
 * Regenerates the shipped RBAC data under src/rbac/catalog/ from the real Azure data kept
 * outside the repository (../shared/azure-rbac/, MIT, see its README.md and LICENSE):
 *   - builtin-roles.json.br        every built-in role definition (builtin-roles.all.json)
 *   - provider-operations.json.br  every resource-provider operation name (provider-operations.flat.json)
 * and, beside each, a NOTICE file with the source, its licence, this command, the date and counts.
 *
 *   node --import tsx src/rbac/scripts/generate-rbac-catalog.ts [path/to/shared/azure-rbac]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { buildCatalogUpdate, renderNotice } from '../builtin-catalog-update.ts';
import { encodeCompressedJson } from '../compressed-json.ts';
import { buildProviderOperationsFile, providerOperationRowSchema } from '../provider-operations.ts';
import { writeFileAtomic } from '../write-file-atomic.ts';

const shared = process.argv[2] ?? fileURLToPath(new URL('../../../../shared/azure-rbac/', import.meta.url));
const target = fileURLToPath(new URL('../catalog/', import.meta.url));
const command = 'node --import tsx src/rbac/scripts/generate-rbac-catalog.ts ../shared/azure-rbac';
const licence = readFileSync(join(shared, 'LICENSE-easimon-azure-builtin-roles.txt'), 'utf8');
const origin =
  'github.com/easimon/azure-builtin-roles (commit db0b2258505032bd004bc356dd3eec87250d5b99), MIT licence, ' +
  'Copyright (c) 2022 Markus Dobel; taken from `../shared/azure-rbac/` of the Elevate workspace.';
const now = new Date();

const rolesBody = JSON.parse(readFileSync(join(shared, 'builtin-roles.all.json'), 'utf8')) as unknown;
const update = buildCatalogUpdate(rolesBody, 'builtin-roles.all.json', { allowRemovals: true });
writeFileAtomic(join(target, 'builtin-roles.json.br'), update.bytes);
writeFileAtomic(
  join(target, 'builtin-roles.NOTICE.md'),
  renderNotice({
    file: 'builtin-roles.json.br',
    source:
      '`builtin-roles.all.json`: the Azure built-in role definitions as `az role definition list` prints them, ' +
      `from ${origin} Kept here in Elevate's RoleDefinition shape (id, name, roleName, roleType, description, ` +
      'permissions, assignableScopes; ARM bookkeeping such as createdOn is dropped), as brotli-compressed JSON. ' +
      '`elevate roles update --from <export>` regenerates it from a newer `az role definition list` export.',
    licence,
    command,
    generatedAt: now,
    counts: { roles: update.roles.length, 'permission blocks': update.roles.reduce((n, r) => n + r.permissions.length, 0), 'compressed bytes': update.bytes.length },
  }),
);

const rows = z.array(providerOperationRowSchema).parse(JSON.parse(readFileSync(join(shared, 'provider-operations.flat.json'), 'utf8')));
const opsFile = buildProviderOperationsFile(rows);
const opsBytes = encodeCompressedJson(opsFile);
writeFileAtomic(join(target, 'provider-operations.json.br'), opsBytes);
writeFileAtomic(
  join(target, 'provider-operations.NOTICE.md'),
  renderNotice({
    file: 'provider-operations.json.br',
    source:
      '`provider-operations.flat.json`: the resource-provider operations `az provider operation show` lists, ' +
      `from ${origin} Kept here as the operation names only, control plane and data plane, sorted by their ` +
      'lower-case form with one spelling per operation (the first listed), as brotli-compressed JSON.',
    licence,
    command,
    generatedAt: now,
    counts: { 'rows in the source': rows.length, 'control-plane operations': opsFile.control.length, 'data-plane operations': opsFile.data.length, 'compressed bytes': opsBytes.length },
  }),
);
process.stderr.write(`wrote ${update.roles.length} roles (${update.bytes.length} bytes) and ${opsFile.control.length + opsFile.data.length} operations (${opsBytes.length} bytes) to ${target}\n`);
