/**
 * Two administrators approving a request that needs two, at the same moment, on two instances:
 * both reviews read "nothing counted yet" before either counts its own approval. Approvals of one
 * request are counted one at a time, so one approver is told (and the log says) "1 of 2" and the
 * other's approval completes the request: a consent runs at once, an elevation after its
 * approver's one more sign-in (for the token Elevate acts with). Nothing waits for a third
 * approver, and the operation runs once. An approval counts toward a completion only once its
 * `approval.recorded` entry is on record: one still being recorded is waited for, one whose entry
 * failed is taken back, one whose instance stopped first never counts. Races are forced with
 * barriers and hooks, not timing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalsModule, ApprovalsModuleDeps } from '../../src/approvals/approvals-module.ts';
import type { DecisionResult } from '../../src/approvals/decision-results.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { auditEntries, createHarness, type Harness } from '../operations/support/operations-harness.ts';
import { ADA, API_TOKEN, approvalsInstance, barrier, GRACE, privileged, raise, recordOf, signInFor, twoApproversPolicies } from './support/approval-instances.ts';
import { watchedDb, type WatchedDb } from './support/watched-db.ts';

let h: Harness;
let opened: ApprovalsModule[];
beforeEach(async () => {
  h = await createHarness();
  opened = [];
});
afterEach(async () => {
  await Promise.all(opened.map((m) => m.close()));
  await h.close();
});

const policies = twoApproversPolicies();
const BOTH = [ADA.oid, GRACE.oid].sort();

/** One instance of Elevate on the shared store, requiring two approvers. */
function instance(overrides: Partial<Pick<ApprovalsModuleDeps, 'audit'>> = {}): { m: ApprovalsModule; w: WatchedDb } {
  const w = watchedDb(h.db);
  const m = approvalsInstance(h, { db: w.db, policies, ...overrides });
  opened.push(m);
  return { m, w };
}

/** Each instance's review reads the approvals counted so far before any of them counts its own. */
function readTogether(...ws: WatchedDb[]): void {
  const together = barrier(ws.length);
  for (const w of ws) w.holdApprovalReads(together);
}

const recordedEntries = async (requestId: string) =>
  (await auditEntries(h, { requestId })).filter((e) => e.eventType === 'approval.recorded').map((e) => ({ approver: e.approverId, counted: e.details.counted, required: e.details.required }));

const approvalRows = async (requestId: string) =>
  (await h.db.all<{ approver_oid: string }>('SELECT approver_oid FROM approval_reviews WHERE request_id = ? ORDER BY approver_oid', [requestId])).map((r) => r.approver_oid);

const approvedTransitions = async (requestId: string) =>
  (await auditEntries(h, { requestId }))
    .filter((e) => e.eventType === 'operation.transition' && e.outcome === 'approved')
    .map((e) => ({ approver: e.approverId, approvers: [...(e.details.approvers as string[])].sort(), required: e.details.required }));

const auditDown = () => Object.assign(new Error('audit entry not recorded: disk full'), { name: 'AuditAppendError' });

