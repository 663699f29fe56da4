/**
 * Issue 11, item 3: the run-time check compared the operation with a hash stored in the same
 * row, so changing body and hash together in the database ran the changed body. Now the check
 * is against the hash-chained `operation.requested` audit entry: execution is refused (fail
 * closed, audited) and ARM never sees the tampered body.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { operationHash } from '../../src/operations/operation-hash.ts';
import type { ArmOperation } from '../../src/operations/operation-types.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from './support/operation-fixtures.ts';
import { auditEntries, createHarness, type Harness } from './support/operations-harness.ts';

const privileged = makeAgent({ id: 'agent-priv', name: 'sre-agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'revision stuck', trigger: { kind: 'chat' }, idempotencyKey: key });
const APPROVER = { kind: 'user' as const, id: 'approver-oid', name: 'ada.admin@contoso-sre.onmicrosoft.com' };
const EVIL_PATH = RESTART.replace('app-frontend--rev1', 'app-payments--rev9');
const EVIL_BODY = { properties: { template: { containers: [{ image: 'evil.example/miner:latest' }] } } };

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
  h.setArm(() => ({ status: 200, body: {} }));
});
afterEach(async () => {
  await h.close();
});

async function pending(key: string) {
  const r = await h.module.service.submit(privileged, restart(key));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  expect(r.value.state).toBe('pending_consent');
  return r.value;
}

/** What an attacker with the database file does: body and hash changed together. */
async function tamper(id: string, op: ArmOperation) {
  await h.db.run('UPDATE operation_requests SET path = ?, body_json = ?, operation_hash = ? WHERE id = ?', [
    op.path,
    op.body === undefined ? null : JSON.stringify(op.body),
    operationHash(op),
    id,
  ]);
}

async function expectRefused(id: string) {
  const outcome = await h.module.executor.executeRequest(id, h.credential, privileged.uamiPrincipalId, { actor: APPROVER });
  expect(outcome.ok).toBe(true);
  const request = outcome.ok ? outcome.request : undefined;
  expect(request?.state).toBe('failed');
  expect(request?.error?.code).toBe('operation_mismatch');
  // ARM never saw anything, let alone the tampered body.
  expect(h.armCalls).toEqual([]);
  const events = (await auditEntries(h, { requestId: id })).map((e) => [e.eventType, e.outcome]);
  expect(events).not.toContainEqual(['arm.request', 'sent']);
  const failed = (await auditEntries(h, { requestId: id, outcome: 'failed' }))[0];
  expect(failed?.details).toMatchObject({ error: { code: 'operation_mismatch' } });
}

describe('tampered operation (issue 11.3)', () => {
  it('refuses a body and hash changed together while the request was pending, then approved', async () => {
    const req = await pending('t-1');
    await tamper(req.id, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', body: EVIL_BODY });
    expect((await h.module.lifecycle.approve(req.id, APPROVER)).ok).toBe(true);
    await expectRefused(req.id);
  });

  it('refuses a path and hash changed together after approval', async () => {
    const req = await pending('t-2');
    expect((await h.module.lifecycle.approve(req.id, APPROVER)).ok).toBe(true);
    await tamper(req.id, { method: 'POST', path: EVIL_PATH, apiVersion: '2024-03-01' });
    await expectRefused(req.id);
  });

  it('refuses a request row injected without its operation.requested audit entry', async () => {
    const req = await pending('t-3');
    // A copy of a real request under a new id: same content, matching hash, but nothing in the chain.
    await h.db.run(
      `INSERT INTO operation_requests SELECT 'injected-1', agent_id, 'injected-key', submission_hash, operation_hash, method, path, api_version, body_json,
         justification, trigger_kind, trigger_ref, trigger_requested_by, action, scope, run_mode, outcome, decision_json, 'approved', 0, created_at,
         updated_at, expires_at, acting_identity, state_reason, arm_status, arm_correlation_id, arm_request_id, arm_async_status, arm_body_json,
         error_code, error_message, redecision_json, query_json FROM operation_requests WHERE id = ?`,
      [req.id],
    );
    const outcome = await h.module.executor.executeRequest('injected-1', h.credential, privileged.uamiPrincipalId, { actor: APPROVER });
    expect(outcome.ok && outcome.request.state).toBe('failed');
    expect(outcome.ok && outcome.request.error?.code).toBe('requested_entry_invalid');
    expect(h.armCalls).toEqual([]);
  });

  it('still runs an untouched request (the check reads the chain, it does not refuse everything)', async () => {
    const req = await pending('t-4');
    expect((await h.module.lifecycle.approve(req.id, APPROVER)).ok).toBe(true);
    const outcome = await h.module.executor.executeRequest(req.id, h.credential, privileged.uamiPrincipalId, { actor: APPROVER });
    expect(outcome.ok && outcome.request.state).toBe('succeeded');
    expect(h.armCalls).toHaveLength(1);
    expect(h.armCalls[0]).toMatchObject({ method: 'POST', path: RESTART });
  });
});
