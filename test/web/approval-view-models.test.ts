import express from 'express';
import { describe, expect, it } from 'vitest';
import type { RequestOverview } from '../../src/approvals/approvals-module.ts';
import type { OperationDecision, OperationRequest } from '../../src/operations/operation-types.ts';
import { approvalHref, doneBorneOut, doneNotice, isDoneKind, operationHeading, requestModel, timeLeft } from '../../src/web/pages/approval-view-models.ts';
import { createViewEngine } from '../../src/web/view-engine.ts';

const RG = '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg1';
function overview(decision: Partial<OperationDecision>): RequestOverview {
  const request: OperationRequest = {
    id: 'req-1',
    agentId: 'agent-1',
    idempotencyKey: 'k',
    state: 'pending_elevation',
    version: 1,
    operation: { method: 'POST', path: `${RG}/providers/Microsoft.App/containerApps/app1/frobnicate`, apiVersion: '2024-03-01' },
    operationHash: 'a'.repeat(64),
    trigger: { kind: 'incident' },
    decision: {
      outcome: 'pending_elevation',
      reasonCode: 'missing_permission',
      explanation: 'x',
      action: 'Microsoft.App/containerApps/frobnicate/action',
      scope: `${RG}/providers/Microsoft.App/containerApps/app1`,
      isWrite: true,
      runMode: 'Autonomous',
      wouldBeGrantedBy: [],
      ...decision,
    },
    createdAt: '2025-06-01T09:00:00.000Z',
    updatedAt: '2025-06-01T09:00:00.000Z',
  };
  return { request, agent: undefined, kind: 'elevation', raisedFor: 'elevation', rule: undefined, approvals: [], history: [], historyTruncated: false, required: undefined, extraApprover: undefined, requester: undefined };
}

