/**
 * Time-bound raises where PIM is unavailable (the sandbox answers AadPremiumLicenseRequired, as a
 * tenant without Entra ID P2 does): plain role assignments and a revoke schedule in the database.
 * Elevate is "restarted" mid-window (a new runtime over the same database, nothing kept in memory)
 * and the new one revokes on time and verifies. A revoke Azure refuses is retried with back-off
 * and the leftover shows as drift in the agent's plan until it goes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthorizationClient } from '../../src/azure/arm-clients.ts';
import { createLevelsRuntime, type LevelsRuntime } from '../../src/levels/levels-runtime.ts';
import { createArmPermissionSource } from '../../src/operations/arm-permission-source.ts';
import { createPermissionCache, type PermissionCache } from '../../src/operations/permission-cache.ts';
import type { RaiseGrantGateway } from '../../src/raises/arm-raise-grants.ts';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { loadBuiltinCatalog } from '../../src/rbac/role-catalog.ts';
import { LV_UAMI, RG_LV_APPS, RG_LV_VMS, startLevelsSandbox, type LevelsSandbox } from '../levels/levels-test-sandbox.ts';
import { testClock } from './support/raise-steps.ts';

const catalog = loadBuiltinCatalog();
const CAC = catalog.byName('Container Apps Contributor')!.name;
const RESTART = 'Microsoft.App/containerApps/revisions/restart/action';
const TARGET = `${RG_LV_APPS}/providers/Microsoft.App/containerApps/ca-lv-one/revisions/ca-lv-one--r1`;
const admin = { kind: 'user' as const, id: 'aaaaaaaa-0000-4000-8000-000000000001', name: 'ann.admin@contoso' };
const admin2 = { id: 'aaaaaaaa-0000-4000-8000-000000000002', name: 'bob.admin@contoso' };

const clock = testClock();
let sb: LevelsSandbox;
let permissions: PermissionCache;
/** When set, the Azure gateway refuses every delete, as ARM would for a lost permission. */
let refuseDeletes = false;

const interpose = (arm: RaiseGrantGateway): RaiseGrantGateway => ({
  ...arm,
  grant: (...a) => arm.grant(...a),
  assignmentsFor: (...a) => arm.assignmentsFor(...a),
  pimProblem: (...a) => arm.pimProblem(...a),
  async end(mode, g, w) {
    if (refuseDeletes && mode === 'fallback') throw Object.assign(new Error('AuthorizationFailed: no roleAssignments/delete'), { statusCode: 403, code: 'AuthorizationFailed' });
    return arm.end(mode, g, w);
  },
  async deleteAssignment(id) {
    if (refuseDeletes) throw Object.assign(new Error('AuthorizationFailed: no roleAssignments/delete'), { statusCode: 403, code: 'AuthorizationFailed' });
    return arm.deleteAssignment(id);
  },
});

/** A fresh Elevate over the same database: what a restarted process has. */
function restartedRuntime(): LevelsRuntime {
  return createLevelsRuntime({
    mode: 'sandbox',
    store: sb.db,
    audit: sb.audit,
    endpoints: sb.endpoints,
    governanceCredential: sb.governance,
    governance: { kind: 'secret', clientId: sb.endpoints.clientId },
    policies: sb.policies,
    roleCatalog: catalog,
    inventoryRefreshSeconds: 900,
    clock: clock.now,
    onRolesChanged: (p) => permissions.invalidate(p),
    raiseGateway: interpose,
  });
}

const advance = (seconds: number) => {
  clock.advance(seconds);
  sb.handle.clock.advance(seconds);
};
const cacHeld = () => sb.handle.roleAssignmentsOf(LV_UAMI.principalId).filter((a) => a.scope.toLowerCase() === RG_LV_APPS.toLowerCase() && a.roleDefinitionId.endsWith(CAC));
const canRestart = async () => (await permissions.check(LV_UAMI.principalId, RESTART, TARGET)).allowed;

beforeAll(async () => {
  sb = await startLevelsSandbox({ clock: clock.now, onRolesChanged: (p) => permissions.invalidate(p), raiseGateway: interpose });
  permissions = createPermissionCache({
    source: createArmPermissionSource({ clientFor: (sub) => createAuthorizationClient(sb.governance, sub, sb.endpoints), catalogRoles: catalog.roles }),
    makeEvaluator: (state) => createEvaluator(state, { suggestionLimit: 0 }),
    ttlMs: 5 * 60_000,
  });
  await sb.runtime.registry.create({ name: 'lv-raise-agent', uamiClientId: LV_UAMI.clientId, uamiPrincipalId: LV_UAMI.principalId, level: 'Reader', resourceGroupIds: [RG_LV_APPS, RG_LV_VMS] }, admin);
  await sb.runtime.enforcer.apply('lv-raise-agent', { actor: admin });
  sb.handle.setPimLicensed(false);
}, 60_000);

afterAll(async () => {
  await sb?.close();
});

