import { describe, expect, it } from 'vitest';
import { freezeDeep, observing, rememberable, sharedDecision, stillHolds, type Consulted, type RememberedDecision } from '../../src/operations/decision-memo.ts';
import type { DecisionDeps } from '../../src/operations/decision-pipeline.ts';
import type { OperationDecision } from '../../src/operations/operation-types.ts';
import type { Decision } from '../../src/rbac/rbac-types.ts';
import { APP, makeAgent } from './support/operation-fixtures.ts';

const answer = (): Decision => Object.freeze({ allowed: true, reason: 'granted', message: 'granted', grantedBy: [], deniedBy: [], conditionalGrants: [], wouldBeGrantedBy: [] }) as Decision;
const decision = { action: 'Microsoft.App/containerApps/read', scope: APP, outcome: 'execute' } as unknown as OperationDecision;

describe('decision memo (pure)', () => {
  it('remembers a decision that asked at most one permission question and read no current resource', () => {
    const asked = { principalId: 'p', action: 'a', scope: 's', answer: answer() };
    expect(rememberable({ permissions: [], readCurrentResource: false })).toBe(true);
    expect(rememberable({ permissions: [asked], readCurrentResource: false })).toBe(true);
    expect(rememberable({ permissions: [asked], readCurrentResource: true })).toBe(false);
    expect(rememberable({ permissions: [asked, asked], readCurrentResource: false })).toBe(false);
  });

  it('holds only for the same agent object and the same answer object, not for equal copies', () => {
    const agent = makeAgent();
    const first = answer();
    const remembered: RememberedDecision = { agent, permission: { principalId: agent.uamiPrincipalId, action: 'a', scope: APP, answer: first }, decision, queryKey: 'k' };
    expect(stillHolds(remembered, agent, first)).toBe(true);
    expect(stillHolds(remembered, { ...agent }, first)).toBe(false); // the directory read the agent again
    expect(stillHolds(remembered, agent, answer())).toBe(false); // the permission cache reloaded: an equal answer, another object
    expect(stillHolds(remembered, agent, undefined)).toBe(false);
    // Settled before any permission question (a guardrail, a content rule, the run mode): the agent alone decides.
    const settled: RememberedDecision = { agent, decision, queryKey: 'k' };
    expect(stillHolds(settled, agent, undefined)).toBe(true);
    expect(stillHolds(settled, makeAgent(), undefined)).toBe(false);
  });

  it('freezes a decision all the way down, arrays included, and hands back the same object', () => {
    const d = { a: { b: [{ c: 1 }] }, s: 'x', n: null } as const;
    const frozen = freezeDeep(d);
    expect(frozen).toBe(d);
    expect(Object.isFrozen(d) && Object.isFrozen(d.a) && Object.isFrozen(d.a.b) && Object.isFrozen(d.a.b[0])).toBe(true);
    expect(() => {
      (d.a.b[0] as { c: number }).c = 2;
    }).toThrow(TypeError);
  });

  it('freezes a remembered decision when it is first shared, and only walks it that once', () => {
    const made = { outcome: 'execute', permission: { allowed: true, grantedBy: [{ role: 'Reader' }] } } as unknown as OperationDecision;
    const remembered: RememberedDecision = { agent: makeAgent(), decision: made, queryKey: 'k' };
    expect(Object.isFrozen(made)).toBe(false); // its maker alone holds it
    expect(sharedDecision(remembered)).toBe(remembered);
    const permission = (made as unknown as { permission: { grantedBy: object[] } }).permission;
    expect(Object.isFrozen(made) && Object.isFrozen(permission) && Object.isFrozen(permission.grantedBy) && Object.isFrozen(permission.grantedBy[0])).toBe(true);
    // Already frozen: handed back as it is.
    expect(sharedDecision(remembered).decision).toBe(made);
  });

  it('observes the permission questions and the current-resource read, passing their answers and everything else through', async () => {
    const granted = answer();
    const current = { known: false as const, why: 'not readable' };
    const base = { checkPermission: async () => granted, readCurrentResource: async () => current, runModeAllows: () => 'allow' } as unknown as DecisionDeps;
    const consulted: Consulted = { permissions: [], readCurrentResource: false };
    const observed = observing(base, consulted);
    expect(observed.runModeAllows).toBe(base.runModeAllows);
    expect(await observed.checkPermission('p', 'a', APP)).toBe(granted);
    expect(consulted).toEqual({ permissions: [{ principalId: 'p', action: 'a', scope: APP, answer: granted }], readCurrentResource: false });
    expect(await observed.readCurrentResource!(makeAgent(), APP, '2024-03-01')).toBe(current);
    expect(consulted.readCurrentResource).toBe(true);
    // Without a reader, none is added.
    expect(observing({ ...base, readCurrentResource: undefined } as DecisionDeps, { permissions: [], readCurrentResource: false }).readCurrentResource).toBeUndefined();
  });
});
