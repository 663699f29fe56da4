import { describe, expect, it } from 'vitest';
import { ALL_PRINCIPALS_ID, createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { RbacDataError, RbacInputError } from '../../src/rbac/rbac-errors.ts';
import { APP, RG1, RG10, SUB, assign, deny, mgScope, role, state } from './rbac-fixtures.ts';

const reader = role('Reader', { actions: ['*/read'] });
const contributor = role('Contributor', {
  actions: ['*'],
  notActions: ['Microsoft.Authorization/*/Delete', 'Microsoft.Authorization/*/Write', 'Microsoft.Authorization/elevateAccess/Action'],
});
const appContributor = role('Container Apps Contributor', {
  actions: ['Microsoft.App/containerApps/*/read', 'Microsoft.App/containerApps/*/write', 'Microsoft.App/containerApps/*/action'],
});
const blobReader = role('Storage Blob Data Reader', {
  actions: ['Microsoft.Storage/storageAccounts/blobServices/containers/read'],
  dataActions: ['Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read'],
});
const BLOB_READ = 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read';

describe('grants and inheritance', () => {
  it('inherits from subscription and resource group down to resources, never sideways', () => {
    const ev = createEvaluator(state({ roles: [appContributor], assignments: [assign('u1', appContributor, RG1)] }));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: APP })).toMatchObject({ allowed: true, reason: 'granted' });
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: RG1 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: SUB }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: RG10 }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: `${RG10}/providers/Microsoft.App/containerApps/app1` }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.App/containerApps/write', scope: APP }).allowed).toBe(false);
  });

  it('compares scopes, principals and actions case-insensitively', () => {
    const ev = createEvaluator(state({ roles: [appContributor], assignments: [assign('AbC-1', appContributor, RG1.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/'))] }));
    const d = ev.check({ principalId: 'abc-1', action: 'MICROSOFT.APP/CONTAINERAPPS/REVISIONS/RESTART/ACTION', scope: APP.toLowerCase() });
    expect(d.allowed).toBe(true);
    expect(d.grantedBy[0]).toMatchObject({ roleName: 'Container Apps Contributor', matchedPattern: 'Microsoft.App/containerApps/*/action', viaGroup: false, viaPrincipalId: 'AbC-1' });
  });

  it('reaches subscriptions through the management-group hierarchy and from the root scope', () => {
    const ev = createEvaluator(
      state({
        roles: [reader, contributor],
        assignments: [assign('u1', reader, mgScope('Platform')), assign('u2', contributor, '/')],
        hierarchy: { [SUB.split('/')[2]!]: ['team', 'platform', 'root'] },
      }),
    );
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: `${RG1}/providers/Microsoft.Compute/virtualMachines/vm` });
    expect(d).toMatchObject({ allowed: true });
    expect(d.grantedBy[0]!.assignmentScope).toBe(mgScope('Platform'));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: mgScope('team') }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: mgScope('root') }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: '/subscriptions/other' }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.Compute/virtualMachines/write', scope: '/subscriptions/any/resourceGroups/x' }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.Compute/virtualMachines/write', scope: mgScope('x') }).allowed).toBe(true);
  });

  it('grants what a group is granted and says so', () => {
    const ev = createEvaluator(state({ roles: [reader], assignments: [assign('g-ops', reader, SUB)], groups: { u1: ['g-ops', 'g-other'] } }));
    const d = ev.check({ principalId: 'U1', action: 'Microsoft.Web/sites/read', scope: RG1 });
    expect(d.allowed).toBe(true);
    expect(d.grantedBy[0]).toMatchObject({ viaGroup: true, viaPrincipalId: 'g-ops' });
    expect(d.message).toContain('to group g-ops');
    // a group's membership does not flow the other way
    expect(ev.check({ principalId: 'g-other', action: 'Microsoft.Web/sites/read', scope: RG1 }).allowed).toBe(false);
  });

  it('indexes principals with many assignments and still respects segment boundaries', () => {
    const many = Array.from({ length: 150 }, (_, i) => assign('busy', i % 2 ? reader : appContributor, `${SUB}/resourceGroups/rg${i}`));
    const ev = createEvaluator(state({ roles: [reader, appContributor], assignments: [...many, assign('busy', contributor, RG10)], groups: { u: ['busy'] } }));
    const d = ev.check({ principalId: 'u', action: 'Microsoft.App/containerApps/write', scope: `${SUB}/resourceGroups/rg4/providers/Microsoft.App/containerApps/x` });
    expect(d.allowed).toBe(true);
    expect(d.grantedBy).toHaveLength(1);
    expect(d.grantedBy[0]).toMatchObject({ assignmentScope: `${SUB}/resourceGroups/rg4`, viaGroup: true });
    // rg1 holds Reader only; rg10..rg19 do not leak into rg1
    expect(ev.check({ principalId: 'busy', action: 'Microsoft.App/containerApps/write', scope: `${SUB}/resourceGroups/rg1` }).allowed).toBe(false);
    expect(ev.check({ principalId: 'busy', action: 'Microsoft.App/containerApps/read', scope: `${SUB}/resourceGroups/rg1` }).allowed).toBe(true);
    expect(ev.check({ principalId: 'busy', action: 'Microsoft.App/containerApps/read', scope: `${SUB}/resourceGroups/rg150` }).allowed).toBe(false);
    // a small principal in the same group: flattened list
    const small = createEvaluator(state({ roles: [reader, appContributor], assignments: [...many.slice(0, 40), assign('g2', reader, SUB)], groups: { v: ['busy', 'g2'] } }));
    expect(small.check({ principalId: 'v', action: 'Microsoft.App/containerApps/write', scope: `${SUB}/resourceGroups/rg4` }).grantedBy.map((g) => g.assignmentScope)).toEqual([`${SUB}/resourceGroups/rg4`]);
    expect(small.check({ principalId: 'v', action: 'Microsoft.App/containerApps/read', scope: `${SUB}/resourceGroups/rg4` }).grantedBy.map((g) => g.assignmentScope)).toEqual([`${SUB}/resourceGroups/rg4`, SUB]);
    expect(small.check({ principalId: 'v', action: 'Microsoft.App/containerApps/write', scope: `${SUB}/resourceGroups/rg40` }).allowed).toBe(false);
    expect(ev.check({ principalId: 'busy', action: 'Microsoft.App/containerApps/read', scope: SUB }).allowed).toBe(false);
  });

  it('explains with the most specific assignment first', () => {
    const ev = createEvaluator(state({ roles: [reader, contributor], assignments: [assign('u1', contributor, '/'), assign('u1', reader, SUB), assign('u1', reader, APP), assign('u1', contributor, RG1)] }));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.App/containerApps/read', scope: APP }).grantedBy.map((g) => g.assignmentScope)).toEqual([APP, RG1, SUB, '/']);
  });

  it('lists every grant that applies', () => {
    const ev = createEvaluator(state({ roles: [reader, contributor], assignments: [assign('u1', reader, SUB), assign('g', contributor, RG1)], groups: { u1: ['g'] } }));
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Web/sites/read', scope: APP });
    expect(d.grantedBy.map((g) => g.roleName).sort()).toEqual(['Contributor', 'Reader']);
  });
});

