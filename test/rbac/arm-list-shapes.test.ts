import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDenyAssignmentList, parseRoleAssignmentList, parseRoleDefinitionList } from '../../src/rbac/arm-list-shapes.ts';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { RbacDataError } from '../../src/rbac/rbac-errors.ts';

const example = (name: string, status = '200'): unknown => {
  const file = JSON.parse(readFileSync(new URL(`../../../shared/azure-rbac/arm-examples/${name}`, import.meta.url), 'utf8')) as {
    responses: Record<string, { body?: unknown }>;
  };
  return file.responses[status]!.body;
};

describe('ARM list shapes (real REST spec examples)', () => {
  it('parses role assignment lists, single items and conditions', () => {
    const list = parseRoleAssignmentList(example('stable-2022-04-01__RoleAssignments_ListForScope.json'));
    expect(list).toEqual([
      {
        id: '/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/providers/Microsoft.Authorization/roleAssignments/b0f43c54-e787-4862-89b1-a653fa9cf747',
        name: 'b0f43c54-e787-4862-89b1-a653fa9cf747',
        scope: '/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2',
        roleDefinitionId: '/providers/Microsoft.Authorization/roleDefinitions/0b5fe924-9a61-425c-96af-cfe6e287ca2d',
        principalId: 'ce2ce14e-85d7-4629-bdbc-454d0519d987',
        principalType: 'User',
      },
    ]);
    expect(parseRoleAssignmentList(example('stable-2022-04-01__RoleAssignments_ListForResourceGroup.json')).map((a) => a.scope)).toEqual([
      '/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2',
      '/subscriptions/a925f2f7-5c63-4b7b-8799-25a5f97bc3b2/resourceGroups/testrg',
    ]);
    expect(parseRoleAssignmentList(example('stable-2022-04-01__RoleAssignments_Get.json'))).toHaveLength(1);
    expect(parseRoleAssignmentList(example('stable-2022-04-01__RoleAssignments_CreateForResourceGroup.json', '201'))).toHaveLength(1);
    const [withCondition] = parseRoleAssignmentList(example('preview-2020-04-01-preview__GetRoleAssignmentByScope.json'));
    expect(withCondition).toMatchObject({ conditionVersion: '1.0', principalId: 'Pid', scope: '/subscriptions/subId/resourcegroups/rgname' });
    expect(withCondition!.condition).toContain('StringEqualsIgnoreCase');
  });

  it('parses deny assignments with principals, exclusions and the child-scope flag', () => {
    const [d] = parseDenyAssignmentList(example('stable-2022-04-01__GetDenyAssignmentByScope.json'));
    expect(d).toEqual({
      id: '/subscriptions/subId/providers/Microsoft.Authorization/denyAssignments/denyAssignmentId',
      denyAssignmentName: 'Deny assignment name',
      scope: '/subscriptions/subId',
      permissions: [{ actions: ['action'], notActions: [], dataActions: ['action'], notDataActions: [] }],
      principals: [{ id: 'principalId1', type: 'principalType1' }],
      excludePrincipals: [{ id: 'principalId2', type: 'principalType2' }],
      doNotApplyToChildScopes: false,
      isSystemProtected: true,
    });
    expect(parseDenyAssignmentList(example('stable-2022-04-01__GetDenyAssignmentById.json'))[0]!.scope).toBe('/subscriptions/subId/resourcegroups/rgname');
  });

  it('parses ARM role definitions, mapping properties.type to roleType', () => {
    const [r] = parseRoleDefinitionList(example('preview-2018-01-01-preview__GetRoleDefinitionAtScope.json'));
    expect(r).toEqual({
      id: '/subscriptions/subID/providers/Microsoft.Authorization/roleDefinitions/roleDefinitionId',
      name: 'roleDefinitionId',
      roleName: 'Role name',
      roleType: 'roletype',
      description: 'Role description',
      assignableScopes: ['/subscriptions/subId'],
      permissions: [{ actions: ['action'], notActions: [], dataActions: ['dataAction'], notDataActions: [] }],
    });
    expect(parseRoleDefinitionList(example('stable-2022-04-01__GetRoleDefinitionByName.json'))).toHaveLength(1);
  });

  it('feeds the evaluator end to end', () => {
    const roles = parseRoleDefinitionList(example('stable-2022-04-01__GetRoleDefinitionByName.json')).map((r) => ({ ...r, permissions: [{ ...r.permissions[0]!, actions: ['Microsoft.Web/sites/*'] }] }));
    const assignments = parseRoleAssignmentList({
      value: [{ id: 'ra', properties: { roleDefinitionId: '/subscriptions/subID/providers/Microsoft.Authorization/roleDefinitions/roleDefinitionId', principalId: 'p1', scope: '/subscriptions/subId' } }],
    });
    const ev = createEvaluator({ roles, assignments, denyAssignments: [], groups: {}, hierarchy: {} });
    expect(ev.check({ principalId: 'p1', action: 'Microsoft.Web/sites/write', scope: '/subscriptions/subId/resourceGroups/x' }).allowed).toBe(true);
  });

  it('accepts the flattened shape `az role assignment list` prints', () => {
    const list = parseRoleAssignmentList([{ id: 'x', principalId: 'p', roleDefinitionId: 'r', scope: '/subscriptions/s', principalName: 'ignored' }]);
    expect(list).toEqual([{ id: 'x', principalId: 'p', roleDefinitionId: 'r', scope: '/subscriptions/s' }]);
  });

  it.each([
    [null, /expected an ARM list body/],
    ['text', /expected an ARM list body/],
    [{ value: 'x' }, /expected an ARM list body/],
    [{ value: [{ id: 'a', properties: { principalId: 'p', scope: '/subscriptions/s' } }] }, /entry 0 \(a\): properties\.roleDefinitionId/],
    [{ value: [{ id: 'ok', properties: { roleDefinitionId: 'r', principalId: 'p', scope: '/subscriptions/s' } }, { id: 'bad', properties: { roleDefinitionId: 'r', principalId: 'p', scope: '/subscriptions/../x' } }] }, /entry 1 \(bad\): properties\.scope: invalid scope/],
    [{ value: [{ id: 'a', properties: { roleDefinitionId: 'r', principalId: '', scope: '/' } }] }, /entry 0 \(a\): properties\.principalId/],
    [{ value: [{ id: 'a', properties: { roleDefinitionId: 'r', principalId: 'p', scope: '/', condition: 7 } }] }, /properties\.condition/],
    [[42], /entry 0: /],
  ])('rejects bad role assignment input %#', (body, message) => {
    expect(() => parseRoleAssignmentList(body, 'assignments file x.json')).toThrow(RbacDataError);
    expect(() => parseRoleAssignmentList(body, 'assignments file x.json')).toThrow(message);
    expect(() => parseRoleAssignmentList(body, 'assignments file x.json')).toThrow(/^assignments file x\.json: /);
  });

  it('rejects bad deny assignments and role definitions, naming the entry', () => {
    expect(() => parseDenyAssignmentList({ value: [{ id: 'd', properties: { scope: '/', permissions: [{ actions: ['*'] }], principals: [] } }] })).toThrow(/entry 0 \(d\): properties\.principals/);
    expect(() => parseDenyAssignmentList({ value: [{ id: 'd', properties: { scope: '/', permissions: [{ actions: ['*'] }], principals: [{ id: 'x' }], doNotApplyToChildScopes: 'yes' } }] })).toThrow(/doNotApplyToChildScopes/);
    expect(() => parseRoleDefinitionList([{ id: 'x', name: 'g', roleName: 'r', permissions: [{ actions: [1] }], assignableScopes: ['/'] }])).toThrow(/entry 0 \(x\): permissions\.0\.actions\.0/);
    expect(() => parseRoleDefinitionList([{ id: 'x', name: 'g', roleName: 'r', permissions: [], assignableScopes: [] }])).toThrow(/assignableScopes/);
  });
});
