/**
 * Requests as the operations API and the approval flow record them, appended through the real
 * audit log: an elevation executed on behalf of an approver (OBO, token discarded afterwards),
 * a direct execution with the managed identity, a denied, an expired and a forbidden request,
 * and an entry full of hostile agent text; and (appendConsentFlows) consented writes as recorded
 * before migration 011 (the UAMI's principal id as the acting identity) and as since.
 */
import type { Agent } from '../../src/agents/agent-types.ts';
import { decidedEntry, tokenDiscardedEntry, userActor } from '../../src/approvals/approval-audit.ts';
import type { Approver } from '../../src/approvals/approval-types.ts';
import type { AuditLog } from '../../src/audit/audit-log.ts';
import { armRequestEntry, armResponseEntry, managedIdentityOf, requestedEntry, transitionEntry } from '../../src/operations/operation-audit.ts';
import { operationHash } from '../../src/operations/operation-hash.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';

export const AGENT_ID = 'agent-sre-1';
export const MI = `agent:${AGENT_ID}`;
export const APPROVER = { oid: '11111111-2222-4333-8444-555555555555', upn: 'admin@sandbox.test', tid: 'aaaaaaaa-0000-4000-8000-000000000001' };
export const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sre-vms';
export const RESTART = 'Microsoft.Compute/virtualMachines/restart/action';
export const DEALLOCATE = 'Microsoft.Compute/virtualMachines/deallocate/action';
export const OBO_REQUEST = 'req-obo-0001';
export const MI_REQUEST = 'req-mi-0002';
/** The agent's UAMI principal id, as consented writes recorded it before 011. */
export const MI_PRINCIPAL = '9d0c1e2f-3a4b-4c5d-8e6f-708192a3b4c5';
export const LEGACY_CONSENT_REQUEST = 'req-consent-old-6';
export const CONSENT_REQUEST = 'req-consent-new-7';
export const CORRELATION = 'c0ffee00-1111-4222-8333-444455556666';
export const UTI_HASH = 'ab'.repeat(32);
export const HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil")';

const agent = { kind: 'agent' as const, id: AGENT_ID, name: 'sre-agent' };
const system = { kind: 'system' as const, id: 'elevate' };

/** A request as the operations service stores it, for the real audit-entry builders. */
function request(id: string, action: string, state: OperationRequest['state']): OperationRequest {
  const operation = { method: 'POST' as const, path: `${RG}/providers/Microsoft.Compute/virtualMachines/vm-1/deallocate`, apiVersion: '2024-07-01' };
  return {
    id,
    agentId: AGENT_ID,
    idempotencyKey: `key-${id}`,
    state,
    version: 0,
    operation,
    operationHash: operationHash(operation),
    justification: 'disk full on vm-1',
    trigger: { kind: 'incident', ref: 'INC-1', requestedBy: 'oncall@sandbox.test' } as OperationRequest['trigger'],
    decision: {
      outcome: 'pending_elevation',
      reasonCode: 'missing_permission',
      explanation: 'the agent lacks the action',
      action,
      scope: `${RG}/providers/Microsoft.Compute/virtualMachines/vm-1`,
      isWrite: true,
      runMode: 'Review' as OperationRequest['decision']['runMode'],
      missingAction: action,
      wouldBeGrantedBy: [],
    },
    createdAt: '2026-03-01T00:00:00.000Z',
    updatedAt: '2026-03-01T00:00:00.000Z',
  };
}

