/**
 * Issue 11 item 4, end to end: the agent names who asked (`trigger.requestedBy`) in any spelling;
 * Elevate resolves it through (the sandbox's) Microsoft Graph when the request is created, and
 * four eyes compares object ids. Every spelling of Ada is refused when Ada approves; a requester
 * the directory cannot pin down needs one more administrator, and the request page says why.
 * Consent here uses `requesterMayApprove: false` so the four-eyes rule applies without a fresh
 * sign-in; one elevation (the default rule) is covered too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, postDecision, requestPage, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';
import type { BrowserLikeClient } from '../signin/support/browser-like-client.ts';

let h: ApprovalHarness;
let ada: BrowserLikeClient;
let grace: BrowserLikeClient;
let lin: BrowserLikeClient;

beforeAll(async () => {
  h = await startApprovalHarness({ approvals: { consent: { requesterMayApprove: false } } });
  [ada, grace, lin] = await Promise.all([h.signedIn('admin'), h.signedIn('admin2'), h.signedIn('admin3')]);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const consentAskedBy = (requestedBy: string) => h.submit(h.privilegedAgent, restartPayments(h, { trigger: { kind: 'chat', ref: 'conv-9', requestedBy } }));
/** The requester as the request's `operation.requested` audit entry records it. */
const auditedRequester = async (id: string) =>
  (JSON.parse((await h.db.get<{ details: string }>("SELECT details FROM audit_log WHERE event_type = 'operation.requested' AND request_id = ?", [id]))!.details) as { requester?: unknown }).requester;
const recordedRequester = (id: string) => h.db.get<{ status: string; object_id: string | null; reason: string | null }>('SELECT status, object_id, reason FROM request_requesters WHERE request_id = ?', [id]);

describe('requester spellings', { timeout: 60_000 }, () => {
  const spellings = () => {
    const upn = h.user('admin').upn;
    return ['Ada Admin', 'ada.admin', `${upn}.`, `mailto:${upn}`, `MAILTO:${upn.toUpperCase()}.`, 'ada@contoso-sre.onmicrosoft.com', ` ${h.user('admin').oid.toUpperCase()} `];
  };

  it('resolves every spelling of Ada to her object id and refuses her approval of it; another administrator alone suffices', async () => {
    for (const spelling of spellings()) {
      const raised = await consentAskedBy(spelling);
      expect(await recordedRequester(raised.id), spelling).toEqual({ status: 'resolved', object_id: h.user('admin').oid, reason: null });
      expect(await auditedRequester(raised.id)).toEqual({ status: 'resolved', objectId: h.user('admin').oid });
      // the page says so before she writes a reason: no Approve form, the four-eyes reason instead
      const adaPage = await requestPage(ada, h, raised.id);
      expect(adaPage.body, spelling).not.toContain('data-testid="approve-form"');
      expect(adaPage.body, spelling).toContain('data-code="requester_may_not_approve"');
      const refused = await postDecision(ada, h, raised.id, 'approve', 'looks fine');
      expect(refused.status, spelling).toBe(403);
      expect(refused.body).toContain('data-code="requester_may_not_approve"');
      expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('pending_consent');
      const page = await requestPage(grace, h, raised.id);
      expect(page.body).toContain('0 of 1 required');
      expect(page.body).not.toContain('data-testid="extra-approver"');
      expect((await postDecision(grace, h, raised.id, 'approve', 'ok')).location, spelling).toContain('done=executed');
    }
  });

  it('refuses Ada on an elevation (the default rule) asked for as "Ada Admin"', async () => {
    const raised = await h.submit(h.readerAgent, restartCheckout(h, { trigger: { kind: 'incident', requestedBy: 'Ada Admin' } }));
    const res = await postDecision(ada, h, raised.id, 'approve', 'I asked for it');
    expect(res.status).toBe(403);
    expect(res.body).toContain('data-code="requester_may_not_approve"');
    expect((await approveElevation(grace, h, raised.id, 'admin2')).callback.location).toContain('done=executed');
  });

  it('needs one more administrator for a requester the directory cannot resolve, and the request page says why', async () => {
    for (const [spelling, reason] of [
      ['the on-call engineer', 'not_an_identity'],
      ['nobody@contoso-sre.onmicrosoft.com', 'not_found'],
    ] as const) {
      const raised = await consentAskedBy(spelling);
      expect(await recordedRequester(raised.id)).toEqual({ status: 'unresolved', object_id: null, reason });
      expect(await auditedRequester(raised.id)).toEqual({ status: 'unresolved', reason });
      const before = await requestPage(ada, h, raised.id);
      expect(before.body).toContain('0 of 2 required');
      expect(before.body).toContain('data-testid="extra-approver"');
      expect(before.body).toMatch(/Elevate could not tell who &quot;Asked for by&quot; names: .+ one more administrator than usual must approve\./);

      expect((await postDecision(ada, h, raised.id, 'approve', 'first')).location).toContain('done=recorded');
      expect((await h.agentGet(h.privilegedAgent, raised.id)).state).toBe('pending_consent');
      expect((await requestPage(grace, h, raised.id)).body).toContain('1 of 2 required');
      expect((await postDecision(grace, h, raised.id, 'approve', 'second')).location).toContain('done=executed');
    }
  });

  it('keeps the recorded requester immutable', async () => {
    const raised = await consentAskedBy('Ada Admin');
    await expect(h.db.run("UPDATE request_requesters SET object_id = ? WHERE request_id = ?", [h.user('admin2').oid, raised.id])).rejects.toThrow(/immutable/);
    await expect(h.db.run('DELETE FROM request_requesters WHERE request_id = ?', [raised.id])).rejects.toThrow(/immutable/);
    expect((await postDecision(ada, h, raised.id, 'approve', 'x')).status).toBe(403);
    expect((await postDecision(lin, h, raised.id, 'approve', 'ok')).location).toContain('done=executed');
  });
});
