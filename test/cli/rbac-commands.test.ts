import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'elevate-rbac-cli-'));
const file = (name: string, content: unknown) => {
  const p = join(dir, name);
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
  return p;
};

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/elevate.js', ...args], { cwd: repo, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const corpus = JSON.parse(readFileSync(new URL('../../../shared/azure-rbac/builtin-roles.all.json', import.meta.url), 'utf8')) as Array<{ name: string; roleName: string }>;

const SUB = '/subscriptions/5e7a3c1d-0000-4000-8000-000000000001';
const RG1 = `${SUB}/resourceGroups/rg1`;
const APP = `${RG1}/providers/Microsoft.App/containerApps/app1`;
const CONTAINER_APPS_CONTRIBUTOR = '/providers/Microsoft.Authorization/roleDefinitions/358470bc-b998-42bd-ab17-a7e34c199c0f';
const READER = '/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7';

const assignments = file('assignments.json', {
  value: [
    { id: `${RG1}/providers/Microsoft.Authorization/roleAssignments/a1`, name: 'a1', properties: { roleDefinitionId: CONTAINER_APPS_CONTRIBUTOR, principalId: 'agent-oid', scope: RG1 } },
    { id: '/providers/Microsoft.Management/managementGroups/platform/providers/Microsoft.Authorization/roleAssignments/a2', name: 'a2', properties: { roleDefinitionId: READER, principalId: 'sre-group', scope: '/providers/Microsoft.Management/managementGroups/platform' } },
  ],
});
const groups = file('groups.json', { 'human-oid': ['sre-group'] });
const hierarchy = file('hierarchy.json', { '5e7a3c1d-0000-4000-8000-000000000001': ['platform', 'tenant-root'] });
const denyFile = file('deny.json', {
  value: [
    {
      id: `${SUB}/providers/Microsoft.Authorization/denyAssignments/d1`,
      name: 'd1',
      properties: { denyAssignmentName: 'no-secrets', scope: SUB, permissions: [{ actions: ['Microsoft.App/containerApps/listSecrets/action'] }], principals: [{ id: '00000000-0000-0000-0000-000000000000' }], excludePrincipals: [] },
    },
  ],
});
const base = ['rbac', 'check', '--assignments', assignments];

const oneLineError = (r: { code: number; stdout: string; stderr: string }, pattern: RegExp) => {
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/^elevate: /);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
};

