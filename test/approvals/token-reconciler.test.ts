/**
 * The token reconciler with several instances on one database (issue 16): a one-time token row
 * made by another instance that is still alive may be a token that instance holds right now, and
 * gets no `token.discarded` entry; one left by a dead instance, or by a process before migration
 * 018, is settled as before (reason `process_end`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOneTimeTokenRecords } from '../../src/approvals/one-time-token-records.ts';
import { reconcileTokens } from '../../src/approvals/token-reconciler.ts';
import { makeAgent, PRIVILEGED_PRINCIPAL, RESTART } from '../operations/support/operation-fixtures.ts';
import { auditEntries, createHarness, type Harness } from '../operations/support/operations-harness.ts';

const agent = makeAgent({ id: 'agent-priv', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });
const approver = { oid: '00000000-0000-0000-0000-0000000000aa', upn: 'ada@contoso.test', tid: '00000000-0000-0000-0000-0000000000bb' };
const liveness = { id: 'me', isAlive: async (other: string) => other === 'me' || other === 'other-live' };

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ agents: [agent] });
});
afterEach(async () => {
  await h.close();
});

describe('token reconciler with several instances', () => {
  it("leaves a live instance's token alone, and records as discarded a dead instance's and an unowned one", async () => {
    const r = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'j', trigger: { kind: 'chat' }, idempotencyKey: 'tok-1' });
    if (!r.ok) throw new Error('submit');
    const at = new Date().toISOString();
    const live = await createOneTimeTokenRecords(h.db, { instanceId: 'other-live' }).begin(r.value.id, approver, at);
    const dead = await createOneTimeTokenRecords(h.db, { instanceId: 'other-dead' }).begin(r.value.id, approver, at);
    const unowned = await createOneTimeTokenRecords(h.db).begin(r.value.id, approver, at);

    const records = createOneTimeTokenRecords(h.db, { instanceId: 'me' });
    const settled = await reconcileTokens({ records, requests: h.module.store, audit: h.auditLog, clock: () => new Date(), liveness });
    expect(settled).toBe(2);
    const discarded = async (id: string) => (await h.db.get<{ discard_reason: string | null }>('SELECT discard_reason FROM one_time_tokens WHERE id = ?', [id]))!.discard_reason;
    expect(await discarded(live)).toBeNull();
    expect(await discarded(dead)).toBe('process_end');
    expect(await discarded(unowned)).toBe('process_end');
    expect(await auditEntries(h, { requestId: r.value.id, eventType: 'token.discarded' })).toHaveLength(2);
  });

  it("writes this instance's id on each row it begins", async () => {
    const r = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'j', trigger: { kind: 'chat' }, idempotencyKey: 'tok-2' });
    if (!r.ok) throw new Error('submit');
    const id = await createOneTimeTokenRecords(h.db, { instanceId: 'me' }).begin(r.value.id, approver, new Date().toISOString());
    expect((await h.db.get<{ instance_id: string }>('SELECT instance_id FROM one_time_tokens WHERE id = ?', [id]))!.instance_id).toBe('me');
  });

  it("leaves alone the token of an instance that only looks gone while the execution it runs with it is leased, and settles it once the lease has run out", async () => {
    const judgesOthersGone = { id: 'me', isAlive: async (other: string) => other === 'me' };
    const records = createOneTimeTokenRecords(h.db, { instanceId: 'me' });
    const pass = () => reconcileTokens({ records, requests: h.module.store, audit: h.auditLog, clock: () => new Date(), liveness: judgesOthersGone });
    /** A token `instanceId` exchanged and an elevation it started with it, leased for `leaseMs`. */
    async function runningWithToken(key: string, leaseMs: number): Promise<string> {
      const r = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'j', trigger: { kind: 'chat' }, idempotencyKey: key });
      if (!r.ok) throw new Error('submit');
      const token = await createOneTimeTokenRecords(h.db, { instanceId: 'other-blinking' }).begin(r.value.id, approver, new Date().toISOString());
      expect((await h.module.lifecycle.approve(r.value.id, { kind: 'user', id: approver.oid, name: approver.upn })).ok).toBe(true);
      const execution = { requestId: r.value.id, actingIdentity: approver.oid, operationHash: r.value.operationHash, startedAt: new Date().toISOString(), correlationId: `corr-${key}`, credentialKind: 'obo' as const, instanceId: 'other-blinking', leaseMs };
      expect((await h.module.lifecycle.applyById(r.value.id, { event: 'start', actor: { kind: 'user', id: approver.oid, name: approver.upn }, actingIdentity: approver.oid, execution })).ok).toBe(true);
      return token;
    }
    const held = await runningWithToken('tok-3', 60_000);
    const expiring = await runningWithToken('tok-4', 50);
    const discarded = async (id: string) => (await h.db.get<{ discard_reason: string | null }>('SELECT discard_reason FROM one_time_tokens WHERE id = ?', [id]))!.discard_reason;
    await expect.poll(async () => (await pass(), await discarded(expiring)), { timeout: 5000, interval: 50 }).toBe('process_end');
    expect(await discarded(held)).toBeNull();
    expect(await pass()).toBe(0);
    expect(await discarded(held)).toBeNull();
  });

  it('with several instances, leaves alone a token begun less than a lease ago: it may be between its exchange and its execution', async () => {
    const judgesOthersGone = { id: 'me', isAlive: async (other: string) => other === 'me' };
    const r = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'j', trigger: { kind: 'chat' }, idempotencyKey: 'tok-5' });
    if (!r.ok) throw new Error('submit');
    const other = createOneTimeTokenRecords(h.db, { instanceId: 'other-blinking' });
    const now = Date.now();
    const fresh = await other.begin(r.value.id, approver, new Date(now - 5_000).toISOString());
    const old = await other.begin(r.value.id, approver, new Date(now - 120_000).toISOString());
    const records = createOneTimeTokenRecords(h.db, { instanceId: 'me' });
    expect(await reconcileTokens({ records, requests: h.module.store, audit: h.auditLog, clock: () => new Date(now), liveness: judgesOthersGone, recentMs: 30_000 })).toBe(1);
    const discarded = async (id: string) => (await h.db.get<{ discard_reason: string | null }>('SELECT discard_reason FROM one_time_tokens WHERE id = ?', [id]))!.discard_reason;
    expect(await discarded(old)).toBe('process_end');
    expect(await discarded(fresh)).toBeNull();
    // A lease later it is settled as any other.
    expect(await reconcileTokens({ records, requests: h.module.store, audit: h.auditLog, clock: () => new Date(now + 30_000), liveness: judgesOthersGone, recentMs: 30_000 })).toBe(1);
    expect(await discarded(fresh)).toBe('process_end');
  });
});
