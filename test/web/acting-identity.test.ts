/**
 * Whose permissions ran, end to end against a private sandbox: a direct execution and a
 * consented write run with the agent's managed identity, an elevation with the approver's own
 * token (OBO). The request, the audit record, the timeline, the overview and the acting-identity
 * search must all say so (issue 12: managed-identity work was recorded and counted as OBO).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditQuery } from '../../src/audit/audit-query.ts';
import { createOverviewSource } from '../../src/audit/audit-overview-source.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import { timelineRows, timelineSummary } from '../../src/web/pages/audit-view-models.ts';
import { startApprovalHarness, type ApprovalHarness } from '../approvals/support/approval-harness.ts';
import { approveElevation, postDecision, restartCheckout, restartPayments } from '../approvals/support/approval-steps.ts';

let h: ApprovalHarness;
let direct: OperationRequest;
let consent: OperationRequest;
let elevation: OperationRequest;

beforeAll(async () => {
  h = await startApprovalHarness();
  // Autonomous (incident trigger) and held by the privileged identity: runs at once with it.
  direct = await h.submit(h.privilegedAgent, restartPayments(h, { trigger: { kind: 'incident', ref: 'INC-7', requestedBy: 'oncall@contoso.example' } }));
  const admin = await h.signedIn('admin');
  const raisedConsent = await h.submit(h.privilegedAgent, restartPayments(h));
  expect((await postDecision(admin, h, raisedConsent.id, 'approve', 'consented')).status).toBe(303);
  consent = await h.agentGet(h.privilegedAgent, raisedConsent.id);
  const raisedElevation = await h.submit(h.readerAgent, restartCheckout(h));
  expect((await approveElevation(admin, h, raisedElevation.id, 'admin', 'elevated')).callback.status).toBe(303);
  elevation = await h.agentGet(h.readerAgent, raisedElevation.id);
}, 120_000);

afterAll(async () => {
  await h?.close();
});

const managedIdentity = () => `agent:${h.privilegedAgent.id}`;

describe('acting identity: one run with both kinds', { timeout: 60_000 }, () => {
  it('records the agent, not its UAMI principal id, when the agent’s own identity ran', async () => {
    expect(direct).toMatchObject({ state: 'succeeded', actingIdentity: managedIdentity() });
    expect(consent).toMatchObject({ state: 'succeeded', actingIdentity: managedIdentity() });
    expect(elevation).toMatchObject({ state: 'succeeded', actingIdentity: h.user('admin').oid });
    for (const r of [direct, consent]) {
      const entries = (await h.audit.list({ requestId: r.id }, { limit: 100 })).entries.filter((e) => e.actingIdentity !== null);
      expect(entries.length).toBeGreaterThanOrEqual(3); // executing, arm.request, succeeded
      for (const e of entries) expect(e.actingIdentity).toBe(managedIdentity());
      const row = await h.db.get<{ acting_identity: string }>('SELECT acting_identity FROM executions WHERE request_id = ?', [r.id]);
      expect(row?.acting_identity).toBe(managedIdentity());
    }
  });

  it('tells the timeline the truth: managed identity and no token for the consent, OBO and a discarded token for the elevation', async () => {
    const query = createAuditQuery(h.db);
    const consentSummary = timelineSummary(timelineRows((await query.timeline(consent.id)).entries));
    expect(consentSummary.executedAs).toEqual({ kind: 'managed identity', id: managedIdentity() });
    expect(consentSummary.tokenDiscarded).toBe(false);
    const elevationSummary = timelineSummary(timelineRows((await query.timeline(elevation.id)).entries));
    expect(elevationSummary.executedAs).toEqual({ kind: 'OBO', id: h.user('admin').oid });
    expect(elevationSummary.tokenDiscarded).toBe(true);
  });

  it('counts two executions with the managed identity and one with OBO in the overview', async () => {
    const overview = await createOverviewSource(h.db, { cacheMs: 0 }).overview(2);
    expect(overview.totals['executed-mi']).toBe(2);
    expect(overview.totals['executed-obo']).toBe(1);
  });

  it('finds the managed identity’s work by agent:<id> and the approver’s by their object id', async () => {
    const query = createAuditQuery(h.db);
    const requestsFor = async (actingIdentity: string) => {
      const ids = new Set<string | null>();
      for await (const e of query.stream({ actingIdentity })) ids.add(e.requestId);
      return ids;
    };
    expect(await requestsFor(managedIdentity())).toEqual(new Set([direct.id, consent.id]));
    expect(await requestsFor(h.user('admin').oid)).toEqual(new Set([elevation.id]));
    expect(await requestsFor(h.privilegedAgent.uamiPrincipalId)).toEqual(new Set());
  });
});