describe('elevate rbac check', () => {
  it('explains a grant as JSON and exits 0', async () => {
    const r = await run([...base, '--principal', 'agent-oid', '--action', 'microsoft.app/containerapps/revisions/restart/action', '--scope', APP, '--output', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ allowed: true, reason: 'granted', deniedBy: [], wouldBeGrantedBy: [] });
    expect(d.grantedBy[0]).toMatchObject({ roleName: 'Container Apps Contributor', matchedPattern: 'Microsoft.App/containerApps/*/action', assignmentScope: RG1 });
  });

  it('says no with suggestions from the built-in catalog, still exiting 0', async () => {
    const r = await run([...base, '--principal', 'agent-oid', '--action', 'Microsoft.App/containerApps/write', '--scope', `${SUB}/resourceGroups/rg10`, '--output', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout);
    expect(d).toMatchObject({ allowed: false, reason: 'no-matching-assignment', grantedBy: [] });
    expect(d.wouldBeGrantedBy.map((s: { roleName: string }) => s.roleName)).toContain('Container Apps Contributor');
  });

  it('uses groups, the management-group hierarchy and deny assignments from files', async () => {
    const viaGroup = await run([...base, '--groups', groups, '--hierarchy', hierarchy, '--principal', 'human-oid', '--action', 'Microsoft.Compute/virtualMachines/read', '--scope', RG1, '--output', 'json']);
    expect(JSON.parse(viaGroup.stdout).grantedBy[0]).toMatchObject({ roleName: 'Reader', viaGroup: true, viaPrincipalId: 'sre-group' });
    const denied = await run([...base, '--deny', denyFile, '--principal', 'agent-oid', '--action', 'Microsoft.App/containerApps/listSecrets/action', '--scope', APP, '--output', 'json']);
    expect(denied.code).toBe(0);
    expect(JSON.parse(denied.stdout)).toMatchObject({ allowed: false, reason: 'denied-by-deny-assignment', deniedBy: [{ denyAssignmentName: 'no-secrets' }] });
  });

  it('takes custom role definitions with --roles', async () => {
    const roles = file('roles.json', [
      { id: '/providers/Microsoft.Authorization/roleDefinitions/358470bc-b998-42bd-ab17-a7e34c199c0f', name: '358470bc-b998-42bd-ab17-a7e34c199c0f', roleName: 'Restarter', roleType: 'CustomRole', permissions: [{ actions: ['Microsoft.App/containerApps/revisions/restart/action'], notActions: [], dataActions: [], notDataActions: [] }], assignableScopes: ['/'] },
    ]);
    const r = await run([...base, '--roles', roles, '--principal', 'agent-oid', '--action', 'Microsoft.App/containerApps/write', '--scope', APP, '--output', 'json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, wouldBeGrantedBy: [] });
  });

  it('prints a readable table by default', async () => {
    const r = await run([...base, '--principal', 'agent-oid', '--action', 'Microsoft.App/containerApps/write', '--scope', APP]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ALLOWED\s+REASON\s+MESSAGE/);
    expect(r.stdout).toMatch(/granted by\nROLENAME/);
    expect(r.stdout).toContain('Container Apps Contributor');
  });

  it('runs --cases line by line, reporting bad lines without crashing', async () => {
    const cases = file(
      'cases.jsonl',
      [
        JSON.stringify({ principal: 'agent-oid', action: 'Microsoft.App/containerApps/write', scope: APP }),
        '{not json',
        '',
        JSON.stringify({ principal: 'agent-oid', action: '*', scope: APP }),
        JSON.stringify({ principal: 'agent-oid', scope: APP }),
        JSON.stringify({ principal: 'agent-oid', action: 'Microsoft.App/containerApps/write', scope: `${RG1}/../rg2` }),
        JSON.stringify({ principal: 'agent-oid', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read', scope: APP, data: true }),
      ].join('\n') + '\n',
    );
    const r = await run([...base, '--cases', cases, '--output', 'json']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.line)).toEqual([1, 2, 4, 5, 6, 7]);
    expect(lines[0]).toMatchObject({ allowed: true, reason: 'granted', action: 'Microsoft.App/containerApps/write' });
    expect(lines[1]).toEqual({ line: 2, allowed: false, error: 'line 2: not valid JSON' });
    expect(lines[2]).toMatchObject({ line: 4, allowed: false, error: expect.stringMatching(/line 4: invalid action/) });
    expect(lines[3]).toMatchObject({ line: 5, allowed: false, error: expect.stringMatching(/line 5: action/) });
    expect(lines[4]).toMatchObject({ line: 6, allowed: false, error: expect.stringMatching(/line 6: invalid scope/) });
    expect(lines[5]).toMatchObject({ line: 7, allowed: false, reason: 'no-matching-assignment' });
    const table = await run([...base, '--cases', cases]);
    expect(table.stdout).toMatch(/^LINE\s+PRINCIPAL\s+ACTION/);
  });

  it.each([
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', join(dir, 'missing.json')], /assignments file .*missing\.json: cannot read \(ENOENT\)/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', file('bad.json', '{"value": [')], /assignments file .*bad\.json: not valid JSON/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', file('badentry.json', { value: [{ id: 'x', properties: { principalId: 'p', scope: '/' } }] })], /entry 0 \(x\): properties\.roleDefinitionId/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', assignments, '--roles', file('badroles.json', [{ id: 'x' }])], /role catalog .*badroles\.json: entry 0 \(x\)/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', assignments, '--groups', file('badgroups.json', { p: 'g' })], /groups file .*badgroups\.json: p/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', assignments, '--hierarchy', file('badh.json', { s: ['a/b'] })], /hierarchy/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', assignments, '--bogus'], /unknown option '--bogus'/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/'], /required option '--assignments/],
    [['--principal', 'p', '--scope', '/', '--assignments', assignments], /--action/],
    [['--principal', 'p', '--action', 'Microsoft.Compute/*', '--scope', '/', '--assignments', assignments], /invalid action/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/subscriptions/x/../y', '--assignments', assignments], /invalid scope/],
    [['--principal', 'p', '--cases', join(dir, 'x.jsonl'), '--assignments', assignments], /--cases cannot be combined/],
    [['--cases', join(dir, 'nope.jsonl'), '--assignments', assignments], /cases file .*nope\.jsonl: cannot read/],
    [['--principal', 'p', '--action', 'a/b', '--scope', '/', '--assignments', assignments, '--output', 'xml'], /--output/],
  ])('rejects bad input with one line: %j', { concurrent: true }, async (args, pattern) => {
    oneLineError(await run(['rbac', 'check', ...args]), pattern);
  });
});

describe('elevate rbac check over the full built-in catalog (no --roles)', () => {
  const REDIS = `${RG1}/providers/Microsoft.Cache/redis/cache1`;
  // ids of roles outside the 32 the catalog used to ship, read from the real corpus
  const roleId = (name: string) => `/providers/Microsoft.Authorization/roleDefinitions/${corpus.find((r) => r.roleName === name)!.name}`;
  const others = file('others.json', [
    { id: `${RG1}/providers/Microsoft.Authorization/roleAssignments/b1`, scope: RG1, roleDefinitionId: roleId('Redis Cache Contributor'), principalId: 'redis-oid' },
    { id: `${RG1}/providers/Microsoft.Authorization/roleAssignments/b2`, scope: RG1, roleDefinitionId: roleId('Backup Operator'), principalId: 'backup-oid' },
    { id: `${RG1}/providers/Microsoft.Authorization/roleAssignments/b3`, scope: RG1, roleDefinitionId: roleId('Cosmos DB Operator'), principalId: 'cosmos-oid' },
  ]);
  const check = (principal: string, action: string, scope = RG1) => run(['rbac', 'check', '--assignments', others, '--principal', principal, '--action', action, '--scope', scope, '--output', 'json']);

  it('grants what built-in roles outside the old 32 grant, and nothing more', async () => {
    const [reboot, backup, cosmos, redisNoVm] = await Promise.all([
      check('redis-oid', 'Microsoft.Cache/redis/forceReboot/action', REDIS),
      check('backup-oid', 'Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/backup/action'),
      check('cosmos-oid', 'Microsoft.DocumentDB/databaseAccounts/regenerateKey/action'),
      check('redis-oid', 'Microsoft.Compute/virtualMachines/restart/action'),
    ]);
    for (const r of [reboot, backup, cosmos, redisNoVm]) expect(r.stderr).toBe('');
    expect(JSON.parse(reboot.stdout)).toMatchObject({ allowed: true, grantedBy: [{ roleName: 'Redis Cache Contributor', matchedPattern: 'Microsoft.Cache/redis/*' }] });
    expect(JSON.parse(backup.stdout)).toMatchObject({ allowed: true, grantedBy: [{ roleName: 'Backup Operator' }] });
    // Cosmos DB Operator lists regenerateKey among its NotActions
    expect(JSON.parse(cosmos.stdout)).toMatchObject({ allowed: false, reason: 'no-matching-assignment' });
    expect(JSON.parse(redisNoVm.stdout)).toMatchObject({ allowed: false });
  });

  it('warns on stderr when the typed action is not an operation Azure lists, and still answers', async () => {
    const r = await check('redis-oid', 'Microsoft.Cache/redis/reboot/action', REDIS);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^elevate: warning: Microsoft\.Cache\/redis\/reboot\/action is not an action Azure lists for Microsoft\.Cache/);
    // Redis Cache Contributor's Microsoft.Cache/redis/* still matches the invented name, as Azure's pattern match would
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true });
  });

  it('suggests Redis Cache Contributor first for forceReboot', async () => {
    const r = await check('nobody', 'Microsoft.Cache/redis/forceReboot/action', REDIS);
    const names = (JSON.parse(r.stdout) as { wouldBeGrantedBy: Array<{ roleName: string }> }).wouldBeGrantedBy.map((s) => s.roleName);
    expect(names[0]).toBe('Redis Cache Contributor');
    expect(names).toContain('Contributor');
    expect(names.indexOf('Contributor')).toBeGreaterThan(0);
  });
});