describe('two approvers racing on a request that needs two', () => {
  it('consent: one is recorded as 1 of 2, the other completes the request, and it runs once', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    const [a, b] = [instance(), instance()];
    readTogether(a.w, b.w);

    const results = await Promise.all([a.m.approve(request.id, ADA, 'ok'), b.m.approve(request.id, GRACE, 'ok too')]);
    expect(results.map((r) => r.kind).sort()).toEqual(['executed', 'recorded']);
    const first = results.findIndex((r) => r.kind === 'recorded');
    const [recorder, completer] = first === 0 ? [ADA, GRACE] : [GRACE, ADA];
    expect(results[first]).toMatchObject({ counted: 1, required: 2 });
    expect(results[1 - first]).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });

    expect(await recordedEntries(request.id)).toEqual([{ approver: recorder.oid, counted: 1, required: 2 }]);
    expect(await approvedTransitions(request.id)).toEqual([{ approver: completer.oid, approvers: BOTH, required: 2 }]);
    expect((await recordOf(h, request.id)).transitions).toEqual(['approved', 'executing', 'succeeded']);
    expect(h.armCalls).toHaveLength(1);
    expect(await h.module.store.countExecutions(request.id)).toBe(1);
    expect(await approvalRows(request.id)).toEqual(BOTH);
  });

  it('elevation: one is recorded as 1 of 2; the one whose approval completes it signs in once more, then it runs once', async () => {
    const request = await raise(h);
    const [a, b] = [instance(), instance()];
    // Both start while nothing is counted, so neither sign-in asks for the API token.
    expect(await a.m.approve(request.id, ADA, 'restart it')).toMatchObject({ kind: 'sign_in', options: { apiScope: false } });
    expect(await b.m.approve(request.id, GRACE, 'restart it too')).toMatchObject({ kind: 'sign_in', options: { apiScope: false } });
    readTogether(a.w, b.w);

    const results = await Promise.all([
      a.m.completeElevation(signInFor(ADA, request.id, { apiToken: undefined })),
      b.m.completeElevation(signInFor(GRACE, request.id, { apiToken: undefined })),
    ]);
    expect(results.map((r) => r.kind).sort()).toEqual(['recorded', 'sign_in']);
    const first = results.findIndex((r) => r.kind === 'recorded');
    const [recorder, completer, completing] = first === 0 ? [ADA, GRACE, b] : [GRACE, ADA, a];
    expect(results[first]).toMatchObject({ counted: 1, required: 2 });
    expect(results[1 - first]).toMatchObject({ kind: 'sign_in', options: { apiScope: true, loginHint: completer.upn }, message: expect.stringContaining('completes the request') });
    expect(h.armCalls).toHaveLength(0);

    expect(await completing.m.completeElevation(signInFor(completer, request.id))).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: completer.oid } });
    expect(await recordedEntries(request.id)).toEqual([{ approver: recorder.oid, counted: 1, required: 2 }]);
    const record = await recordOf(h, request.id);
    expect(record.decided.map((e) => [e.approverId, [...(e.details.approvers as string[])].sort()])).toEqual([[completer.oid, BOTH]]);
    expect(record.transitions).toEqual(['approved', 'executing', 'succeeded']);
    expect(h.armCalls).toHaveLength(1);
    expect(await h.module.store.countExecutions(request.id)).toBe(1);
    expect(await approvalRows(request.id)).toEqual(BOTH);
  });

  it('elevation from the CLI racing one from the browser: counted the same way, and the request completes', async () => {
    const request = await raise(h);
    const [a, b] = [instance(), instance()];
    await a.m.approve(request.id, ADA, 'from the terminal');
    await b.m.approve(request.id, GRACE, 'from the browser');
    readTogether(a.w, b.w);
    const now = Math.floor(h.clock.now.getTime() / 1000);
    const results = await Promise.all([
      a.m.completeElevationFromApi({ requestId: request.id, user: ADA, token: { oid: ADA.oid, tid: ADA.tid, reveal: () => API_TOKEN }, issuedAt: now, authTime: now, operationHash: request.operationHash }),
      b.m.completeElevation(signInFor(GRACE, request.id, { apiToken: undefined })),
    ]);
    // Whichever is counted first is "1 of 2". The other completes the request: the CLI's token
    // acts at once; the browser's approver has none yet and signs in once more.
    const first = results.findIndex((r) => r.kind === 'recorded');
    expect(results[first]).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    if (first === 0) {
      expect(results[1]).toMatchObject({ kind: 'sign_in', options: { apiScope: true } });
      expect(await b.m.completeElevation(signInFor(GRACE, request.id))).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: GRACE.oid } });
    } else {
      expect(results[0]).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: ADA.oid } });
    }
    expect(await recordedEntries(request.id)).toEqual([{ approver: [ADA, GRACE][first]!.oid, counted: 1, required: 2 }]);
    expect((await recordOf(h, request.id)).decided).toHaveLength(1);
    expect(h.armCalls).toHaveLength(1);
    expect(await approvalRows(request.id)).toEqual(BOTH);
  });
});

