import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CATALOG_ROLE_NAMES } from '../../src/rbac/builtin-role-names.ts';
import { RbacDataError } from '../../src/rbac/rbac-errors.ts';
import { createRoleCatalog, loadBuiltinCatalog, loadCatalogFile } from '../../src/rbac/role-catalog.ts';

const corpusPath = fileURLToPath(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url));
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as Array<{ roleName: string; name: string }>;
const shipped = JSON.parse(readFileSync(new URL('../../src/rbac/builtin-role-catalog.json', import.meta.url), 'utf8')) as Array<{ roleName: string; name: string }>;

describe('built-in catalog', () => {
  it('ships exactly the listed roles, each identical to the real Azure definition', () => {
    expect(shipped.map((r) => r.roleName)).toEqual([...BUILTIN_CATALOG_ROLE_NAMES]);
    for (const entry of shipped) {
      const real = corpus.filter((r) => r.name === entry.name);
      expect(real).toHaveLength(1);
      expect(entry).toEqual(real[0]);
    }
  });

  it('indexes by GUID, full id and roleName, case-insensitively, with the real GUIDs', () => {
    const c = loadBuiltinCatalog();
    expect(c.byName('reader')!.name).toBe('acdd72a7-3385-48ef-bd42-f606fba81ae7');
    expect(c.byName('CONTRIBUTOR')!.name).toBe('b24988ac-6180-42a0-ab88-20f7382dd24c');
    expect(c.byName('Owner')!.name).toBe('8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
    expect(c.byName('Container Apps Contributor')!.name).toBe('358470bc-b998-42bd-ab17-a7e34c199c0f');
    expect(c.byId('ACDD72A7-3385-48EF-BD42-F606FBA81AE7')!.roleName).toBe('Reader');
    expect(c.byId('/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7')!.roleName).toBe('Reader');
    expect(c.byName('No Such Role')).toBeUndefined();
    expect(c.byId('00000000-0000-0000-0000-000000000000')).toBeUndefined();
    // every role the policies name is present
    for (const n of ['Log Analytics Reader', 'Monitoring Contributor', 'Azure Kubernetes Service RBAC Reader', 'Web Plan Contributor', 'SQL DB Contributor', 'Key Vault Reader', 'Container Apps Jobs Contributor', 'Container Apps ManagedEnvironments Contributor']) {
      expect(c.byName(n), n).toBeDefined();
    }
  });

  it('loads the full 928-role corpus from a file', () => {
    const c = loadCatalogFile(corpusPath);
    expect(c.roles).toHaveLength(928);
    expect(c.byName('Log Analytics Reader')!.permissions[0]!.notActions).toContain('Microsoft.OperationalInsights/workspaces/sharedKeys/read');
  });
});

describe('loadCatalogFile errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-catalog-'));
  const write = (name: string, content: string) => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const good = { id: '/providers/Microsoft.Authorization/roleDefinitions/g1', name: 'g1', roleName: 'R1', roleType: 'CustomRole', permissions: [{ actions: ['*/read'] }], assignableScopes: ['/subscriptions/s'] };

  it('names the file when it is missing or not JSON', () => {
    expect(() => loadCatalogFile(join(dir, 'missing.json'))).toThrow(/role catalog .*missing\.json: cannot read \(ENOENT\)/);
    const bad = write('bad.json', '{ nope');
    expect(() => loadCatalogFile(bad)).toThrow(RbacDataError);
    expect(() => loadCatalogFile(bad)).toThrow(/bad\.json: not valid JSON/);
  });

  it('names the file and the entry when an entry is invalid', () => {
    const p = write('entry.json', JSON.stringify([good, { ...good, name: 'g2', roleName: undefined }]));
    expect(() => loadCatalogFile(p)).toThrow(/entry\.json: entry 1 \(.*\): roleName/);
    const scope = write('scope.json', JSON.stringify([{ ...good, assignableScopes: ['/subscriptions/s/../t'] }]));
    expect(() => loadCatalogFile(scope)).toThrow(/entry 0 .*assignableScopes\.0: invalid scope/);
    const notList = write('obj.json', JSON.stringify({ roles: [] }));
    expect(() => loadCatalogFile(notList)).toThrow(/obj\.json: expected an ARM list body/);
  });

  it('rejects duplicate GUIDs and duplicate role names', () => {
    expect(() => loadCatalogFile(write('dup.json', JSON.stringify([good, { ...good, roleName: 'R2' }])))).toThrow(/entry 1 \(R2\): duplicate role definition id g1/);
    expect(() => createRoleCatalog([good, { ...good, name: 'g2', id: 'x/g2', roleName: 'r1' }] as never)).toThrow(/duplicate roleName/);
  });

  it('loads a valid custom-role file, also in ARM list shape', () => {
    expect(loadCatalogFile(write('ok.json', JSON.stringify([good]))).byName('r1')!.assignableScopes).toEqual(['/subscriptions/s']);
    const arm = { value: [{ id: good.id, name: 'g1', properties: { roleName: 'R1', type: 'CustomRole', permissions: good.permissions, assignableScopes: ['/'] } }] };
    expect(loadCatalogFile(write('arm.json', JSON.stringify(arm))).byId('g1')!.roleType).toBe('CustomRole');
  });
});