describe('elevate rbac action', () => {
  it('derives the action, resource type and scope of an ARM call', async () => {
    const r = await run(['rbac', 'action', 'POST', `${APP}/revisions/rev1/restart`, '--output', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ action: 'Microsoft.App/containerApps/revisions/restart/action', operationStatus: 'listed', resourceType: 'Microsoft.App/containerApps/revisions', scope: `${APP}/revisions/rev1` });
    const t = await run(['rbac', 'action', 'get', RG1]);
    expect(t.stdout).toMatch(/^ACTION\s+OPERATION\s+RESOURCETYPE\s+SCOPE\nMicrosoft\.Resources\/subscriptions\/resourceGroups\/read\s+listed/);
  });

  it('names the listed operation for calls that are not "type + verb", and flags an unlisted one', async () => {
    const [graph, job, unknown] = await Promise.all([
      run(['rbac', 'action', 'POST', '/providers/Microsoft.ResourceGraph/resources', '--output', 'json']),
      run(['rbac', 'action', 'POST', `${RG1}/providers/Microsoft.App/jobs/j1/executions/e1/stop`]),
      run(['rbac', 'action', 'POST', `${APP}/frobnicate`]),
    ]);
    expect(JSON.parse(graph.stdout)).toMatchObject({ action: 'Microsoft.ResourceGraph/resources/read', operationStatus: 'resolved', derivedAction: 'Microsoft.ResourceGraph/resources/action' });
    expect(job.stdout).toMatch(/^microsoft\.app\/jobs\/stop\/execution\/action\s+resolved/m);
    expect(unknown.code).toBe(0);
    expect(unknown.stdout).toMatch(/^Microsoft\.App\/containerApps\/frobnicate\/action\s+unlisted/m);
    expect(unknown.stdout).toMatch(/note: Microsoft\.App\/containerApps\/frobnicate\/action is not an operation Azure lists for Microsoft\.App; the action Azure checks for this call may differ/);
  });

  it('rejects traversal, encoded slashes and bad methods with one line', async () => {
    oneLineError(await run(['rbac', 'action', 'GET', `${RG1}/../rg2`]), /relative path segment/);
    oneLineError(await run(['rbac', 'action', 'GET', `${RG1}%2F..%2Frg2`]), /percent-encoding/);
    oneLineError(await run(['rbac', 'action', 'BREW', RG1]), /unsupported HTTP method/);
    oneLineError(await run(['rbac', 'action', 'GET']), /missing required argument 'path'/);
  });
});