export async function appendRequestFlows(audit: Pick<AuditLog, 'append'>, approver: Approver = APPROVER): Promise<void> {
  const approverUser = { kind: 'user' as const, id: approver.oid, name: approver.upn };
  const base = { agentId: AGENT_ID, scope: `${RG}/providers/Microsoft.Compute/virtualMachines/vm-1` };

  // Elevation, through the real builders of the operations API and the approval flow: raised,
  // decided by an administrator, executed with their OBO token, token discarded.
  const obo = request(OBO_REQUEST, DEALLOCATE, 'pending_elevation');
  const approverActor = userActor(approver);
  await audit.append(requestedEntry({ id: AGENT_ID, name: 'sre-agent' } as Agent, obo));
  await audit.append(decidedEntry(obo, approver, { kind: 'elevation', reason: 'disk full, approved', approverOids: [approver.oid], required: 1, authTime: 1_772_323_200 }));
  await audit.append(transitionEntry(obo, { from: 'pending_elevation', to: 'approved', event: 'approve' }, approverActor, {}));
  await audit.append(transitionEntry(obo, { from: 'approved', to: 'executing', event: 'start' }, approverActor, { actingIdentity: approver.oid }));
  await audit.append(armRequestEntry(obo, approverActor, approver.oid, CORRELATION));
  await audit.append(armResponseEntry(obo, approverActor, approver.oid, { status: 202, correlationId: CORRELATION, longRunning: true }));
  await audit.append(
    tokenDiscardedEntry(obo, approver, { utiSha256: UTI_HASH, tokenExpiresAt: '2026-03-01T01:00:00.000Z', discardedAt: '2026-03-01T00:05:00.000Z', armCorrelationId: CORRELATION, armStatus: 202, requestState: 'executing', used: true }),
  );
  await audit.append(transitionEntry(obo, { from: 'executing', to: 'succeeded', event: 'succeed' }, system, { actingIdentity: approver.oid }));

  // A direct execution with the agent's managed identity.
  const mi = { ...base, requestId: MI_REQUEST, subject: MI_REQUEST, action: RESTART };
  await audit.append({ ...mi, actor: agent, eventType: 'operation.requested', outcome: 'execute', details: { state: 'approved' } });
  await audit.append({ ...mi, actor: system, eventType: 'operation.transition', outcome: 'executing', actingIdentity: MI, details: { from: 'approved', to: 'executing', event: 'start' } });
  await audit.append({ ...mi, actor: system, eventType: 'arm.request', outcome: 'sent', actingIdentity: MI, details: { correlationId: 'mi-corr-1' } });
  await audit.append({ ...mi, actor: system, eventType: 'operation.transition', outcome: 'succeeded', actingIdentity: MI, details: { from: 'executing', to: 'succeeded', event: 'succeed' } });

  // Denied, expired, forbidden.
  await audit.append({ ...base, requestId: 'req-denied-3', action: DEALLOCATE, actor: agent, eventType: 'operation.requested', outcome: 'pending_elevation', details: {} });
  await audit.append({ ...base, requestId: 'req-denied-3', action: DEALLOCATE, actor: approverUser, approverId: approver.oid, eventType: 'operation.transition', outcome: 'denied', details: { from: 'pending_elevation', to: 'denied', event: 'deny' } });
  await audit.append({ ...base, requestId: 'req-expired-4', action: RESTART, actor: agent, eventType: 'operation.requested', outcome: 'pending_elevation', details: {} });
  await audit.append({ ...base, requestId: 'req-expired-4', action: RESTART, actor: system, eventType: 'operation.transition', outcome: 'expired', details: { from: 'pending_elevation', to: 'expired', event: 'expire' } });
  await audit.append({ ...base, action: 'Microsoft.Authorization/roleAssignments/write', actor: agent, eventType: 'operation.forbidden', outcome: 'forbidden', details: { decision: { guardrail: { rule: 'no-authorization-writes' } } } });

  // Agent text is hostile: it must come out escaped everywhere.
  await audit.append({ ...base, requestId: 'req-hostile-5', action: HOSTILE, actor: { kind: 'agent', id: AGENT_ID, name: HOSTILE }, eventType: 'operation.requested', outcome: 'pending_elevation', details: { justification: HOSTILE } });
}

/**
 * Consented writes, run with the agent's managed identity after an administrator approved:
 * recorded before 011 with the UAMI's principal id, and since with `agent:<id>`.
 */
export async function appendConsentFlows(audit: Pick<AuditLog, 'append'>, approver: Approver = APPROVER): Promise<void> {
  for (const [id, acting] of [
    [LEGACY_CONSENT_REQUEST, MI_PRINCIPAL],
    [CONSENT_REQUEST, managedIdentityOf({ id: AGENT_ID })],
  ] as const) {
    const consent = request(id, RESTART, 'pending_consent');
    await audit.append(transitionEntry(consent, { from: 'pending_consent', to: 'approved', event: 'approve' }, userActor(approver), {}));
    await audit.append(transitionEntry(consent, { from: 'approved', to: 'executing', event: 'start' }, userActor(approver), { actingIdentity: acting }));
    await audit.append(armRequestEntry(consent, userActor(approver), acting, `corr-${id}`));
    await audit.append(transitionEntry(consent, { from: 'executing', to: 'succeeded', event: 'succeed' }, userActor(approver), { actingIdentity: acting }));
  }
}