describe('NotActions and data actions', () => {
  it('subtracts NotActions within the block only; another block or role can still grant', () => {
    const twoBlocks = role('Two blocks', [
      { actions: ['Microsoft.Authorization/*'], notActions: ['Microsoft.Authorization/roleAssignments/write'] },
      { actions: ['Microsoft.Authorization/roleAssignments/*'] },
    ]);
    const ev = createEvaluator(state({ roles: [contributor, twoBlocks, reader], assignments: [assign('u1', contributor, SUB), assign('u2', twoBlocks, SUB), assign('u3', contributor, SUB), assign('u3', role('x', {}), SUB)] }));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/write', scope: RG1 }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/delete', scope: RG1 }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/read', scope: RG1 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).allowed).toBe(true);
    const d = ev.check({ principalId: 'u2', action: 'Microsoft.Authorization/roleAssignments/write', scope: RG1 });
    expect(d.allowed).toBe(true);
    expect(d.grantedBy[0]!.matchedPattern).toBe('Microsoft.Authorization/roleAssignments/*');
  });

  it('is not a deny: a NotAction of one role does not remove what another role grants', () => {
    const rbacAdmin = role('RBAC admin', { actions: ['Microsoft.Authorization/roleAssignments/write'] });
    const ev = createEvaluator(state({ roles: [contributor, rbacAdmin], assignments: [assign('u1', contributor, SUB), assign('u1', rbacAdmin, RG1)] }));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/write', scope: RG1 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/write', scope: SUB }).allowed).toBe(false);
  });

  it('never lets control-plane `*` grant data actions, and matches data actions only against DataActions', () => {
    const owner = role('Owner', { actions: ['*'] });
    const ev = createEvaluator(state({ roles: [owner, blobReader], assignments: [assign('u1', owner, SUB), assign('u2', blobReader, SUB)] }));
    expect(ev.check({ principalId: 'u1', action: BLOB_READ, scope: RG1, dataAction: true }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: BLOB_READ, scope: RG1 }).allowed).toBe(true); // same string asked as a control-plane action
    expect(ev.check({ principalId: 'u2', action: BLOB_READ, scope: RG1, dataAction: true }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u2', action: BLOB_READ, scope: RG1, dataAction: false }).allowed).toBe(false);
    const dataNot = role('data not', { dataActions: ['Microsoft.Storage/*'], notDataActions: [BLOB_READ] });
    const ev2 = createEvaluator(state({ roles: [dataNot], assignments: [assign('u', dataNot, SUB)] }));
    expect(ev2.check({ principalId: 'u', action: BLOB_READ, scope: SUB, dataAction: true }).allowed).toBe(false);
    expect(ev2.check({ principalId: 'u', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write', scope: SUB, dataAction: true }).allowed).toBe(true);
  });
});

describe('deny assignments', () => {
  const roles = [contributor, reader];
  const base = { roles, assignments: [assign('u1', contributor, SUB), assign('u2', contributor, SUB), assign('g', contributor, SUB)], groups: { u1: ['g'], u3: ['g'] } };

  it('wins over grants, names itself, and applies to child scopes', () => {
    const ev = createEvaluator(state({ ...base, denyAssignments: [deny(RG1, ['u1'], { actions: ['Microsoft.Compute/virtualMachines/delete'] })] }));
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/delete', scope: `${RG1}/providers/Microsoft.Compute/virtualMachines/vm` });
    expect(d).toMatchObject({ allowed: false, reason: 'denied-by-deny-assignment', wouldBeGrantedBy: [] });
    expect(d.deniedBy[0]).toMatchObject({ matchedPattern: 'Microsoft.Compute/virtualMachines/delete', scope: RG1, viaPrincipalId: 'u1' });
    expect(d.grantedBy.length).toBeGreaterThan(0);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/delete', scope: RG10 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.Compute/virtualMachines/delete', scope: RG1 }).allowed).toBe(true);
  });

  it('applies to everyone via the all-principals id, except excluded principals and members of excluded groups', () => {
    const ev = createEvaluator(
      state({ ...base, denyAssignments: [deny(SUB, [ALL_PRINCIPALS_ID], { actions: ['*'], notActions: ['*/read'] }, { excludePrincipals: [{ id: 'u2' }, { id: 'G' }] })] }),
    );
    expect(ev.check({ principalId: 'someone', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).reason).toBe('denied-by-deny-assignment');
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).allowed).toBe(true);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).allowed).toBe(true); // member of excluded group g
    // the deny's NotActions carve reads out of the deny
    expect(ev.check({ principalId: 'someone', action: 'Microsoft.Compute/virtualMachines/read', scope: RG1 }).reason).toBe('no-matching-assignment');
  });

  it('reaches members of a denied group', () => {
    const ev = createEvaluator(state({ ...base, denyAssignments: [deny(SUB, ['g'], { actions: ['Microsoft.Compute/*'] })] }));
    const d = ev.check({ principalId: 'u3', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 });
    expect(d.reason).toBe('denied-by-deny-assignment');
    expect(d.deniedBy[0]!.viaPrincipalId).toBe('g');
    expect(ev.check({ principalId: 'u2', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1 }).allowed).toBe(true);
  });

  it('honours doNotApplyToChildScopes', () => {
    const ev = createEvaluator(state({ ...base, denyAssignments: [deny(RG1, ['u1'], { actions: ['*'] }, { doNotApplyToChildScopes: true })] }));
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/write', scope: RG1.toLowerCase() }).allowed).toBe(false);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/write', scope: `${RG1}/providers/Microsoft.Compute/virtualMachines/vm` }).allowed).toBe(true);
  });

  it('denies data actions only through DataActions, and reaches down from management groups', () => {
    const ev = createEvaluator(
      state({
        roles: [blobReader],
        assignments: [assign('u1', blobReader, SUB)],
        hierarchy: { [SUB.split('/')[2]!]: ['mg1'] },
        denyAssignments: [deny(mgScope('mg1'), ['u1'], { actions: ['*'] }), deny(mgScope('mg1'), ['u1'], { dataActions: ['Microsoft.Storage/*/blobs/read'] })],
      }),
    );
    const d = ev.check({ principalId: 'u1', action: BLOB_READ, scope: RG1, dataAction: true });
    expect(d.reason).toBe('denied-by-deny-assignment');
    expect(d.deniedBy).toHaveLength(1);
    expect(d.deniedBy[0]!.matchedPattern).toBe('Microsoft.Storage/*/blobs/read');
  });
});

