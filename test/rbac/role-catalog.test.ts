import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBuiltinCatalog } from '../../src/rbac/builtin-catalog-file.ts';
import { encodeCompressedJson } from '../../src/rbac/compressed-json.ts';
import { RbacDataError } from '../../src/rbac/rbac-errors.ts';
import { BUILTIN_CATALOG_FILE, createRoleCatalog, loadBuiltinCatalog, loadBuiltinCatalogFile, loadCatalogFile } from '../../src/rbac/role-catalog.ts';

const corpusPath = fileURLToPath(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url));
interface CorpusRole {
  id: string;
  name: string;
  roleName: string;
  roleType: string;
  description: string | null;
  assignableScopes: string[];
  permissions: Array<{ actions: string[]; notActions: string[]; dataActions: string[]; notDataActions: string[]; condition: string | null; conditionVersion: string | null }>;
}
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as CorpusRole[];

describe('built-in catalog', () => {
  it('is the whole shared corpus: every role, every field, every permission block', () => {
    const shipped = decodeBuiltinCatalog(readFileSync(BUILTIN_CATALOG_FILE), 'shipped');
    expect(shipped).toHaveLength(corpus.length);
    expect(corpus.length).toBe(928);
    const byGuid = new Map(shipped.map((r) => [r.name, r]));
    for (const real of corpus) {
      const r = byGuid.get(real.name);
      expect(r, real.roleName).toBeDefined();
      expect({ id: r!.id, roleName: r!.roleName, roleType: r!.roleType, description: r!.description ?? null, assignableScopes: r!.assignableScopes }).toEqual({
        id: real.id,
        roleName: real.roleName,
        roleType: real.roleType,
        description: real.description,
        assignableScopes: real.assignableScopes,
      });
      expect(r!.permissions.map((p) => ({ ...p, condition: p.condition ?? null, conditionVersion: p.conditionVersion ?? null }))).toEqual(real.permissions);
    }
  });

  it('is loaded once, frozen, and shared', () => {
    const c = loadBuiltinCatalog();
    expect(loadBuiltinCatalog()).toBe(c);
    expect(c.roles).toHaveLength(928);
    expect(Object.isFrozen(c.roles)).toBe(true);
    expect(Object.isFrozen(c.roles[0]!.permissions[0]!.actions)).toBe(true);
    expect(() => (c.roles[0]!.permissions[0]!.actions as string[]).push('*')).toThrow(TypeError);
  });

  it('refuses a corrupt catalog file with one clear line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'elevate-catalog-br-'));
    const junk = join(dir, 'junk.br');
    writeFileSync(junk, 'not brotli');
    expect(() => loadBuiltinCatalogFile(junk, 'catalog junk.br')).toThrow(/catalog junk\.br: not brotli-compressed data/);
    const wrong = join(dir, 'wrong.br');
    writeFileSync(wrong, encodeCompressedJson({ format: 1, roles: [{ id: 'x', name: 'x', roleName: 'X', permissions: 'all', assignableScopes: ['/'] }] }));
    expect(() => loadBuiltinCatalogFile(wrong, 'catalog wrong.br')).toThrow(/catalog wrong\.br: roles\.0\.permissions: /);
    expect(() => loadBuiltinCatalogFile(join(dir, 'missing.br'), 'catalog missing.br')).toThrow(/catalog missing\.br: cannot read \(ENOENT\)/);
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
    // every role the policies name is present, and roles outside the 32 the catalog used to hold
    for (const n of ['Redis Cache Contributor', 'Cosmos DB Operator', 'Azure Service Bus Data Owner', 'Backup Operator']) expect(c.byName(n), n).toBeDefined();
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

  it('refuses at load a role whose patterns Elevate cannot evaluate', () => {
    const p = write('pattern.json', JSON.stringify([good, { ...good, name: 'g2', id: 'x/g2', roleName: 'R2', permissions: [{ actions: ['Microsoft.Compute/ */read'] }] }]));
    expect(() => loadCatalogFile(p)).toThrow(/pattern\.json: entry 1: role "R2" \(g2\): action pattern contains whitespace/);
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
