/**
 * Requests as the operations API and the approval flow record them, appended through the real
 * audit log: an elevation executed on behalf of an approver (OBO, token discarded afterwards),
 * a direct execution with the managed identity, a denied, an expired and a forbidden request,
 * and an entry full of hostile agent text.
 */
import type { AuditLog } from '../../src/audit/audit-log.ts';

export const AGENT_ID = 'agent-sre-1';
export const MI = `agent:${AGENT_ID}`;
export const APPROVER = { oid: '11111111-2222-4333-8444-555555555555', upn: 'admin@sandbox.test', tid: 'aaaaaaaa-0000-4000-8000-000000000001' };
export const RG = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-sre-vms';
export const RESTART = 'Microsoft.Compute/virtualMachines/restart/action';
export const DEALLOCATE = 'Microsoft.Compute/virtualMachines/deallocate/action';
export const OBO_REQUEST = 'req-obo-0001';
export const MI_REQUEST = 'req-mi-0002';
export const CORRELATION = 'c0ffee00-1111-4222-8333-444455556666';
export const HOSTILE = '<script>alert("x")</script>=HYPERLINK("http://evil")';

const agent = { kind: 'agent' as const, id: AGENT_ID, name: 'sre-agent' };
const approverActor = { kind: 'user' as const, id: APPROVER.oid, name: APPROVER.upn };
const system = { kind: 'system' as const, id: 'elevate' };

export async function appendRequestFlows(audit: Pick<AuditLog, 'append'>): Promise<void> {
  const base = { agentId: AGENT_ID, scope: `${RG}/providers/Microsoft.Compute/virtualMachines/vm-1` };

  // Elevation: raised, approved by an administrator, executed with their OBO token, token discarded.
  const obo = { ...base, requestId: OBO_REQUEST, subject: OBO_REQUEST, action: DEALLOCATE };
  await audit.append({ ...obo, actor: agent, eventType: 'operation.requested', outcome: 'pending_elevation', details: { justification: 'disk full on vm-1', state: 'pending_elevation' } });
  await audit.append({ ...obo, actor: approverActor, eventType: 'approval.granted', outcome: 'approved', approverId: APPROVER.oid, details: { approver: { oid: APPROVER.oid, upn: APPROVER.upn, tid: APPROVER.tid } } });
  await audit.append({ ...obo, actor: approverActor, eventType: 'operation.transition', outcome: 'approved', approverId: APPROVER.oid, details: { from: 'pending_elevation', to: 'approved', event: 'approve' } });
  await audit.append({ ...obo, actor: approverActor, eventType: 'operation.transition', outcome: 'executing', actingIdentity: APPROVER.oid, details: { from: 'approved', to: 'executing', event: 'start' } });
  await audit.append({ ...obo, actor: approverActor, eventType: 'arm.request', outcome: 'sent', actingIdentity: APPROVER.oid, details: { correlationId: CORRELATION, operation: { method: 'POST' } } });
  await audit.append({ ...obo, actor: approverActor, eventType: 'arm.response', outcome: '202', actingIdentity: APPROVER.oid, details: { status: 202, correlationId: CORRELATION, longRunning: true } });
  await audit.append({
    ...obo,
    actor: system,
    eventType: 'token.discarded',
    outcome: 'discarded',
    approverId: APPROVER.oid,
    actingIdentity: APPROVER.oid,
    details: { approver: { oid: APPROVER.oid, upn: APPROVER.upn, tid: APPROVER.tid }, utiHash: 'ab'.repeat(32), armCorrelationId: CORRELATION },
  });
  await audit.append({ ...obo, actor: system, eventType: 'operation.transition', outcome: 'succeeded', actingIdentity: APPROVER.oid, details: { from: 'executing', to: 'succeeded', event: 'succeed' } });

  // A direct execution with the agent's managed identity.
  const mi = { ...base, requestId: MI_REQUEST, subject: MI_REQUEST, action: RESTART };
  await audit.append({ ...mi, actor: agent, eventType: 'operation.requested', outcome: 'execute', details: { state: 'approved' } });
  await audit.append({ ...mi, actor: system, eventType: 'operation.transition', outcome: 'executing', actingIdentity: MI, details: { from: 'approved', to: 'executing', event: 'start' } });
  await audit.append({ ...mi, actor: system, eventType: 'arm.request', outcome: 'sent', actingIdentity: MI, details: { correlationId: 'mi-corr-1' } });
  await audit.append({ ...mi, actor: system, eventType: 'operation.transition', outcome: 'succeeded', actingIdentity: MI, details: { from: 'executing', to: 'succeeded', event: 'succeed' } });

  // Denied, expired, forbidden.
  await audit.append({ ...base, requestId: 'req-denied-3', action: DEALLOCATE, actor: agent, eventType: 'operation.requested', outcome: 'pending_elevation', details: {} });
  await audit.append({ ...base, requestId: 'req-denied-3', action: DEALLOCATE, actor: approverActor, approverId: APPROVER.oid, eventType: 'operation.transition', outcome: 'denied', details: { from: 'pending_elevation', to: 'denied', event: 'deny' } });
  await audit.append({ ...base, requestId: 'req-expired-4', action: RESTART, actor: agent, eventType: 'operation.requested', outcome: 'pending_elevation', details: {} });
  await audit.append({ ...base, requestId: 'req-expired-4', action: RESTART, actor: system, eventType: 'operation.transition', outcome: 'expired', details: { from: 'pending_elevation', to: 'expired', event: 'expire' } });
  await audit.append({ ...base, action: 'Microsoft.Authorization/roleAssignments/write', actor: agent, eventType: 'operation.forbidden', outcome: 'forbidden', details: { decision: { guardrail: { rule: 'no-authorization-writes' } } } });

  // Agent text is hostile: it must come out escaped everywhere.
  await audit.append({ ...base, requestId: 'req-hostile-5', action: HOSTILE, actor: { kind: 'agent', id: AGENT_ID, name: HOSTILE }, eventType: 'operation.requested', outcome: 'pending_elevation', details: { justification: HOSTILE } });
}
