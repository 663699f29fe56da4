/** applyHolds: `require` rules only ever tighten a decision. */
import { describe, expect, it } from 'vitest';
import { applyHolds } from '../../src/operations/decision-pipeline.ts';
import type { ContentRuleHit, OperationDecision } from '../../src/operations/operation-types.ts';

const decision = (o: Partial<OperationDecision>): OperationDecision => ({
  outcome: 'execute',
  reasonCode: 'allowed',
  explanation: 'granted by Contributor',
  action: 'Microsoft.Storage/storageAccounts/write',
  scope: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st',
  isWrite: true,
  runMode: 'Autonomous',
  wouldBeGrantedBy: [],
  ...o,
});
const approvers3: ContentRuleHit = { rule: 'three-eyes', reason: 'r3', effect: 'require', approvers: 3 };
const elevation: ContentRuleHit = { rule: 'admin-runs-it', reason: 're', effect: 'require', elevation: true };

describe('applyHolds', () => {
  it('leaves a decision no rule matched untouched', () => {
    const d = decision({});
    expect(applyHolds(d, [])).toBe(d);
  });

  it('turns a direct execution into a consent that needs the rule’s approvers', () => {
    expect(applyHolds(decision({}), [approvers3])).toEqual(
      decision({ outcome: 'pending_consent', reasonCode: 'content_rule', approversRequired: 3, contentRules: [approvers3], explanation: "Microsoft.Storage/storageAccounts/write is held: 3 administrators must approve (guardrail 'three-eyes')" }),
    );
  });

  it('turns a consent into an elevation, and keeps the higher approver count of two rules', () => {
    const d = applyHolds(decision({ outcome: 'pending_consent', reasonCode: 'needs_consent', approversRequired: 4 }), [elevation, approvers3]);
    expect(d).toMatchObject({ outcome: 'pending_elevation', reasonCode: 'content_rule', approversRequired: 4 });
    expect(d.explanation).toBe("Microsoft.Storage/storageAccounts/write is held by guardrail 'admin-runs-it': re; an administrator must run it with their own sign-in; 3 administrators must approve (guardrail 'three-eyes')");
  });

  it('keeps an elevation for a missing permission as it is, adding the approvers and saying why', () => {
    const d = applyHolds(decision({ outcome: 'pending_elevation', reasonCode: 'missing_permission', missingAction: 'x' }), [elevation, approvers3]);
    expect(d).toMatchObject({ outcome: 'pending_elevation', reasonCode: 'missing_permission', missingAction: 'x', approversRequired: 3 });
    expect(d.explanation).toBe("granted by Contributor; also held by guardrail 'admin-runs-it': re; 3 administrators must approve (guardrail 'three-eyes')");
  });

  it('never loosens a refusal', () => {
    const refused = decision({ outcome: 'forbidden', reasonCode: 'run_mode_read_only' });
    expect(applyHolds(refused, [elevation, approvers3])).toMatchObject({ outcome: 'forbidden', reasonCode: 'run_mode_read_only', contentRules: [elevation, approvers3] });
  });
});