describe('ABAC conditions', () => {
  const condition = `((!(ActionMatches{'${BLOB_READ}'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))`;

  it('reports a grant that depends on attributes as conditional, never as allowed', () => {
    const ev = createEvaluator(state({ roles: [blobReader], assignments: [assign('u1', blobReader, SUB, { condition, conditionVersion: '2.0' })] }));
    const d = ev.check({ principalId: 'u1', action: BLOB_READ, scope: RG1, dataAction: true });
    expect(d).toMatchObject({ allowed: false, reason: 'only-conditional-grants', grantedBy: [] });
    expect(d.conditionalGrants).toHaveLength(1);
    expect(d.conditionalGrants[0]).toMatchObject({ condition, conditionVersion: '2.0', roleName: 'Storage Blob Data Reader' });
    expect(d.conditionalGrants[0]!.note).toMatch(/role assignment/);
    // the suggestion list still says which role would grant it without a condition
    expect(d.wouldBeGrantedBy.map((s) => s.roleName)).toContain('Storage Blob Data Reader');
  });

  it('counts the grant for actions the condition provably does not restrict', () => {
    const ev = createEvaluator(state({ roles: [blobReader], assignments: [assign('u1', blobReader, SUB, { condition, conditionVersion: '2.0' })] }));
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Storage/storageAccounts/blobServices/containers/read', scope: RG1 });
    expect(d.allowed).toBe(true);
    expect(d.grantedBy[0]!.conditionNote).toMatch(/holds/);
  });

  it('treats an unreadable condition as conditional for every action, and an unconditional grant still wins', () => {
    const ev = createEvaluator(
      state({ roles: [reader, blobReader], assignments: [assign('u1', reader, SUB, { condition: 'garbage ((', conditionVersion: '2.0' }), assign('u2', reader, SUB, { condition: 'garbage ((' }), assign('u2', reader, RG1)] }),
    );
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Web/sites/read', scope: RG1 }).reason).toBe('only-conditional-grants');
    const d = ev.check({ principalId: 'u2', action: 'Microsoft.Web/sites/read', scope: RG1 });
    expect(d.allowed).toBe(true);
    expect(d.conditionalGrants).toHaveLength(1);
  });

  it('applies conditions carried by a role definition block', () => {
    const guarded = role('Guarded RBAC admin', [
      { actions: ['*/read'] },
      {
        actions: ['Microsoft.Authorization/roleAssignments/write'],
        condition: "((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals{acdd72a7338548efbd42f606fba81ae7}))",
        conditionVersion: '2.0',
      },
    ]);
    const ev = createEvaluator(state({ roles: [guarded], assignments: [assign('u1', guarded, SUB)] }));
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/write', scope: RG1 });
    expect(d.reason).toBe('only-conditional-grants');
    expect(d.conditionalGrants[0]!.note).toMatch(/role definition/);
    expect(ev.check({ principalId: 'u1', action: 'Microsoft.Authorization/roleAssignments/read', scope: RG1 }).allowed).toBe(true);
  });
});