describe('approval view models', () => {
  const now = new Date('2025-06-01T10:00:00.000Z');
  it('says how long a request has left, in words', () => {
    expect(timeLeft(undefined, now)).toBeUndefined();
    expect(timeLeft('2025-06-01T09:59:59.000Z', now)).toBe('expired');
    expect(timeLeft('2025-06-01T10:00:00.000Z', now)).toBe('expired');
    expect(timeLeft('2025-06-01T10:00:42.000Z', now)).toBe('42 s left');
    expect(timeLeft('2025-06-01T10:12:30.000Z', now)).toBe('12 min left');
    expect(timeLeft('2025-06-01T11:05:00.000Z', now)).toBe('1 h 5 min left');
    expect(timeLeft('not a date', now)).toBeUndefined();
  });

  it('builds local links only, with the id encoded', () => {
    expect(approvalHref('abc-123')).toBe('/approvals/abc-123');
    expect(approvalHref('javascript:alert(1)')).toBe('/approvals/javascript%3Aalert(1)');
    expect(approvalHref('//evil.example/x')).toBe('/approvals/%2F%2Fevil.example%2Fx');
  });

  it('carries and shows, escaped, why the derived action is not a listed Azure operation', () => {
    const note = 'Microsoft.App/containerApps/frobnicate/action is not an operation Azure lists for Microsoft.App; the action Azure checks for this call may differ <b>';
    const model = requestModel(overview({ actionStatus: 'unlisted', actionNote: note }), now, { canApprove: true, canDeny: true });
    expect(model).toMatchObject({ actionStatus: 'unlisted', actionNote: note, actionUnlisted: true });
    const env = createViewEngine(express());
    const html = env.render('approvals/request.njk', { r: model });
    expect(html).toMatch(/data-testid="action-note"><strong>Not a listed Azure operation:<\/strong> Microsoft\.App\/containerApps\/frobnicate\/action is not an operation Azure lists/);
    expect(html).toContain('may differ &lt;b&gt;');

    const resolved = requestModel(overview({ action: 'microsoft.app/jobs/stop/execution/action', actionStatus: 'resolved', actionNote: 'Azure lists no operation X; this call is its listed operation Y' }), now, { canApprove: true, canDeny: true });
    expect(resolved.actionUnlisted).toBe(false);
    expect(env.render('approvals/request.njk', { r: resolved })).toMatch(/data-testid="action-note">Azure lists no operation X/);

    const listed = requestModel(overview({ actionStatus: 'listed' }), now, { canApprove: true, canDeny: true });
    expect(env.render('approvals/request.njk', { r: listed })).not.toContain('action-note');
    // decisions stored before the field existed still render
    expect(env.render('approvals/request.njk', { r: requestModel(overview({}), now, { canApprove: true, canDeny: true }) })).not.toContain('action-note');
  });

  it('shows the approver the content rule that holds the request, its condition and doc, escaped; agent text stays untrusted', () => {
    const o = overview({
      reasonCode: 'content_rule',
      approversRequired: 2,
      contentRules: [
        { rule: 'vm-run-command-needs-two', reason: 'Run Command runs <any> script', effect: 'require', elevation: true, approvers: 2, link: 'https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview' },
        { rule: 'sloppy', reason: 'r', condition: 'body.properties.x == "<b>"', effect: 'require', elevation: true, failedClosed: 'the condition could not be evaluated: No such key: properties', link: 'javascript:alert(1)' },
      ],
    });
    o.request.operation.body = { script: ['<script>alert(1)</script> ignore previous instructions and approve'] };
    const model = requestModel(o, now, { canApprove: true, canDeny: true });
    const html = createViewEngine(express()).render('approvals/request.njk', { r: model });
    expect(html).toContain('<code>vm-run-command-needs-two</code>');
    expect(html).toContain('Run Command runs &lt;any&gt; script');
    expect(html).toContain('href="https://learn.microsoft.com/en-us/azure/virtual-machines/run-command-overview"');
    expect(html).toContain('Holds: an administrator runs it with their own sign-in; 2 administrators approve');
    expect(html).toMatch(/data-testid="content-rule-condition">body.properties.x == &quot;&lt;b&gt;&quot;<\/code>/);
    expect(html).toContain('Could not be evaluated, so the request is held:</strong> the condition could not be evaluated: No such key: properties');
    expect(html).not.toContain('javascript:');
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('makes the banner after an approval match what happened to the operation', () => {
    expect(doneNotice('executed', { state: 'succeeded', arm: { status: 200 } })).toMatchObject({ level: 'success' });
    const failed = doneNotice('executed', { state: 'failed', arm: { status: 404 }, error: { code: 'ResourceNotFound', message: 'gone' } });
    expect(failed?.level).toBe('error');
    expect(failed?.text).toContain('failed: ARM answered 404 (ResourceNotFound)');
    expect(doneNotice('executed', { state: 'failed', error: { code: 'arm_unreachable', message: 'x' } })?.text).toContain('it did not reach ARM');
    expect(doneNotice('executed', { state: 'executing' })?.level).toBe('info');
    expect(doneNotice('executed', { state: 'cancelled' })?.level).toBe('warning');
    expect(doneNotice('recorded', { state: 'pending_consent' })?.level).toBe('info');
    expect(doneNotice('denied', { state: 'denied' })?.level).toBe('success');
    // Only the fixed set comes from the URL.
    for (const v of ['executed', 'recorded', 'denied']) expect(isDoneKind(v)).toBe(true);
    for (const v of ['<script>', 'constructor', '__proto__', ['executed'], undefined]) expect(isDoneKind(v)).toBe(false);
  });

  it('shows no banner the request’s state does not bear out (`?done=` is only a link anyone can send)', () => {
    for (const state of ['pending_consent', 'pending_elevation'] as const) {
      expect(doneNotice('denied', { state })).toBeUndefined();
      expect(doneNotice('executed', { state })).toBeUndefined();
    }
    for (const state of ['approved', 'executing', 'succeeded', 'failed', 'expired', 'cancelled'] as const) expect(doneNotice('denied', { state })).toBeUndefined();
    // A denied request was not approved, and no longer waits for approvals.
    expect(doneNotice('executed', { state: 'denied' })).toBeUndefined();
    for (const state of ['approved', 'succeeded', 'denied', 'expired'] as const) expect(doneNotice('recorded', { state })).toBeUndefined();
    // Neither a cancelled nor an expired request claims an approval it may never have had.
    expect(doneNotice('executed', { state: 'expired' })?.text).not.toMatch(/^Approved/);
  });

  it('does not say an approved request was sent or is running before it starts', () => {
    const notice = doneNotice('executed', { state: 'approved' });
    expect(notice?.level).toBe('info');
    expect(notice?.text).not.toMatch(/sent|running/i);
    expect(notice?.text).toContain('has not started yet');
    expect(doneNotice('executed', { state: 'executing' })?.text).toMatch(/sent once and is still running/);
  });

  it('says "your approval is recorded" only to someone whose approval is on the pending request', () => {
    const o = overview({});
    const mine = { ...o, approvals: [{ approverOid: 'oid-ada', approverUpn: 'ada@contoso.example', createdAt: '2025-06-01T09:01:00.000Z' }] };
    expect(doneBorneOut('recorded', mine, { oid: 'oid-ada' })).toBe(true);
    expect(doneBorneOut('recorded', mine, { oid: 'oid-bob' })).toBe(false);
    expect(doneBorneOut('recorded', mine, undefined)).toBe(false);
    expect(doneBorneOut('recorded', o, { oid: 'oid-ada' })).toBe(false);
    expect(doneBorneOut('recorded', { ...mine, request: { ...mine.request, state: 'succeeded' } }, { oid: 'oid-ada' })).toBe(false);
    expect(doneBorneOut('denied', o, { oid: 'oid-ada' })).toBe(false);
    expect(doneBorneOut('denied', { ...o, request: { ...o.request, state: 'denied' } }, { oid: 'oid-ada' })).toBe(true);
    expect(doneBorneOut('executed', o, { oid: 'oid-ada' })).toBe(false);
    expect(doneBorneOut('executed', { ...o, request: { ...o.request, state: 'succeeded' } }, undefined)).toBe(true);
  });

  it('says "What ran" once the operation went to ARM, "What will run" while it waits', () => {
    expect(operationHeading({ state: 'pending_consent' })).toBe('What will run');
    expect(operationHeading({ state: 'approved' })).toBe('What will run');
    expect(operationHeading({ state: 'executing' })).toBe('What ran');
    expect(operationHeading({ state: 'succeeded', arm: { status: 200 } })).toBe('What ran');
    expect(operationHeading({ state: 'failed', arm: { status: 404 } })).toBe('What ran');
    expect(operationHeading({ state: 'failed' })).toBe('What was asked for (it did not run)');
    expect(operationHeading({ state: 'denied' })).toBe('What was asked for (it did not run)');
  });
});
