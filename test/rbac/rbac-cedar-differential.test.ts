/**
 * Differential test: src/rbac against an independent Cedar encoding of Azure RBAC
 * (test/support/cedar-rbac.ts), over random worlds drawn with fast-check from the 928 real
 * built-in roles and the 24,680 real provider operations in ../shared/azure-rbac. The sandbox's
 * ARM authorizes with src/rbac, so this is what keeps it from being judged by itself.
 *
 * A world: management groups three deep above two subscriptions, resource groups and resources
 * of real types; users in groups; role assignments of real roles at every level (some with an
 * ActionMatches-guarded ABAC condition); deny assignments at every level with real actions,
 * wildcards, NotActions, data actions, everyone-with-exclusions, groups, doNotApplyToChildScopes.
 * Requests mostly aim where the world's assignments and deny assignments are, with real actions.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_PRINCIPALS_ID, createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import type { AuthorizationState, CheckRequest, DenyAssignment, Permission, RoleAssignment, RoleDefinition } from '../../src/rbac/rbac-types.ts';
import { cedarAllows, encodeRbacAsCedar, preparseCedar } from '../support/cedar-rbac.ts';

const shared = (f: string) => JSON.parse(readFileSync(new URL(`../../../shared/azure-rbac/${f}`, import.meta.url), 'utf8')) as unknown;
const ROLES = shared('builtin-roles.all.json') as RoleDefinition[];
const OPS = (shared('provider-operations.flat.json') as Array<{ name: string; isDataAction: boolean; provider: string; resourceType: string | null }>).filter((o) => !o.name.includes('*'));

const WORLDS = Number(process.env.DIFF_WORLDS ?? 500);
const REQUESTS_PER_WORLD = 40;

const opsByProvider = new Map<string, typeof OPS>();
for (const o of OPS) {
  const k = o.provider.toLowerCase();
  opsByProvider.set(k, [...(opsByProvider.get(k) ?? []), o]);
}
// resource types one or two deep; `providers` is ARM's extension keyword, not a type
const resourceTypes = [...new Set(OPS.filter((o) => o.resourceType && /^[A-Za-z0-9]+(\/[A-Za-z0-9]+)?$/.test(o.resourceType) && !/(^|\/)providers(\/|$)/i.test(o.resourceType)).map((o) => `${o.provider}/${o.resourceType}`))];

// ---------- the fixed scope tree of every world ----------
const MGS = ['tenant-root', 'mg-platform', 'mg-corp'];
const MG_SCOPES = MGS.map((m) => `/providers/Microsoft.Management/managementGroups/${m}`);
const SUBS = ['3f2a9c1e-0000-4000-8000-00000000c001', '3f2a9c1e-0000-4000-8000-00000000c002'];
const HIERARCHY: Record<string, string[]> = { [SUBS[0]!]: ['mg-corp', 'mg-platform', 'tenant-root'], [SUBS[1]!]: ['mg-platform', 'tenant-root'] };
const SUB_SCOPES = SUBS.map((s) => `/subscriptions/${s}`);
const RG_SCOPES = SUB_SCOPES.flatMap((s) => [`${s}/resourceGroups/rg-a`, `${s}/resourceGroups/rg-b`]);
const USERS = ['7d0c0f1a-0000-4000-8000-0000000000a1', '7d0c0f1a-0000-4000-8000-0000000000a2', '7d0c0f1a-0000-4000-8000-0000000000a3'];
const GROUPS = ['9e1b2c3d-0000-4000-8000-0000000000b1', '9e1b2c3d-0000-4000-8000-0000000000b2', '9e1b2c3d-0000-4000-8000-0000000000b3'];

const arbResources = fc.array(fc.tuple(fc.constantFrom(...RG_SCOPES), fc.constantFrom(...resourceTypes)), { minLength: 2, maxLength: 4 }).map((rs) =>
  rs.map(([rg, t], i) => {
    const [provider, type, child] = t.split('/');
    const path = child ? `${type}/r${i}/${child}/c${i}` : `${type}/r${i}`;
    return { scope: `${rg}/providers/${provider}/${path}`, type: t };
  }),
);

/** Action patterns a deny assignment may carry: real actions, provider and type wildcards, `*`, `*​/read`. */
const arbPattern = fc.oneof(
  fc.constantFrom(...OPS).map((o) => o.name),
  fc.constantFrom(...OPS).map((o) => `${o.provider}/*`),
  fc.constantFrom(...OPS).map((o) => (o.resourceType ? `${o.provider}/${o.resourceType}/*` : `${o.provider}/*`)),
  fc.constantFrom('*', '*/read', '*/write', '*/delete', 'Microsoft.Authorization/*/write'),
);

