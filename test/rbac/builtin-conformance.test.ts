/**
 * Conformance over real Azure data: all 928 built-in roles against the 24,680 real operation
 * names, plus agreement with an independent, regex-based reference implementation of the
 * matching rules.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isValidActionName } from '../../src/rbac/action-pattern.ts';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import type { RoleDefinition } from '../../src/rbac/rbac-types.ts';

interface Op { name: string; isDataAction: boolean; provider: string }
const shared = (f: string) => JSON.parse(readFileSync(new URL(`../../../shared/azure-rbac/${f}`, import.meta.url), 'utf8')) as unknown;
const roles = shared('builtin-roles.all.json') as RoleDefinition[];
const ops = shared('provider-operations.flat.json') as Op[];

const SUB = '/subscriptions/5e7a3c1d-0000-4000-8000-000000000001';
const RG1 = `${SUB}/resourceGroups/rg1`;
const RES = `${RG1}/providers/Microsoft.Web/sites/app1`;
const principal = (r: RoleDefinition) => `p-${r.name}`;
const byName = (n: string) => roles.find((r) => r.roleName === n)!;

// every role assigned to its own principal at rg1
const ev = createEvaluator({
  roles,
  assignments: roles.map((r) => ({ id: `ra-${r.name}`, scope: RG1, roleDefinitionId: r.id, principalId: principal(r) })),
  denyAssignments: [],
  groups: {},
  hierarchy: {},
});
const allowed = (r: RoleDefinition, action: string, data = false, scope = RES) => ev.check({ principalId: principal(r), action, scope, dataAction: data }).allowed;

// Deterministic sampling (mulberry32).
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const sample = <T>(xs: readonly T[], n: number, rand: () => number) => (xs.length <= n ? [...xs] : Array.from({ length: n }, () => xs[Math.floor(rand() * xs.length)]!));

/**
 * Reference matcher, written independently of src/rbac: one case-insensitive regex per
 * pattern where `/*` is "(/anything)?" and any other `*` is "anything".
 */
