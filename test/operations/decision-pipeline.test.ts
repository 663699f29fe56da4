import { describe, expect, it } from 'vitest';
import { createEvaluator } from '../../src/rbac/rbac-evaluator.ts';
import { createDecisionDeps } from '../../src/operations/decision-deps.ts';
import { decideOperation, UnsupportedOperationError } from '../../src/operations/decision-pipeline.ts';
import type { OperationInput } from '../../src/operations/operation-types.ts';
import { APP, makeAgent, policiesWithRunModes, PRIVILEGED_PRINCIPAL, RESTART, RESTART_ACTION, REVISION, RG_APPS, sandboxLikeState, SUB } from './support/operation-fixtures.ts';

const evaluator = createEvaluator(sandboxLikeState());
const permissions = { check: async (principalId: string, action: string, scope: string) => evaluator.check({ principalId, action, scope }) };
const autonomous = policiesWithRunModes({ chat: 'Review', incident: 'Autonomous', scheduled: 'ReadOnly', manual: 'Autonomous' });
const deps = createDecisionDeps(autonomous, permissions);

const reader = makeAgent();
const privileged = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });

const op = (o: Partial<OperationInput>): OperationInput => ({
  method: 'GET',
  path: APP,
  apiVersion: '2024-03-01',
  trigger: { kind: 'incident' },
  idempotencyKey: 'k',
  ...o,
});
const restart = op({ method: 'POST', path: RESTART, justification: 'stuck revision' });