describe('suggestions (wouldBeGrantedBy)', () => {
  it('lists built-in roles first, smallest first, only ones assignable at the scope, deduplicated and capped', () => {
    const small = role('Small builtin', { actions: ['Microsoft.Web/sites/restart/action'] });
    const big = role('Big builtin', { actions: ['Microsoft.Web/sites/*', 'Microsoft.Web/serverfarms/*', 'Microsoft.Insights/*'] });
    const custom = role('Custom tiny', { actions: ['Microsoft.Web/sites/restart/action'] }, { builtIn: false });
    const elsewhere = role('Custom elsewhere', { actions: ['Microsoft.Web/*'] }, { builtIn: false, assignableScopes: ['/subscriptions/other'] });
    const notIt = role('Not it', { actions: ['Microsoft.Web/*'], notActions: ['Microsoft.Web/sites/restart/action'] });
    const conditional = role('Conditional', { actions: ['Microsoft.Web/sites/restart/action'], condition: "@Resource[x] StringEquals 'y'", conditionVersion: '2.0' });
    const roles = [custom, big, contributor, small, elsewhere, notIt, conditional, { ...small }];
    const ev = createEvaluator(state({ roles, assignments: [] }));
    const d = ev.check({ principalId: 'u1', action: 'Microsoft.Web/sites/restart/action', scope: RG1 });
    expect(d.reason).toBe('no-matching-assignment');
    // least privilege first: the exact-action role, then the provider-wide one, Contributor (`*`) last
    expect(d.wouldBeGrantedBy.map((s) => s.roleName)).toEqual(['Small builtin', 'Big builtin', 'Contributor', 'Custom tiny']);
    expect(d.wouldBeGrantedBy[0]).toEqual({ roleDefinitionId: small.id, roleName: 'Small builtin', size: 1, builtIn: true });
    expect(createEvaluator(state({ roles }), { suggestionLimit: 2 }).check({ principalId: 'u1', action: 'Microsoft.Web/sites/restart/action', scope: RG1 }).wouldBeGrantedBy).toHaveLength(2);
    expect(createEvaluator(state({ roles }), { suggestionLimit: 0 }).check({ principalId: 'u1', action: 'Microsoft.Web/sites/restart/action', scope: RG1 }).wouldBeGrantedBy).toEqual([]);
    const atOther = createEvaluator(state({ roles })).check({ principalId: 'u1', action: 'Microsoft.Web/sites/restart/action', scope: '/subscriptions/other/resourceGroups/x' });
    expect(atOther.wouldBeGrantedBy.map((s) => s.roleName)).toContain('Custom elsewhere');
  });

  it('shares frozen suggestion objects, so one caller cannot corrupt another decision', () => {
    const ev = createEvaluator(state({ roles: [reader] }));
    const first = ev.check({ principalId: 'u', action: 'Microsoft.Web/sites/read', scope: SUB }).wouldBeGrantedBy[0]!;
    expect(() => {
      (first as { roleName: string }).roleName = 'Owner';
    }).toThrow(TypeError);
    expect(ev.check({ principalId: 'v', action: 'Microsoft.Web/sites/read', scope: RG1 }).wouldBeGrantedBy[0]!.roleName).toBe('Reader');
  });

  it('suggests from a separate catalog when given, and only data roles for data actions', () => {
    const ev = createEvaluator(state({ roles: [] }), { catalog: [reader, contributor, blobReader] });
    expect(ev.check({ principalId: 'u', action: BLOB_READ, scope: SUB, dataAction: true }).wouldBeGrantedBy.map((s) => s.roleName)).toEqual(['Storage Blob Data Reader']);
    expect(ev.check({ principalId: 'u', action: 'Microsoft.Web/sites/read', scope: SUB }).wouldBeGrantedBy.map((s) => s.roleName)).toEqual(['Contributor', 'Reader']);
  });
});