const referenceCache = new Map<string, RegExp>();
function referenceRegex(pattern: string): RegExp {
  let re = referenceCache.get(pattern);
  if (re) return re;
  let src = '';
  const p = pattern.trim();
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '*') src += '.*';
    else if (c === '/' && p[i + 1] === '*') {
      src += '(?:/.*)?';
      i++;
    } else src += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`, 'is');
  referenceCache.set(pattern, re);
  return re;
}
function referenceGrant(r: RoleDefinition, action: string, data: boolean): { plain: boolean; any: boolean } {
  let plain = false;
  let any = false;
  for (const b of r.permissions) {
    const yes = (data ? b.dataActions : b.actions).some((p) => referenceRegex(p).test(action));
    const no = (data ? b.notDataActions : b.notActions).some((p) => referenceRegex(p).test(action));
    if (yes && !no) {
      any = true;
      if (!b.condition) plain = true;
    }
  }
  return { plain, any };
}

describe('built-in roles against real operations', () => {
  it('has the whole corpus and only valid operation names', () => {
    expect(roles).toHaveLength(928);
    expect(ops.length).toBe(24680);
    expect(ops.filter((o) => !isValidActionName(o.name))).toEqual([]);
    expect(ev.warnings).toEqual([]);
  });

  it('Reader reads every control-plane /read operation and nothing else', () => {
    const reader = byName('Reader');
    expect(reader.permissions).toEqual([expect.objectContaining({ actions: ['*/read'], notActions: [], dataActions: [] })]);
    const wrong: string[] = [];
    for (const o of ops) {
      const isRead = o.name.toLowerCase().endsWith('/read');
      if (o.isDataAction) {
        if (allowed(reader, o.name, true)) wrong.push(`data ${o.name}`);
      } else if (allowed(reader, o.name) !== isRead) wrong.push(o.name);
    }
    expect(wrong).toEqual([]);
  });

  it('Contributor writes resources but cannot write or delete role assignments', () => {
    const c = byName('Contributor');
    expect(allowed(c, 'Microsoft.Compute/virtualMachines/write')).toBe(true);
    expect(allowed(c, 'Microsoft.Compute/virtualMachines/delete')).toBe(true);
    expect(allowed(c, 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
    expect(allowed(c, 'Microsoft.Authorization/roleAssignments/delete')).toBe(false);
    expect(allowed(c, 'microsoft.authorization/ROLEASSIGNMENTS/WRITE')).toBe(false);
    expect(allowed(c, 'Microsoft.Authorization/elevateAccess/action')).toBe(false);
    expect(allowed(c, 'Microsoft.Authorization/roleAssignments/read')).toBe(true);
    const authWrites = ops.filter((o) => !o.isDataAction && /^microsoft\.authorization\/.*\/(write|delete)$/i.test(o.name));
    expect(authWrites.length).toBeGreaterThan(10);
    expect(authWrites.filter((o) => allowed(c, o.name))).toEqual([]);
  });

  it('Owner has every control-plane operation and no data action', () => {
    const owner = byName('Owner');
    const data = ops.filter((o) => o.isDataAction);
    expect(data.length).toBeGreaterThan(4000);
    expect(data.filter((o) => allowed(owner, o.name, true))).toEqual([]);
    expect(ops.filter((o) => !o.isDataAction && !allowed(owner, o.name))).toEqual([]);
  });

  it('suggests least privilege first: Container Apps Contributor before Contributor and Owner for a revision restart', () => {
    const d = createEvaluator({ roles, assignments: [], denyAssignments: [], groups: {}, hierarchy: {} }).check({
      principalId: 'nobody',
      action: 'microsoft.app/containerapps/revisions/restart/action',
      scope: `${RG1}/providers/Microsoft.App/containerApps/app1/revisions/rev1`,
    });
    const names = d.wouldBeGrantedBy.map((s) => s.roleName);
    expect(names).toContain('Container Apps Contributor');
    expect(names.indexOf('Container Apps Contributor')).toBeLessThan(names.includes('Contributor') ? names.indexOf('Contributor') : Infinity);
    expect(names.slice(0, 3)).not.toContain('Owner');
    expect(names.slice(0, 3)).not.toContain('Contributor');
  });

  it('Container Apps Contributor writes container apps and restarts revisions, but not other providers', () => {
    const r = byName('Container Apps Contributor');
    expect(allowed(r, 'Microsoft.App/containerApps/write')).toBe(true);
    expect(allowed(r, 'microsoft.app/containerapps/write')).toBe(true);
    expect(allowed(r, 'microsoft.app/containerapps/revisions/restart/action')).toBe(true);
    expect(allowed(r, 'Microsoft.App/containerApps/delete')).toBe(true);
    expect(allowed(r, 'Microsoft.App/managedEnvironments/write')).toBe(false);
    expect(allowed(r, 'Microsoft.Compute/virtualMachines/write')).toBe(false);
    expect(allowed(r, 'Microsoft.Authorization/roleAssignments/write')).toBe(false);
  });

  it('Log Analytics Reader cannot read shared keys', () => {
    const r = byName('Log Analytics Reader');
    expect(allowed(r, 'Microsoft.OperationalInsights/workspaces/sharedKeys/action')).toBe(false);
    expect(allowed(r, 'Microsoft.OperationalInsights/workspaces/sharedkeys/read')).toBe(false);
    expect(allowed(r, 'Microsoft.OperationalInsights/workspaces/read')).toBe(true);
    expect(allowed(r, 'Microsoft.OperationalInsights/workspaces/search/action')).toBe(true);
    expect(allowed(r, 'Microsoft.OperationalInsights/workspaces/jobs/export/action', true)).toBe(true);
  });

  it('gives the same answer for case variants of the action, for every role', () => {
    const rand = rng(7);
    const mixed = (s: string) => [...s].map((ch) => (rand() < 0.5 ? ch.toUpperCase() : ch.toLowerCase())).join('');
    const diffs: string[] = [];
    for (const r of roles) {
      for (const o of sample(ops, 25, rand)) {
        const base = allowed(r, o.name, o.isDataAction);
        for (const variant of [o.name.toUpperCase(), o.name.toLowerCase(), mixed(o.name)]) {
          if (allowed(r, variant, o.isDataAction) !== base) diffs.push(`${r.roleName}: ${variant}`);
        }
        if (allowed(r, o.name, o.isDataAction, RES.toUpperCase().replace('/SUBSCRIPTIONS/', '/subscriptions/')) !== base) diffs.push(`${r.roleName}: scope case ${o.name}`);
      }
    }
    expect(diffs).toEqual([]);
  });

  it('never leaks a role across a scope-segment boundary (rg1 vs rg10 and rg1x) or upwards', () => {
    const leaks: string[] = [];
    const rand = rng(11);
    for (const r of roles) {
      for (const o of sample(ops, 10, rand)) {
        if (allowed(r, o.name, o.isDataAction, `${SUB}/resourceGroups/rg10`)) leaks.push(`${r.roleName} rg10 ${o.name}`);
        if (allowed(r, o.name, o.isDataAction, `${SUB}/resourceGroups/rg1x/providers/Microsoft.Web/sites/app1`)) leaks.push(`${r.roleName} rg1x ${o.name}`);
        if (allowed(r, o.name, o.isDataAction, SUB)) leaks.push(`${r.roleName} subscription ${o.name}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it('agrees with the reference implementation for every role on a sample of real operations', () => {
    const rand = rng(42);
    const byProvider = new Map<string, Op[]>();
    for (const o of ops) {
      const k = o.provider.toLowerCase();
      byProvider.set(k, [...(byProvider.get(k) ?? []), o]);
    }
    const mismatches: string[] = [];
    let checked = 0;
    let granted = 0;
    for (const r of roles) {
      // operations of the providers the role mentions, where the interesting boundaries are, plus random ones
      const providers = new Set(r.permissions.flatMap((b) => [...b.actions, ...b.notActions, ...b.dataActions, ...b.notDataActions]).map((p) => p.split('/')[0]!.toLowerCase()));
      const near = [...providers].flatMap((p) => byProvider.get(p) ?? []);
      for (const o of [...sample(near, 120, rand), ...sample(ops, 40, rand)]) {
        const ref = referenceGrant(r, o.name, o.isDataAction);
        const d = ev.check({ principalId: principal(r), action: o.name, scope: RES, dataAction: o.isDataAction });
        checked++;
        if (d.allowed) granted++;
        const conditional = d.conditionalGrants.length > 0;
        // allowed implies the reference grants it; allowed-or-conditional is exactly the reference's match
        if ((d.allowed || conditional) !== ref.any || (ref.plain && !d.allowed)) {
          mismatches.push(`${r.roleName} ${o.isDataAction ? 'data ' : ''}${o.name}: ours ${d.reason}, reference ${JSON.stringify(ref)}`);
        }
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    expect(checked).toBeGreaterThan(100_000);
    expect(granted).toBeGreaterThan(10_000);
  });
});
