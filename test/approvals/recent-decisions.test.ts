import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRecentDecisions } from '../../src/approvals/recent-decisions.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from '../operations/support/operation-fixtures.ts';
import { createHarness, type Harness } from '../operations/support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const approver = { kind: 'user' as const, id: 'admin-oid-1', name: 'Admin One' };
const restart = (key: string) => ({ method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'restart', trigger: { kind: 'chat' }, idempotencyKey: key });

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

async function pending(key: string) {
  const r = await h.module.service.submit(agent, restart(key));
  if (!r.ok) throw new Error(r.error.message);
  expect(r.value.state).toBe('pending_consent');
  return r.value;
}

describe('recent decisions for the start page', () => {
  it('lists requests that waited for a person and no longer do, most recently changed first; not pending ones, not ones that never waited', async () => {
    const recent = createRecentDecisions(h.db, h.module.store);
    const stillPending = await pending('p-1');
    const denied = await pending('d-1');
    const approved = await pending('a-1');
    expect(await recent.list()).toEqual([]);
    h.clock.advance(1000);
    expect((await h.module.lifecycle.deny(denied.id, approver, { reason: 'no' })).ok).toBe(true);
    h.clock.advance(1000);
    expect((await h.module.lifecycle.approve(approved.id, approver, { reason: 'yes' })).ok).toBe(true);
    const listed = await recent.list();
    expect(listed.map((r) => r.id)).toEqual([approved.id, denied.id]);
    expect(listed.map((r) => r.id)).not.toContain(stillPending.id);
    expect((await recent.list(1)).map((r) => r.id)).toEqual([approved.id]);
  });
});