describe('time-bound raise without PIM (fallback)', { timeout: 60_000 }, () => {
  it('grants plain assignments, survives a restart mid-window, and the restarted Elevate revokes on time and verifies', async () => {
    const raise = await sb.runtime.raises.request('lv-raise-agent', { resourceGroupIds: [RG_LV_APPS], targetLevel: 'Privileged', durationMinutes: 2, justification: 'INC-7 restarts', triggerRef: 'INC-7' }, admin);
    expect(await canRestart()).toBe(false);
    const active = await sb.runtime.raises.approve(raise.id, admin2, 'ok');
    expect(active).toMatchObject({ state: 'active', mode: 'fallback' });
    expect(active.modeReason).toContain('AadPremiumLicenseRequired');
    expect(sb.runtime.raises.lastMode()).toMatchObject({ mode: 'fallback' });
    const held = cacHeld();
    expect(held).toHaveLength(1);
    expect(held[0]!.description).toBe(`Elevate time-bound raise ${raise.id} until ${active.endsAt}`);
    expect(active.grants.every((g) => g.status === 'granted' && g.roleAssignmentId)).toBe(true);
    expect(await canRestart()).toBe(true);
    // Not drift, and not for level apply to delete, while the window lasts.
    const { plan } = await sb.runtime.enforcer.plan('lv-raise-agent');
    expect(plan.drift).toEqual([]);
    expect(plan.toDelete).toEqual([]);
    expect(plan.notes.map((n) => n.message)).toContain(`Container Apps Contributor is held by time-bound raise ${raise.id} until ${active.endsAt}`);

    // Elevate stops mid-window (nothing kept but the database); a new one starts.
    advance(60);
    const again = restartedRuntime();
    await again.raises.sweep();
    expect((await again.raises.get(raise.id)).state).toBe('active');
    expect(cacHeld()).toHaveLength(1);

    advance(61);
    // Without PIM nothing in Azure ends it: the assignment is still there until Elevate acts.
    expect(cacHeld()).toHaveLength(1);
    await again.raises.sweep();
    const ended = await again.raises.get(raise.id);
    expect(ended).toMatchObject({ state: 'ended', endReason: 'expired' });
    expect(ended.verifiedAt).not.toBeNull();
    expect(cacHeld()).toHaveLength(0);
    expect(await canRestart()).toBe(false);
    const types = [...(await sb.audit.list({ requestId: raise.id }, { limit: 50 })).entries].reverse().map((e) => e.eventType);
    expect(types).toEqual(['level-raise.requested', 'level-raise.approved', 'level-raise.granted', 'level-raise.ended', 'level-raise.verified-gone']);
  });

  it('retries a refused revoke with back-off; meanwhile the leftover is drift in the plan', async () => {
    const rt = restartedRuntime();
    const raise = await rt.raises.request('lv-raise-agent', { resourceGroupIds: [RG_LV_APPS], targetLevel: 'Privileged', durationMinutes: 5, justification: 'INC-8' }, admin);
    await rt.raises.approve(raise.id, admin2, null);
    refuseDeletes = true;
    try {
      advance(301);
      await rt.raises.sweep();
      const stuck = await rt.raises.get(raise.id);
      expect(stuck).toMatchObject({ state: 'revoking', endReason: 'expired', revokeAttempts: 1 });
      expect(stuck.lastError).toContain('AuthorizationFailed');
      expect(Date.parse(stuck.nextAttemptAt!) - clock.now().getTime()).toBeGreaterThan(4_000);
      expect(cacHeld()).toHaveLength(1);
      const { plan } = await rt.enforcer.plan('lv-raise-agent');
      expect(plan.drift.map((d) => d.roleName)).toContain('Container Apps Contributor');
      expect(plan.effectiveLevel.exceeds).toBe(true);
      // Not yet time to retry: the sweep leaves it.
      await rt.raises.sweep();
      expect((await rt.raises.get(raise.id)).revokeAttempts).toBe(1);
    } finally {
      refuseDeletes = false;
    }
    advance(6);
    await rt.raises.sweep();
    expect(await rt.raises.get(raise.id)).toMatchObject({ state: 'ended', revokeAttempts: 2 });
    expect(cacHeld()).toHaveLength(0);
    expect((await rt.enforcer.plan('lv-raise-agent')).plan.drift).toEqual([]);
    const failed = (await sb.audit.list({ requestId: raise.id, eventType: 'level-raise.revoke-failed' }, { limit: 5 })).entries;
    expect(failed).toHaveLength(1);
  });

  it('doctor says which mode raises use here, and why', async () => {
    const without = await sb.runtime.doctor('lv-raise-agent');
    const finding = without.findings.find((f) => f.check === 'raise-mode')!;
    expect(finding).toMatchObject({ status: 'warn' });
    expect(finding.summary).toContain('fallback');
    expect(finding.summary).toContain('AadPremiumLicenseRequired');
    expect(finding.fix).toContain('P2');
    sb.handle.setPimLicensed(true);
    try {
      const withPim = await sb.runtime.doctor('lv-raise-agent');
      expect(withPim.findings.find((f) => f.check === 'raise-mode')).toMatchObject({ status: 'ok' });
      expect(withPim.facts.raiseMode).toMatchObject({ mode: 'pim', scope: RG_LV_APPS });
      expect(sb.runtime.raises.lastMode()).toMatchObject({ mode: 'pim' });
    } finally {
      sb.handle.setPimLicensed(false);
    }
  });
});
