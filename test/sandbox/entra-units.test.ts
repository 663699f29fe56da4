import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { consentedScopes, grantedScopeString, parseScopeRequest } from '../../src/sandbox/entra/scope-request.ts';
import { isRegisteredUri, withQuery } from '../../src/sandbox/entra/redirect-uri.ts';
import { escapeHtml, renderSignInPage } from '../../src/sandbox/entra/sign-in-page.ts';
import { EntraError } from '../../src/sandbox/entra/entra-errors.ts';
import { parseAssignmentFilter } from '../../src/sandbox/arm/role-assignments.ts';
import { mergePatch } from '../../src/sandbox/arm/resource-operations.ts';
import { classifyArmPath } from '../../src/sandbox/arm/arm-route.ts';
import { DEFAULT_SEED_FILE, loadSeed } from '../../src/sandbox/seed/load-seed.ts';
import { Directory } from '../../src/sandbox/state/directory.ts';
import { TtlMap } from '../../src/sandbox/state/ttl-map.ts';

const seed = loadSeed();
const directory = new Directory(seed, { origin: 'https://localhost:1', certificates: new Map() });
const elevate = directory.applications.find((a) => a.key === 'elevate')!;
const dashboard = directory.applications.find((a) => a.key === 'dashboard')!;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof EntraError) return e.code;
    throw e;
  }
  return undefined;
};

describe('scope requests', () => {
  it('resolves v2 scopes, including ARM’s double-slash .default', () => {
    const arm = parseScopeRequest('https://management.azure.com//.default', directory);
    expect(arm.resource.appId).toBe('797f4846-ba00-4fd7-ba43-dac1f8f63013');
    expect(arm.isDefault).toBe(true);
    const own = parseScopeRequest(`openid offline_access api://${elevate.clientId}/user_impersonation`, directory);
    expect([...own.oidc]).toEqual(['openid', 'offline_access']);
    expect(own.values).toEqual(['user_impersonation']);
    expect(parseScopeRequest('openid profile', directory).resource.displayName).toBe('Microsoft Graph');
  });

  it('refuses unknown resources and scopes, mixed resources and oversized input', () => {
    expect(codeOf(() => parseScopeRequest('https://vault.azure.net/.default', directory))).toBe(500011);
    expect(codeOf(() => parseScopeRequest('https://management.azure.com/owner', directory))).toBe(70011);
    expect(codeOf(() => parseScopeRequest(`https://management.azure.com/user_impersonation api://${elevate.clientId}/user_impersonation`, directory))).toBe(28000);
    expect(codeOf(() => parseScopeRequest('', directory))).toBe(900144);
    expect(codeOf(() => parseScopeRequest(Array(60).fill('openid').join(' '), directory))).toBe(70011);
    expect(codeOf(() => parseScopeRequest('openid\u0000', directory))).toBe(70011);
  });

  it('needs consent except for an app’s own API and Graph basics', () => {
    const arm = parseScopeRequest('https://management.azure.com/user_impersonation', directory);
    expect(consentedScopes(elevate, arm, directory)).toEqual(['user_impersonation']);
    expect(codeOf(() => consentedScopes(dashboard, arm, directory))).toBe(65001);
    expect(consentedScopes(dashboard, parseScopeRequest('openid User.Read', directory), directory)).toEqual(['User.Read']);
    expect(grantedScopeString(arm.resource, ['user_impersonation'], new Set(['openid', 'offline_access']))).toBe('https://management.azure.com/user_impersonation openid');
  });
});

describe('redirect URIs', () => {
  it('match exactly, except the port of loopback hosts', () => {
    const reg = ['http://localhost/auth/callback', 'https://app.contoso.example/cb'];
    expect(isRegisteredUri('http://localhost:4321/auth/callback', reg)).toBe(true);
    expect(isRegisteredUri('http://localhost/auth/callback/', reg)).toBe(false);
    expect(isRegisteredUri('http://localhost/auth/callback?x=1', reg)).toBe(false);
    expect(isRegisteredUri('https://app.contoso.example:8443/cb', reg)).toBe(false);
    expect(isRegisteredUri('https://app.contoso.example/cb', reg)).toBe(true);
    expect(isRegisteredUri('http://localhost.evil.example/auth/callback', reg)).toBe(false);
    expect(isRegisteredUri('http://user:pw@localhost/auth/callback', reg)).toBe(false);
    expect(isRegisteredUri('http://localhost/auth/callback#frag', reg)).toBe(false);
    expect(isRegisteredUri('javascript:alert(1)', reg)).toBe(false);
    expect(withQuery('http://localhost/cb?a=1', { code: 'x&y', state: undefined })).toBe('http://localhost/cb?a=1&code=x%26y');
  });
});