const arbDenyPermission: fc.Arbitrary<Permission> = fc.record({
  actions: fc.array(arbPattern, { maxLength: 3 }),
  notActions: fc.array(arbPattern, { maxLength: 2 }),
  dataActions: fc.array(fc.constantFrom(...OPS.filter((o) => o.isDataAction)).chain((o) => fc.constantFrom(o.name, `${o.provider}/*`)), { maxLength: 2 }),
  notDataActions: fc.array(fc.constantFrom(...OPS.filter((o) => o.isDataAction)).map((o) => o.name), { maxLength: 1 }),
});

const arbWorld = arbResources.chain((resources) => {
  const scopes = [...MG_SCOPES, ...SUB_SCOPES, ...RG_SCOPES, ...resources.map((r) => r.scope)];
  const principal = fc.constantFrom(...USERS, ...GROUPS);
  const assignment = fc.record({
    role: fc.constantFrom(...ROLES),
    scope: fc.constantFrom(...scopes),
    principalId: principal,
    guardOn: fc.option(fc.constantFrom(...OPS).map((o) => o.name), { freq: 8 }),
  });
  const deny = fc.record({
    scope: fc.constantFrom(...scopes),
    everyone: fc.boolean(),
    principals: fc.uniqueArray(principal, { minLength: 1, maxLength: 2 }),
    exclude: fc.uniqueArray(principal, { maxLength: 2 }),
    permission: arbDenyPermission,
    doNotApplyToChildScopes: fc.boolean(),
  });
  const membership = fc.tuple(...USERS.map(() => fc.subarray(GROUPS)));
  return fc.record({
    resources: fc.constant(resources),
    scopes: fc.constant(scopes),
    assignments: fc.array(assignment, { minLength: 1, maxLength: 6 }),
    denies: fc.array(deny, { maxLength: 3 }),
    membership,
    requestSeeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat()), { minLength: REQUESTS_PER_WORLD, maxLength: REQUESTS_PER_WORLD }),
  });
});

type RawWorld = typeof arbWorld extends fc.Arbitrary<infer T> ? T : never;
type World = { state: AuthorizationState; requests: CheckRequest[] };

