import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBuiltinCatalog } from '../../src/rbac/builtin-catalog-file.ts';
import { BUILTIN_CATALOG_FILE } from '../../src/rbac/role-catalog.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const corpusPath = fileURLToPath(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url));
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8')) as Array<Record<string, unknown> & { roleName: string; name: string }>;
const dir = mkdtempSync(join(tmpdir(), 'elevate-roles-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};
const shippedBytes = () => readFileSync(BUILTIN_CATALOG_FILE);

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/elevate.js', ...args], { cwd: repo, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const custom = { ...corpus[0]!, name: 'c0ffee00-0000-4000-8000-000000000001', id: '/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/c0ffee00-0000-4000-8000-000000000001', roleName: 'Our Custom Role', roleType: 'CustomRole', assignableScopes: ['/subscriptions/5e7a3c1d-0000-4000-8000-000000000001'] };
// a newer Azure: one role changed, one added, plus a tenant's custom role that must not be shipped
const changed = corpus.map((r) => (r.roleName === 'Reader' ? { ...r, description: 'View all resources (newer text).' } : r));
const added = { ...corpus[0]!, name: 'a11ce000-0000-4000-8000-000000000002', id: '/providers/Microsoft.Authorization/roleDefinitions/a11ce000-0000-4000-8000-000000000002', roleName: 'Brand New Built-in Role' };

describe('elevate roles update', () => {
  it('writes the built-in roles of an export atomically, with its NOTICE, and reports what changed', async () => {
    const out = mkdtempSync(join(dir, 'out-'));
    writeFileSync(join(out, 'builtin-roles.json.br'), shippedBytes());
    const before = shippedBytes();
    const r = await run(['roles', 'update', '--from', file('export.json', [...changed, added, custom]), '--out', out, '--output', 'json']);
    expect(r.stderr).toMatch(/validating role definitions 0\/930 \(0%\)/);
    expect(r.stderr).toMatch(/validating role definitions \d+\/930 \(90%\)/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ roles: 929, added: 1, changed: 1, removed: 0, skippedCustomRoles: 1, addedRoles: ['Brand New Built-in Role'], changedRoles: ['Reader'] });
    const written = decodeBuiltinCatalog(readFileSync(join(out, 'builtin-roles.json.br')), 'written');
    expect(written).toHaveLength(929);
    expect(written.find((x) => x.roleName === 'Reader')!.description).toBe('View all resources (newer text).');
    expect(written.some((x) => x.roleType !== 'BuiltInRole')).toBe(false);
    expect(readFileSync(join(out, 'builtin-roles.NOTICE.md'), 'utf8')).toMatch(/elevate roles update --from export\.json[\s\S]*- roles: 929/);
    // nothing but the two files: no temporary file left behind
    expect(readdirSync(out).sort()).toEqual(['builtin-roles.NOTICE.md', 'builtin-roles.json.br']);
    // the shipped catalog was not touched
    expect(shippedBytes().equals(before)).toBe(true);
  });

  it.each([
    ['not JSON', '{ "value": [', /not valid JSON .*expected the output of `az role definition list`/],
    ['not a list', { roles: [] }, /expected an ARM list body/],
    ['a role without permissions', [{ ...corpus[1]!, permissions: undefined }], /entry 0 \(.*\): permissions: /],
    ['a bad assignable scope', [{ ...corpus[1]!, assignableScopes: ['/subscriptions/x/../y'] }], /entry 0 .*assignableScopes\.0: /],
    ['a pattern with whitespace', [{ ...corpus[1]!, permissions: [{ actions: ['Microsoft.Compute/ */read'], notActions: [], dataActions: [], notDataActions: [] }] }], /whitespace/],
    ['only custom roles', [custom], /no built-in roles \(roleType "BuiltInRole"\)/],
    ['duplicate role names', [corpus[1]!, { ...corpus[1]!, name: 'd0000000-0000-4000-8000-000000000003', id: 'x/d0000000-0000-4000-8000-000000000003' }], /duplicate roleName/],
    ['a partial export', corpus.slice(0, 100), /lacks 828 built-in roles the current catalog has .*--allow-removals/],
  ])('refuses %s with one clear line and writes nothing', async (_what, content, pattern) => {
    const out = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(out, 'builtin-roles.json.br'), shippedBytes());
    const r = await run(['roles', 'update', '--from', file(`bad-${Math.random()}.json`, content), '--out', out]);
    expect(r.code).not.toBe(0);
    const errors = r.stderr.trim().split('\n').filter((l) => !/validating role definitions/.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^elevate: /);
    expect(errors[0]).toMatch(pattern);
    expect(readFileSync(join(out, 'builtin-roles.json.br')).equals(shippedBytes())).toBe(true);
    expect(existsSync(join(out, 'builtin-roles.NOTICE.md'))).toBe(false);
  });

  it('refuses a missing file and requires --from', async () => {
    const missing = await run(['roles', 'update', '--from', join(dir, 'nope.json'), '--out', dir]);
    expect(missing.stderr).toMatch(/^elevate: roles export .*nope\.json: cannot read \(ENOENT\)\n$/);
    const none = await run(['roles', 'update']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/--from/);
  });
});
