import { describe, expect, it } from 'vitest';
import { RbacInputError } from '../../src/rbac/rbac-errors.ts';
import fc from 'fast-check';
import {
  createManagementGroupIndex,
  createScopeParser,
  PARSED_SCOPES_KEPT,
  isSameOrAncestorScope,
  managementGroupIdOf,
  normalizeScope,
  parseScope,
  scopeAncestry,
  scopeKeyPrefixes,
} from '../../src/rbac/scope-path.ts';

const SUB = '/subscriptions/11111111-2222-3333-4444-555555555555';

describe('parseScope', () => {
  it('classifies every scope level and canonicalises keywords', () => {
    expect(parseScope('/')).toEqual({ scope: '/', key: '/', kind: 'root' });
    expect(parseScope('/providers/Microsoft.Management/managementGroups/Contoso')).toMatchObject({ kind: 'managementGroup', managementGroupId: 'Contoso', key: '/providers/microsoft.management/managementgroups/contoso' });
    expect(parseScope(SUB.toUpperCase().replace('SUBSCRIPTIONS', 'SUBSCRIPTIONS'))).toMatchObject({ kind: 'subscription', scope: `/subscriptions/${SUB.split('/')[2]!.toUpperCase()}` });
    expect(parseScope(`${SUB}/resourcegroups/RG1`)).toMatchObject({ kind: 'resourceGroup', resourceGroup: 'RG1', scope: `${SUB}/resourceGroups/RG1`, key: `${SUB}/resourcegroups/rg1` });
    expect(parseScope(`${SUB}/resourceGroups/rg1/PROVIDERS/Microsoft.Web/sites/app/slots/staging`)).toMatchObject({ kind: 'resource', scope: `${SUB}/resourceGroups/rg1/providers/Microsoft.Web/sites/app/slots/staging` });
    expect(parseScope(`${SUB}/providers/Microsoft.Security/pricings/x`).kind).toBe('resource');
    expect(parseScope(`${SUB}/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm/providers/Microsoft.Insights/diagnosticSettings/d`).kind).toBe('resource');
    expect(parseScope('/providers/Microsoft.Management/managementGroups/mg/providers/Microsoft.Authorization/roleAssignments/x')).toMatchObject({ kind: 'resource', managementGroupId: 'mg' });
    expect(parseScope(`${SUB}/`).scope).toBe(SUB);
  });

  it.each([
    ['', 'empty'],
    ['subscriptions/x', 'relative'],
    ['/subscriptions', 'no id'],
    ['/subscriptions//resourceGroups/rg', 'empty segment'],
    ['/subscriptions/s/resourceGroups/rg//', 'double trailing slash'],
    ['/subscriptions/s/resourceGroups/../rg', 'traversal'],
    ['/subscriptions/s/resourceGroups/./rg', 'dot segment'],
    ['/subscriptions/s/resourceGroups/rg%2F..%2Fother', 'encoded slash'],
    ['/subscriptions/s/resourceGroups/rg\\x', 'backslash'],
    ['/subscriptions/s/resourceGroups/r g', 'space'],
    ['/subscriptions/s/resourceGroups/rg\n', 'newline'],
    ['/subscriptions/s/resourceGroups/*', 'wildcard'],
    ['/subscriptions/s/resourceGroups', 'resource group name missing'],
    ['/subscriptions/s/foo/bar', 'unknown child of a subscription'],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites', 'type without name'],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web', 'namespace without type'],
    ['/subscriptions/s/resourceGroups/rg/providers/NotANamespace/sites/x', 'malformed namespace'],
    ['/foo/bar', 'not ARM'],
    ['/subscriptions/s?x=1', 'query'],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a%2F..', 'encoding in a resource name'],
    ['/subscriptions/s\t/resourceGroups/rg', 'tab in the subscription id'],
    ['/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a#b', 'fragment in a resource name'],
    [`/subscriptions/${'a'.repeat(3000)}`, 'too long'],
  ])('rejects %j (%s)', (scope) => {
    expect(() => parseScope(scope)).toThrow(RbacInputError);
  });
});

describe('parseScope keeps what it parsed (bounded)', () => {
  const RG = `${SUB}/resourcegroups/RG1/providers/Microsoft.Web/sites/app`;

  it('hands out one frozen result for a text and for its canonical form', () => {
    const parse = createScopeParser(PARSED_SCOPES_KEPT);
    const first = parse(RG);
    expect(parse(RG)).toBe(first);
    expect(parse(first.scope)).toBe(first); // the evaluator asks by the canonical scope
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { kind: string }).kind = 'root';
    }).toThrow(TypeError);
  });

  it('forgets everything once full, and parses again to an equal result', () => {
    const parse = createScopeParser(4);
    const first = parse(RG); // two texts kept: as given and canonical
    parse(`${SUB}/resourceGroups/b`); // already canonical: three kept
    expect(parse(RG)).toBe(first);
    parse(`${SUB}/resourceGroups/c`); // could take two more, past four: cleared first
    const again = parse(RG);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(() => createScopeParser(1)).toThrow(RangeError);
  });

  it('never keeps a text that is not a scope: it is refused every time', () => {
    const parse = createScopeParser(PARSED_SCOPES_KEPT);
    for (let i = 0; i < 3; i++) expect(() => parse('/subscriptions/s/resourceGroups/../rg')).toThrow(RbacInputError);
  });

  it('parses the canonical form of any scope to the same result as the text it came from', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_.()-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    const keyword = (k: string) => fc.constantFrom(k, k.toLowerCase(), k.toUpperCase());
    const scope = fc
      .tuple(keyword('subscriptions'), segment, keyword('resourceGroups'), segment, keyword('providers'), fc.constantFrom('Microsoft.Web', 'microsoft.app'), segment, segment, fc.boolean())
      .map(([s, sub, r, rg, p, ns, type, name, trailing]) => `/${s}/${sub}/${r}/${rg}/${p}/${ns}/${type}/${name}${trailing ? '/' : ''}`);
    fc.assert(
      fc.property(scope, (text) => {
        const parsed = createScopeParser(PARSED_SCOPES_KEPT)(text);
        expect(createScopeParser(PARSED_SCOPES_KEPT)(parsed.scope)).toEqual(parsed);
      }),
      { numRuns: 200 },
    );
  });
});