describe('input validation', () => {
  const ev = createEvaluator(state({ roles: [reader], assignments: [assign('u1', reader, SUB)] }));

  it.each([
    [{ principalId: 'u1', action: '*', scope: SUB }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/*', scope: SUB }],
    [{ principalId: 'u1', action: '', scope: SUB }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read\n', scope: SUB }],
    [{ principalId: '', action: 'Microsoft.Compute/virtualMachines/read', scope: SUB }],
    [{ principalId: 'u1 OR 1=1', action: 'Microsoft.Compute/virtualMachines/read', scope: SUB }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: `${SUB}/resourceGroups/../x` }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: `${SUB}/resourceGroups/a%2Fb` }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: 'subscriptions/x' }],
    [{ principalId: 'u1', action: 'Microsoft.Compute/virtualMachines/read', scope: SUB, dataAction: 'yes' as unknown as boolean }],
  ])('rejects %j with RbacInputError', (req) => {
    expect(() => ev.check(req)).toThrow(RbacInputError);
  });

  it('rejects malformed state with an error naming the entry, and warns about unknown roles', () => {
    expect(() => createEvaluator(state({ roles: [reader], assignments: [assign('u', reader, '/subscriptions/x/../y')] }))).toThrow(/role assignment .*ra-/);
    expect(() => createEvaluator(state({ roles: [role('bad', { actions: [' '] })] }))).toThrow(RbacDataError);
    expect(() => createEvaluator(state({ denyAssignments: [deny('/nope', ['u'], { actions: ['*'] })] }))).toThrow(RbacDataError);
    expect(() => createEvaluator(state({ hierarchy: { s: ['a/b'] } }))).toThrow(/hierarchy/);
    const ev2 = createEvaluator(state({ roles: [reader], assignments: [assign('u', role('unknown', {}), SUB)] }));
    expect(ev2.warnings).toHaveLength(1);
    expect(ev2.check({ principalId: 'u', action: 'Microsoft.Web/sites/read', scope: SUB }).allowed).toBe(false);
  });

  it('matches role assignments to definitions by trailing GUID, whatever the scope prefix or case', () => {
    const scoped = { ...assign('u', reader, SUB), roleDefinitionId: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/${reader.name.toUpperCase()}` };
    expect(createEvaluator(state({ roles: [reader], assignments: [scoped] })).check({ principalId: 'u', action: 'Microsoft.Web/sites/read', scope: RG1 }).allowed).toBe(true);
  });
});

describe('keeping what a check derived for a scope (keepScope)', () => {
  const withDeny = state({ roles: [appContributor], assignments: [assign('u1', appContributor, RG1)], denyAssignments: [deny(APP, ['u1'], { actions: ['Microsoft.App/containerApps/delete'] })] });
  const asked = (keep: (n: number) => boolean) => {
    const scopes: string[] = [];
    const ev = createEvaluator(withDeny, {
      keepScope: (scope) => keep(scopes.push(scope)),
    });
    return { ev, scopes };
  };
  const checks = [
    { principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: APP },
    { principalId: 'u1', action: 'Microsoft.App/containerApps/delete', scope: APP },
    { principalId: 'u1', action: 'Microsoft.App/containerApps/write', scope: APP },
  ];

  it('asks again at every check of a scope it was told not to keep, and answers the same', () => {
    const never = asked(() => false);
    const always = createEvaluator(withDeny);
    expect(checks.map((c) => never.ev.check(c))).toEqual(checks.map((c) => always.check(c)));
    expect(never.scopes).toEqual([APP, APP, APP]);
    // The deny at the resource's own scope is found every time, kept or not.
    expect(checks.map((c) => never.ev.check(c).allowed)).toEqual([true, false, true]);
  });

  it('stops asking once a scope is kept: from then on the kept ancestry answers', () => {
    const secondTime = asked((n) => n >= 2);
    expect(checks.map((c) => secondTime.ev.check(c).allowed)).toEqual([true, false, true]);
    expect(secondTime.scopes).toEqual([APP, APP]);
  });
});
