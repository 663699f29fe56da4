/**
 * Shared fixtures for the operations tests: a policies folder with chosen run modes, role
 * assignments shaped like the sandbox's, and agents.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Agent } from '../../../src/agents/agent-types.ts';
import { loadPolicies } from '../../../src/policies/load-policies.ts';
import type { Policies } from '../../../src/policies/policies.ts';
import type { RunMode, TriggerKind } from '../../../src/policies/policy-types.ts';
import { loadBuiltinCatalog } from '../../../src/rbac/role-catalog.ts';
import type { AuthorizationState, RoleAssignment } from '../../../src/rbac/rbac-types.ts';

export const REPO_POLICIES = fileURLToPath(new URL('../../../policies/', import.meta.url));

export const SUB = '3f2a9c1e-0000-4000-8000-00000000a001';
export const RG_APPS = `/subscriptions/${SUB}/resourceGroups/rg-sre-apps`;
export const RG_VMS = `/subscriptions/${SUB}/resourceGroups/rg-sre-vms`;
export const APP = `${RG_APPS}/providers/Microsoft.App/containerApps/app-frontend`;
export const REVISION = `${APP}/revisions/app-frontend--rev1`;
export const RESTART = `${REVISION}/restart`;
export const RESTART_ACTION = 'Microsoft.App/containerApps/revisions/restart/action';

export const READER_PRINCIPAL = '7d1e0000-0000-4000-8000-0000000000a1';
export const PRIVILEGED_PRINCIPAL = '7d1e0000-0000-4000-8000-0000000000b2';

export function makeAgent(overrides: Partial<Agent> = {}): Agent {
  return {
    id: 'agent-reader',
    name: 'sre-agent',
    uamiClientId: '5c1e0000-0000-4000-8000-0000000000a1',
    uamiPrincipalId: READER_PRINCIPAL,
    tenantId: '9f000000-0000-4000-8000-000000000001',
    level: 'Reader',
    runModeCeiling: 'Autonomous',
    resourceGroupIds: [RG_APPS, RG_VMS],
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The repo's policies with run-modes.yaml replaced. */
export function policiesWithRunModes(triggers: Record<TriggerKind, RunMode>): Policies {
  const dir = mkdtempSync(join(tmpdir(), 'elevate-policies-'));
  cpSync(REPO_POLICIES, dir, { recursive: true });
  writeFileSync(join(dir, 'run-modes.yaml'), `triggers:\n${Object.entries(triggers).map(([k, v]) => `  ${k}: ${v}`).join('\n')}\n`);
  const catalog = loadBuiltinCatalog();
  return loadPolicies(dir, { hasRole: (name) => catalog.byName(name) !== undefined });
}

const catalog = loadBuiltinCatalog();

function assignment(principalId: string, roleName: string, scope: string, n: number): RoleAssignment {
  const role = catalog.byName(roleName);
  if (!role) throw new Error(`no built-in role ${roleName}`);
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    scope,
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${role.name}`,
    principalId,
    principalType: 'ServicePrincipal',
    description: 'Managed by Elevate',
  };
}

/** What the sandbox seeds: the Reader-level UAMI's roles; the Privileged one adds Container Apps Contributor. */
export function sandboxLikeState(): AuthorizationState {
  const assignments: RoleAssignment[] = [];
  let n = 1;
  for (const principal of [READER_PRINCIPAL, PRIVILEGED_PRINCIPAL]) {
    for (const rg of [RG_APPS, RG_VMS]) for (const role of ['Reader', 'Log Analytics Reader', 'Monitoring Reader']) assignments.push(assignment(principal, role, rg, n++));
    assignments.push(assignment(principal, 'Monitoring Contributor', `/subscriptions/${SUB}`, n++));
  }
  assignments.push(assignment(PRIVILEGED_PRINCIPAL, 'Container Apps Contributor', RG_APPS, n++));
  return { roles: [...catalog.roles], assignments, denyAssignments: [], groups: {}, hierarchy: {} };
}

export { catalog as builtinCatalog };