describe('sign-in page', () => {
  it('escapes every rendered value', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).not.toMatch(/[<>"'&](?!#)/);
    const html = renderSignInPage({
      action: 'http://127.0.0.1:1/t/oauth2/v2.0/authorize',
      flowId: '"><script>x</script>',
      clientName: '<img src=x onerror=alert(1)>',
      tenantName: 'T',
      users: [{ ...directory.users[0]!, displayName: '</button><script>alert(1)</script>' }],
      loginHint: undefined,
      styleNonce: 'n"onload="x',
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('"onload="');
  });

  it('carries the Sandbox banner and names the tenant once (no "(sandbox) (sandbox)")', () => {
    const html = renderSignInPage({ action: '/a', flowId: 'f', clientName: 'Elevate', tenantName: 'Contoso SRE (sandbox)', users: [], loginHint: undefined, styleNonce: 'n' });
    expect(html).toContain('data-testid="sandbox-banner"');
    expect(html).toContain('<strong>Sandbox tenant</strong>');
    expect(html).toContain('to continue to Elevate · Contoso SRE (sandbox)</p>');
    expect(html).not.toContain('(sandbox) (sandbox)');
  });
});

describe('ARM helpers', () => {
  it('parses role assignment filters and refuses anything else', () => {
    const id = '26abe3bd-e958-413c-a6e7-68c668828c1f';
    expect(parseAssignmentFilter(`atScope() and assignedTo('${id}')`)).toEqual({ atScope: true, assignedTo: id });
    expect(parseAssignmentFilter(`principalId eq '${id.toUpperCase()}'`)).toEqual({ atScope: false, principalId: id });
    for (const f of ["assignedTo('x')", "principalId eq 'x' or 1 eq 1", "roleDefinitionId eq 'x'", `assignedTo('${id}') and principalId eq '${id}'`]) {
      expect(() => parseAssignmentFilter(f)).toThrow();
    }
  });

  it('merge-patches without prototype pollution', () => {
    const out = mergePatch({ a: { b: 1, c: 2 }, d: 1 }, JSON.parse('{"a":{"c":null,"e":3},"__proto__":{"polluted":true},"d":[1]}') as Record<string, unknown>);
    expect(out).toEqual({ a: { b: 1, e: 3 }, d: [1] });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('classifies ARM paths', () => {
    expect(classifyArmPath('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Authorization/roleAssignments/n')).toEqual({ kind: 'authorization', scope: '/subscriptions/s/resourceGroups/rg', collection: 'roleAssignments', name: 'n' });
    expect(classifyArmPath('/providers/Microsoft.Authorization/roleDefinitions')).toMatchObject({ kind: 'authorization', scope: '/' });
    expect(classifyArmPath('/subscriptions/s/providers/Microsoft.Compute/locations/westeurope/operations/op')).toMatchObject({ kind: 'operations.status', result: false });
    expect(classifyArmPath('/subscriptions/s/RESOURCEGROUPS/rg/RESOURCES')).toMatchObject({ kind: 'resources.listByResourceGroup' });
    expect(classifyArmPath('/tenants')).toEqual({ kind: 'unknown' });
  });
});

describe('TtlMap', () => {
  it('expires entries and stays bounded', () => {
    let now = 0;
    const m = new TtlMap<number>(3, () => now);
    m.set('a', 1, 10);
    expect(m.lookup('a')).toEqual({ state: 'live', value: 1 });
    now = 11;
    expect(m.lookup('a')).toEqual({ state: 'expired', value: 1 });
    expect(m.get('a')).toBeUndefined();
    for (const k of ['b', 'c', 'd', 'e']) m.set(k, 0, 100);
    expect(m.size).toBe(3);
    expect(m.get('b')).toBeUndefined();
  });
});

it('the seed file carries documentation for its fixed ids', () => {
  expect(JSON.parse(readFileSync(DEFAULT_SEED_FILE, 'utf8')).$comment).toMatch(/fixed/);
});