describe('an approval counted but not yet on record', () => {
  /**
   * Instance `a` counts ADA's approval and, before its `approval.recorded` entry is appended,
   * GRACE approves on instance `b`; `then` decides what becomes of ADA's entry once `b` has looked
   * at the approvals (its first transaction) or answered.
   */
  function graceApprovesWhileAdasIsRecorded(requestId: string, then: (e: AuditInput) => Promise<unknown>) {
    const b = instance();
    let second: Promise<DecisionResult> | undefined;
    const a = instance({
      audit: {
        append: async (e: AuditInput) => {
          if (e.eventType !== 'approval.recorded' || second) return h.audit.append(e);
          const looked = b.w.nextTransaction();
          second = b.m.approve(requestId, GRACE, 'ok too');
          await Promise.race([looked, second]);
          return then(e);
        },
        list: (f, p) => h.auditLog.list(f, p),
      },
    });
    return { a, b, second: () => second! };
  }

  it('is waited for: the other approval then completes the request (no second "1 of 2")', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    const { a, second } = graceApprovesWhileAdasIsRecorded(request.id, (e) => h.audit.append(e));

    expect(await a.m.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    expect(await second()).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    expect(await recordedEntries(request.id)).toEqual([{ approver: ADA.oid, counted: 1, required: 2 }]);
    expect(await approvedTransitions(request.id)).toEqual([{ approver: GRACE.oid, approvers: BOTH, required: 2 }]);
    expect(h.armCalls).toHaveLength(1);
  });

  it('whose entry cannot be appended is taken back: the waiting approval is then the first of two, truthfully', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    const { a, second } = graceApprovesWhileAdasIsRecorded(request.id, () => Promise.reject(auditDown()));

    expect(await a.m.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(await second()).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    expect(await recordedEntries(request.id)).toEqual([{ approver: GRACE.oid, counted: 1, required: 2 }]);
    expect(await approvalRows(request.id)).toEqual([GRACE.oid]);
    expect(h.armCalls).toHaveLength(0);

    // ADA approves again once the log is back: hers now completes the request.
    expect(await a.m.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    expect(await approvedTransitions(request.id)).toEqual([{ approver: ADA.oid, approvers: BOTH, required: 2 }]);
    expect(h.armCalls).toHaveLength(1);
  });

  it('whose instance stopped before its entry never counts, is not shown, and holds no one up past the grace', async () => {
    const request = await raise(h, privileged, { kind: 'chat' });
    // ADA's instance counted her approval and stopped before appending its entry.
    await h.db.run('INSERT INTO approval_reviews (request_id, approver_oid, approver_upn, approver_tid, kind, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      request.id,
      ADA.oid,
      ADA.upn,
      ADA.tid,
      'consent',
      'ok',
      h.clock.now.toISOString(),
    ]);
    const { m } = instance();
    expect((await m.overview(request.id))?.approvals).toEqual([]);

    h.clock.advance(5 * 60_000); // well past the grace a claim has to get on record
    expect(await m.approve(request.id, GRACE, 'ok too')).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    // ADA may approve again (her stale claim is not "already approved"), and hers completes it.
    expect(await m.approve(request.id, ADA, 'ok')).toMatchObject({ kind: 'executed', request: { state: 'succeeded' } });
    expect(await recordedEntries(request.id)).toEqual([{ approver: GRACE.oid, counted: 1, required: 2 }]);
    expect(await approvedTransitions(request.id)).toEqual([{ approver: ADA.oid, approvers: BOTH, required: 2 }]);
    expect(h.armCalls).toHaveLength(1);
  });
});
