import { describe, expect, it } from 'vitest';
import { approvalRuleFor, approvalsSatisfied, checkApprover, countedApprovals } from '../../src/policies/approval-rules.ts';
import type { ApprovalKind } from '../../src/policies/policy-types.ts';
import { parseWith, shippedPolicies } from './policy-fixtures.ts';

const policies = shippedPolicies();
const ALICE = '11111111-1111-1111-1111-111111111111';
const BOB = '22222222-2222-2222-2222-222222222222';
const CAROL = '33333333-3333-3333-3333-333333333333';

describe('approval rules', () => {
  it('ships four eyes for elevations and self-consent for writes, one approver each', () => {
    expect(approvalRuleFor('elevation', policies)).toEqual({ requesterMayApprove: false, approversRequired: 1 });
    expect(approvalRuleFor('consent', policies)).toEqual({ requesterMayApprove: true, approversRequired: 1 });
  });

  it('throws on an unknown kind', () => {
    expect(() => approvalRuleFor('promotion' as ApprovalKind, policies)).toThrow(RangeError);
  });

  it('refuses the requester as approver of their own elevation, whatever the case of the id', () => {
    const rule = approvalRuleFor('elevation', policies);
    expect(checkApprover(rule, { requestedBy: ALICE, approverId: ALICE, priorApproverIds: [] })).toBe('requester-may-not-approve');
    expect(checkApprover(rule, { requestedBy: ALICE.toUpperCase(), approverId: ALICE, priorApproverIds: [] })).toBe('requester-may-not-approve');
    expect(checkApprover(rule, { requestedBy: ALICE, approverId: BOB, priorApproverIds: [] })).toBe('ok');
    expect(approvalsSatisfied(rule, ALICE, [ALICE])).toBe(false);
    expect(approvalsSatisfied(rule, ALICE, [BOB])).toBe(true);
  });

  it('lets the requester consent to their own write', () => {
    const rule = approvalRuleFor('consent', policies);
    expect(checkApprover(rule, { requestedBy: ALICE, approverId: ALICE, priorApproverIds: [] })).toBe('ok');
    expect(approvalsSatisfied(rule, ALICE, [ALICE])).toBe(true);
  });

  it('counts distinct approvers only', () => {
    const policy = parseWith({
      'approvals.yaml': 'elevation:\n  requesterMayApprove: false\n  approversRequired: 2\nconsent:\n  requesterMayApprove: true\n  approversRequired: 1\n',
    });
    const rule = approvalRuleFor('elevation', policy);
    expect(checkApprover(rule, { requestedBy: ALICE, approverId: BOB, priorApproverIds: [BOB.toUpperCase()] })).toBe('already-approved');
    expect(countedApprovals(rule, ALICE, [BOB, BOB.toUpperCase(), ALICE])).toBe(1);
    expect(approvalsSatisfied(rule, ALICE, [BOB, BOB.toUpperCase()])).toBe(false);
    expect(approvalsSatisfied(rule, ALICE, [BOB, CAROL])).toBe(true);
  });

  it('applies the rule when no requester is recorded (e.g. a scheduled run)', () => {
    const rule = approvalRuleFor('elevation', policies);
    expect(checkApprover(rule, { requestedBy: undefined, approverId: BOB, priorApproverIds: [] })).toBe('ok');
    expect(approvalsSatisfied(rule, undefined, [])).toBe(false);
  });
});