function buildWorld(w: RawWorld): World {
  const assignments: RoleAssignment[] = w.assignments.map((a, i) => {
    const out: RoleAssignment = { id: `${a.scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, scope: a.scope, roleDefinitionId: a.role.id, principalId: a.principalId };
    if (a.guardOn) {
      // the shape Azure uses to constrain a role: the guarded action only under a resource condition Elevate cannot evaluate
      out.condition = `((!(ActionMatches{'${a.guardOn}'})) OR (@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'))`;
      out.conditionVersion = '2.0';
    }
    return out;
  });
  const denyAssignments: DenyAssignment[] = w.denies.map((d, i) => ({
    id: `${d.scope}/providers/Microsoft.Authorization/denyAssignments/00000000-0000-4000-9000-${String(i).padStart(12, '0')}`,
    denyAssignmentName: `deny-${i}`,
    scope: d.scope,
    permissions: [d.permission],
    principals: d.everyone ? [{ id: ALL_PRINCIPALS_ID, type: 'SystemDefined' }] : d.principals.map((id) => ({ id })),
    excludePrincipals: d.exclude.map((id) => ({ id })),
    doNotApplyToChildScopes: d.doNotApplyToChildScopes,
  }));
  const groups: Record<string, string[]> = Object.fromEntries(USERS.map((u, i) => [u, [...(w.membership[i] ?? [])]]));
  const usedRoles = [...new Map(w.assignments.map((a) => [a.role.name, a.role])).values()];
  const state: AuthorizationState = { roles: usedRoles, assignments, denyAssignments, groups, hierarchy: HIERARCHY };

  const scopes = w.scopes;
  const below = (scope: string) => scopes.filter((s) => s === scope || s.toLowerCase().startsWith(`${scope.toLowerCase()}/`) || scope.includes('managementGroups'));
  const requests: CheckRequest[] = w.requestSeeds.map(([a, b, c, d]) => {
    const pick = <T,>(xs: readonly T[], n: number) => xs[n % xs.length]!;
    // half aimed at an assignment or a deny assignment, half anywhere
    const aimed = a % 2 === 0;
    const target = aimed ? (b % 3 === 0 && denyAssignments.length > 0 ? pick(denyAssignments, c).scope : pick(assignments, c).scope) : pick(scopes, c);
    const scope = pick(below(target), d);
    let principalId = pick(USERS, b >> 2);
    let op = pick(OPS, (a >> 1) + b * 7919);
    if (aimed) {
      const asg = pick(assignments, c);
      const member = USERS.find((u) => u === asg.principalId || groups[u]!.includes(asg.principalId));
      if (member) principalId = member;
      // an action of the assignment's role: a concrete one, or a real operation under its wildcard
      const role = usedRoles.find((r) => r.id === asg.roleDefinitionId)!;
      const block = pick(role.permissions, d);
      const useData = block.dataActions.length > 0 && (d & 4) !== 0;
      const patterns = useData ? block.dataActions : block.actions;
      if (patterns.length > 0) {
        const pattern = pick(patterns, b).toLowerCase();
        const prefix = pattern.split('*')[0]!;
        const provider = opsByProvider.get(pattern.split('/')[0]!);
        const candidates = provider ? provider.filter((o) => o.isDataAction === useData && o.name.toLowerCase().startsWith(prefix)) : [];
        if (candidates.length > 0) op = pick(candidates, a + d);
      }
    }
    return { principalId, scope, action: op.name, dataAction: op.isDataAction };
  });
  return { state, requests };
}

describe('src/rbac agrees with an independent Cedar encoding on random worlds of real roles', () => {
  it(`${WORLDS * REQUESTS_PER_WORLD} decisions, 0 disagreements`, () => {
    let cases = 0;
    const outcomes = { allowed: 0, denied: 0, none: 0, conditional: 0 };
    let disagreements = 0;
    fc.assert(
      fc.property(arbWorld, (raw) => {
        const { state, requests } = buildWorld(raw);
        const ours = createEvaluator(state, { suggestionLimit: 0 });
        const encoding = encodeRbacAsCedar(state);
        // one policy set per world, replacing the previous world's
        preparseCedar('differential-world', encoding.policySet('all'));
        const id = 'differential-world';
        for (const r of requests) {
          const d = ours.check(r);
          const theirs = cedarAllows(encoding.call(r, id));
          cases += 1;
          if (d.allowed) outcomes.allowed += 1;
          else if (d.reason === 'denied-by-deny-assignment') outcomes.denied += 1;
          else if (d.reason === 'only-conditional-grants') outcomes.conditional += 1;
          else outcomes.none += 1;
          if (d.allowed !== theirs) {
            disagreements += 1;
            throw new Error(`disagreement on ${JSON.stringify(r)}: src/rbac ${d.reason}, Cedar ${theirs ? 'allow' : 'deny'}`);
          }
        }
      }),
      { numRuns: WORLDS, endOnFailure: true },
    );
    expect(disagreements).toBe(0);
    expect(cases).toBeGreaterThanOrEqual(20_000);
    // the worlds exercise every outcome, so agreement is not agreement on trivia
    expect(outcomes.allowed).toBeGreaterThan(cases / 20);
    expect(outcomes.denied).toBeGreaterThan(cases / 200);
    expect(outcomes.none).toBeGreaterThan(cases / 20);
    expect(outcomes.conditional).toBeGreaterThan(0);
  }, 180_000);
});