describe('decideOperation', () => {
  it('executes a read the UAMI may do, in any mode', async () => {
    for (const kind of ['chat', 'incident', 'scheduled', 'manual'] as const) {
      const d = await decideOperation(op({ trigger: { kind } }), reader, deps);
      expect(d.outcome).toBe('execute');
      expect(d.reasonCode).toBe('allowed');
      expect(d.action).toBe('Microsoft.App/containerApps/read');
      expect(d.scope).toBe(APP);
      expect(d.permission?.grantedBy[0]?.roleName).toBe('Reader');
    }
  });

  it('executes a write in Autonomous mode when the UAMI holds the action', async () => {
    const d = await decideOperation(restart, privileged, deps);
    expect(d).toMatchObject({ outcome: 'execute', runMode: 'Autonomous', isWrite: true, action: RESTART_ACTION, scope: REVISION });
    expect(d.permission?.grantedBy.map((g) => g.roleName)).toContain('Container Apps Contributor');
  });

  it('asks for consent for a permitted write in Review mode', async () => {
    const d = await decideOperation({ ...restart, trigger: { kind: 'chat' } }, privileged, deps);
    expect(d).toMatchObject({ outcome: 'pending_consent', reasonCode: 'needs_consent', runMode: 'Review' });
  });

  it('asks for elevation when the UAMI lacks the action, naming it and the roles that grant it', async () => {
    const d = await decideOperation(restart, reader, deps);
    expect(d.outcome).toBe('pending_elevation');
    expect(d.missingAction?.toLowerCase()).toBe('microsoft.app/containerapps/revisions/restart/action');
    expect(d.wouldBeGrantedBy.map((r) => r.roleName)).toContain('Container Apps Contributor');
    expect(d.explanation).toContain('Container Apps Contributor');
  });

  it('refuses writes in ReadOnly mode, before asking about permissions', async () => {
    const d = await decideOperation({ ...restart, trigger: { kind: 'scheduled' } }, privileged, deps);
    expect(d).toMatchObject({ outcome: 'forbidden', reasonCode: 'run_mode_read_only', runMode: 'ReadOnly' });
    expect(d.permission).toBeUndefined();
  });

  it('caps the trigger mode at the agent ceiling', async () => {
    const capped = makeAgent({ uamiPrincipalId: PRIVILEGED_PRINCIPAL, runModeCeiling: 'Review' });
    expect((await decideOperation(restart, capped, deps)).outcome).toBe('pending_consent');
    const readOnly = makeAgent({ uamiPrincipalId: PRIVILEGED_PRINCIPAL, runModeCeiling: 'ReadOnly' });
    expect((await decideOperation(restart, readOnly, deps)).outcome).toBe('forbidden');
    expect((await decideOperation(op({}), readOnly, deps)).outcome).toBe('execute');
  });

  it('forbids guardrail hits whatever the mode and permissions, naming the rule', async () => {
    const d = await decideOperation(
      op({ method: 'PUT', path: `${RG_APPS}/providers/Microsoft.Authorization/roleAssignments/00000000-0000-4000-8000-000000000001`, justification: 'x', body: {} }),
      privileged,
      deps,
    );
    expect(d).toMatchObject({ outcome: 'forbidden', reasonCode: 'guardrail', guardrail: { rule: 'no-authorization-writes' } });
    const keys = await decideOperation(
      op({ method: 'POST', path: `${RG_APPS}/providers/Microsoft.Storage/storageAccounts/st1/listKeys`, justification: 'x' }),
      privileged,
      deps,
    );
    expect(keys.guardrail?.rule).toBe('no-storage-account-keys');
    // a guardrail holds even for reads-looking POSTs in a ReadOnly run: the rule is what is reported
    const readOnlyRun = await decideOperation(
      op({ method: 'POST', path: `${RG_APPS}/providers/Microsoft.Storage/storageAccounts/st1/listKeys`, justification: 'x', trigger: { kind: 'scheduled' } }),
      privileged,
      deps,
    );
    expect(readOnlyRun.reasonCode).toBe('guardrail');
  });

  it('turns a path ARM does not serve for the method into UnsupportedOperationError', async () => {
    await expect(decideOperation(op({ method: 'PUT', path: `${RG_APPS}/providers/Microsoft.App/containerApps`, justification: 'x' }), privileged, deps)).rejects.toThrow(
      UnsupportedOperationError,
    );
    await expect(decideOperation(op({ method: 'POST', path: APP, justification: 'x' }), privileged, deps)).rejects.toThrow(/POST must end with an action name/);
  });

  it('checks permissions at the subscription for subscription-wide roles', async () => {
    const alert = op({ method: 'PUT', path: `${RG_APPS}/providers/Microsoft.Insights/metricAlerts/high-cpu`, justification: 'silence during incident', body: {} });
    const d = await decideOperation(alert, reader, deps);
    expect(d.outcome).toBe('execute');
    expect(d.permission?.grantedBy.some((g) => g.roleName === 'Monitoring Contributor' && g.scope === `/subscriptions/${SUB}`)).toBe(true);
  });

  it('marks a listed action as listed', async () => {
    const d = await decideOperation(restart, reader, deps);
    expect(d.actionStatus).toBe('listed');
    expect(d.actionNote).toBeUndefined();
  });

  it('checks the operation Azure lists when the call is not "type + verb", and says so', async () => {
    const stop = op({ method: 'POST', path: `${RG_APPS}/providers/Microsoft.App/jobs/nightly/executions/nightly-x1y2/stop`, justification: 'runaway job' });
    const d = await decideOperation(stop, reader, deps);
    expect(d).toMatchObject({ action: 'microsoft.app/jobs/stop/execution/action', actionStatus: 'resolved', outcome: 'pending_elevation', isWrite: true });
    expect(d.actionNote).toBe('Azure lists no operation Microsoft.App/jobs/executions/stop/action; this call is its listed operation microsoft.app/jobs/stop/execution/action');
    // the smallest roles holding the listed operation, not the structural one
    expect(d.wouldBeGrantedBy[0]?.roleName).toBe('Container Apps Jobs Operator');
  });

  it('flags an action Azure does not list, in the field and in the explanation, whatever the outcome', async () => {
    const unknown = op({ method: 'POST', path: `${APP}/frobnicate`, justification: 'x' });
    const elevation = await decideOperation(unknown, reader, deps);
    expect(elevation).toMatchObject({ outcome: 'pending_elevation', action: 'Microsoft.App/containerApps/frobnicate/action', actionStatus: 'unlisted' });
    expect(elevation.actionNote).toMatch(/is not an operation Azure lists for Microsoft\.App; the action Azure checks for this call may differ$/);
    expect(elevation.explanation).toMatch(/\. Note: Microsoft\.App\/containerApps\/frobnicate\/action is not an operation Azure lists/);
    const readOnly = await decideOperation({ ...unknown, trigger: { kind: 'scheduled' } }, privileged, deps);
    expect(readOnly).toMatchObject({ outcome: 'forbidden', actionStatus: 'unlisted' });
    expect(readOnly.explanation).toContain('Note: ');
  });

  it('suggests the least-privilege built-in role from the full catalog (Redis Cache Contributor for forceReboot)', async () => {
    const reboot = op({ method: 'POST', path: `${RG_APPS}/providers/Microsoft.Cache/redis/cache1/forceReboot`, justification: 'hung' });
    const d = await decideOperation(reboot, reader, deps);
    expect(d.outcome).toBe('pending_elevation');
    expect(d.actionStatus).toBe('listed');
    expect(d.wouldBeGrantedBy.map((r) => r.roleName)).toEqual(['Redis Cache Contributor', 'Contributor', 'Owner']);
  });

  it('holds a resolved call against guardrails on both its listed and its structural action', async () => {
    const guarded = createDecisionDeps(
      { ...autonomous, guardrails: { rules: [{ id: 'no-job-execution-stops', reason: 'jobs run to completion', actions: ['Microsoft.App/jobs/executions/stop/action'], dataActions: [] }] } },
      permissions,
    );
    const stop = op({ method: 'POST', path: `${RG_APPS}/providers/Microsoft.App/jobs/nightly/executions/nightly-x1y2/stop`, justification: 'x' });
    const d = await decideOperation(stop, privileged, guarded);
    expect(d).toMatchObject({ outcome: 'forbidden', reasonCode: 'guardrail', guardrail: { rule: 'no-job-execution-stops' }, action: 'microsoft.app/jobs/stop/execution/action', actionStatus: 'resolved' });
  });
});