describe('scope comparison', () => {
  it('compares on whole segments, case-insensitively', () => {
    const rg1 = `${SUB}/resourceGroups/rg1`;
    expect(isSameOrAncestorScope(rg1, `${SUB}/resourcegroups/RG1`)).toBe(true);
    expect(isSameOrAncestorScope(rg1, `${rg1}/providers/Microsoft.Web/sites/app`)).toBe(true);
    expect(isSameOrAncestorScope(rg1, `${SUB}/resourceGroups/rg10`)).toBe(false);
    expect(isSameOrAncestorScope(rg1, `${SUB}/resourceGroups/rg10/providers/Microsoft.Web/sites/app`)).toBe(false);
    expect(isSameOrAncestorScope(`${SUB}/resourceGroups/rg10`, rg1)).toBe(false);
    expect(isSameOrAncestorScope(`${rg1}/providers/Microsoft.Web/sites/app`, rg1)).toBe(false);
    expect(isSameOrAncestorScope(`${rg1}/providers/Microsoft.Web/sites/app`, `${rg1}/providers/Microsoft.Web/sites/app2`)).toBe(false);
    expect(isSameOrAncestorScope(`${rg1}/providers/Microsoft.Web/sites/app`, `${rg1}/providers/Microsoft.Web/sites/APP/slots/s`)).toBe(true);
    expect(isSameOrAncestorScope('/subscriptions/1', '/subscriptions/10')).toBe(false);
    expect(isSameOrAncestorScope('/', `${rg1}/providers/Microsoft.Web/sites/app`)).toBe(true);
    expect(isSameOrAncestorScope(rg1, '/')).toBe(false);
  });

  it('follows the management-group hierarchy from subscriptions and from child groups', () => {
    const hierarchy = { [SUB.split('/')[2]!.toUpperCase()]: ['Team', '/providers/Microsoft.Management/managementGroups/Platform', 'tenant-root'] };
    const mg = (id: string) => `/providers/Microsoft.Management/managementGroups/${id}`;
    expect(isSameOrAncestorScope(mg('team'), `${SUB}/resourceGroups/rg1`, hierarchy)).toBe(true);
    expect(isSameOrAncestorScope(mg('PLATFORM'), SUB, hierarchy)).toBe(true);
    expect(isSameOrAncestorScope(mg('tenant-root'), mg('team'), hierarchy)).toBe(true);
    expect(isSameOrAncestorScope(mg('team'), mg('platform'), hierarchy)).toBe(false);
    expect(isSameOrAncestorScope(mg('other'), SUB, hierarchy)).toBe(false);
    expect(isSameOrAncestorScope(mg('team'), '/subscriptions/another', hierarchy)).toBe(false);
    expect(isSameOrAncestorScope(mg('team'), SUB)).toBe(false);
  });

  it('lists ancestry most specific first, management groups nearest first, root last', () => {
    const mgs = createManagementGroupIndex({ s1: ['a', 'b'] });
    expect(scopeAncestry(parseScope('/subscriptions/S1/resourceGroups/RG'), mgs)).toEqual([
      '/subscriptions/s1/resourcegroups/rg',
      '/subscriptions/s1/resourcegroups',
      '/subscriptions/s1',
      '/subscriptions',
      '/providers/microsoft.management/managementgroups/a',
      '/providers/microsoft.management/managementgroups/b',
      '/',
    ]);
    expect(scopeAncestry(parseScope('/providers/Microsoft.Management/managementGroups/A'), mgs)).toContain('/providers/microsoft.management/managementgroups/b');
    expect(scopeKeyPrefixes('/')).toEqual(['/']);
  });

  it('validates management group ids', () => {
    expect(managementGroupIdOf('Contoso')).toBe('contoso');
    expect(managementGroupIdOf('/providers/Microsoft.Management/managementGroups/Contoso')).toBe('contoso');
    expect(() => managementGroupIdOf('a/b')).toThrow(RbacInputError);
    expect(() => managementGroupIdOf('/subscriptions/x')).toThrow(RbacInputError);
    expect(() => managementGroupIdOf('')).toThrow(RbacInputError);
    expect(normalizeScope('/Subscriptions/ABC')).toBe('/subscriptions/abc');
  });
});
