/**
 * The approval use cases over the real operations lifecycle, store and executor (ARM faked by the
 * operations harness) and a stub on-behalf-of exchange: the order of audit, exchange, approval and
 * execution; the one-time credential live only during the execution; Entra's refusals; consent
 * and deny. No network.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TokenCredential } from '@azure/core-auth';
import { createApprovalsModule, type ApprovalsModule } from '../../src/approvals/approvals-module.ts';
import { MAX_SIGN_IN_ROUNDS, type ElevationSignIn } from '../../src/approvals/elevation-approval.ts';
import { PERSONAL_ACCOUNT_TENANT_ID } from '../../src/approvals/approver-eligibility.ts';
import type { AuditInput } from '../../src/audit/audit-types.ts';
import { OboExchangeError } from '../../src/azure/obo-error.ts';
import type { OboExchangeResult } from '../../src/azure/obo-exchange.ts';
import type { OperationRequest } from '../../src/operations/operation-types.ts';
import type { SessionUser } from '../../src/sessions/session-data.ts';
import { makeAgent, policiesWithRunModes, PRIVILEGED_PRINCIPAL, RESTART } from '../operations/support/operation-fixtures.ts';
import { auditEntries, createHarness, DEFAULT_RUN_MODES, type Harness } from '../operations/support/operations-harness.ts';
import { fakeJwt } from '../support/fake-jwt.ts';

const TENANT = '9f000000-0000-4000-8000-000000000001';
/** The operations harness's clock starts here (epoch seconds). */
const HARNESS_NOW = Date.parse('2025-06-01T10:00:00.000Z') / 1000;
const ARM_TOKEN = fakeJwt({ uti: 'uti-1' }, 'sig-sig-sig-sig-sig-sig-sig-sig');
const API_TOKEN = fakeJwt({ aud: 'elevate' }, 'api-token-signature-api-token-sig');

const user = (oid: string, x: Partial<SessionUser> = {}): SessionUser => ({
  oid,
  tid: TENANT,
  upn: `${oid.slice(0, 4)}@contoso.example`,
  name: oid,
  roles: ['administrator'],
  authTime: HARNESS_NOW - 5,
  signedInAt: HARNESS_NOW - 5,
  ...x,
});
const ADA = user('0a0a0a0a-0000-4000-8000-00000000000a');
const GRACE = user('0b0b0b0b-0000-4000-8000-00000000000b');

let h: Harness;
let m: ApprovalsModule;
let events: string[];
let failAudit: ((e: AuditInput) => boolean) | undefined;
let exchange: (assertion: string) => Promise<OboExchangeResult>;
let credentialSeen: TokenCredential | undefined;
let tokenDuringExecution: string | undefined;
/** The audit trail as it stood when the exchange was called. */
let exchangedAfter: string[] = [];
const reader = makeAgent();
const privileged = makeAgent({ id: 'agent-privileged', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });

beforeEach(async () => {
  h = await createHarness();
  events = [];
  failAudit = undefined;
  credentialSeen = undefined;
  tokenDuringExecution = undefined;
  exchange = async (assertion) => {
    events.push(`exchange:${assertion === API_TOKEN ? 'api-token' : 'other'}`);
    exchangedAfter = (await auditEntries(h)).map((e) => (e.eventType === 'operation.transition' ? `${e.eventType}:${e.outcome}` : e.eventType));
    return { accessToken: ARM_TOKEN, expiresOn: new Date(Date.now() + 3600_000), uti: 'uti-1', scopes: ['https://management.azure.com/user_impersonation'] };
  };
  h.setAuditFailing((e) => {
    events.push(`audit:${e.eventType}${e.eventType === 'operation.transition' ? `:${e.outcome}` : ''}`);
    return failAudit?.(e) ?? false;
  });
  m = createApprovalsModule({
    db: h.db,
    operations: {
      store: h.module.store,
      lifecycle: h.module.lifecycle,
      executor: {
        async executeRequest(id, credential, acting, options) {
          credentialSeen = credential;
          tokenDuringExecution = (await credential.getToken('https://management.azure.com/.default'))?.token;
          events.push(`execute:${acting}`);
          return h.module.executor.executeRequest(id, credential, acting, options);
        },
      },
    },
    agents: { get: async (id) => [reader, privileged].find((a) => a.id === id) },
    agentCredential: () => h.credential,
    // The harness's sink, which the lifecycle and executor append through too (the decision is
    // recorded with the approve transition): `events` and `failAudit` see every entry.
    audit: { append: (e) => h.audit.append(e), list: (f, p) => h.auditLog.list(f, p) },
    policies: policiesWithRunModes(DEFAULT_RUN_MODES),
    tenantId: TENANT,
    freshAuthSeconds: 300,
    exchange: (a) => exchange(a),
    adminConsentUrl: 'https://login.example/tenant/adminconsent?client_id=x',
    executionWaitMs: 2000,
    clock: () => h.clock.now,
  });
});

afterEach(async () => {
  await h.close();
});

async function raise(agent = reader, trigger: Record<string, string> = { kind: 'incident' }): Promise<OperationRequest> {
  const res = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'revision unhealthy', trigger, idempotencyKey: crypto.randomUUID() });
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  return res.value;
}

const signInFor = (u: SessionUser, requestId: string, x: Partial<ElevationSignIn> = {}): ElevationSignIn => ({
  user: u,
  boundTo: { kind: 'approval', requestId },
  promptedLogin: true,
  authenticatedDuringFlow: true,
  authenticatedAt: u.authTime,
  authenticationSource: 'auth_time',
  apiToken: { oid: u.oid, tid: u.tid, reveal: () => API_TOKEN },
  ...x,
});

describe('elevation', () => {
  it('audits the decision, then exchanges, approves, executes with a credential that dies right after, and audits the discard', async () => {
    const request = await raise();
    expect(request.state).toBe('pending_elevation');
    const begin = await m.approve(request.id, ADA, 'restart it');
    expect(begin).toMatchObject({ kind: 'sign_in', options: { prompt: 'login', apiScope: true, loginHint: ADA.upn, boundTo: { kind: 'approval', requestId: request.id } } });
    // no max_age: openid-client would then require auth_time, an optional claim in Entra
    expect(begin.kind === 'sign_in' && begin.options.maxAge).toBeUndefined();
    events = [];
    const done = await m.completeElevation(signInFor(ADA, request.id));
    expect(done).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: ADA.oid } });
    expect(events).toEqual([
      'audit:approval.obo.started',
      'exchange:api-token',
      // recorded by the approval that won the approve transition, before its transition entry
      'audit:approval.decided',
      'audit:operation.transition:approved',
      `execute:${ADA.oid}`,
      'audit:operation.transition:executing',
      'audit:arm.request',
      'audit:operation.transition:succeeded',
      'audit:token.discarded',
    ]);
    // When the token was asked for, the exchange was on record; no decision was claimed and nothing approved yet (issue 11.7).
    expect(exchangedAfter.at(-1)).toBe('approval.obo.started');
    expect(exchangedAfter).not.toContain('approval.decided');
    expect(exchangedAfter).not.toContain('operation.transition:approved');
    const trail = (await auditEntries(h, { requestId: request.id })).map((e) => (e.eventType === 'operation.transition' ? `${e.eventType}:${e.outcome}` : e.eventType));
    expect(trail.slice(trail.indexOf('approval.obo.started'))).toEqual([
      'approval.obo.started',
      'approval.decided',
      'operation.transition:approved',
      'operation.transition:executing',
      'arm.request',
      'operation.transition:succeeded',
      'token.discarded',
    ]);
    expect(tokenDuringExecution).toBe(ARM_TOKEN);
    await expect(credentialSeen!.getToken('x')).rejects.toThrow(/discarded/);
    expect(h.armCalls).toHaveLength(1);
    const entries = await auditEntries(h, { requestId: request.id });
    const discarded = entries.find((e) => e.eventType === 'token.discarded')!;
    expect(discarded.details.tokenUtiSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(discarded.details.tokenUtiSha256).toBe(createHash('sha256').update('uti-1').digest('hex'));
    expect(JSON.stringify(entries)).not.toContain(ARM_TOKEN.split('.')[2]);
    expect(JSON.stringify(entries)).not.toContain(API_TOKEN.split('.')[2]);
  });

  it('discards the token and records it even when the execution throws', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    h.setArm(() => {
      throw new Error('socket hang up');
    });
    const out = await m.completeElevation(signInFor(ADA, request.id));
    expect(out.kind).toBe('executed');
    expect(out.kind === 'executed' && out.request.state).toBe('failed');
    await expect(credentialSeen!.getToken('x')).rejects.toThrow(/discarded/);
    expect(events.at(-1)).toBe('audit:token.discarded');
  });

  it('asks for the API token only for the approval that completes the request', async () => {
    const policies = policiesWithRunModes(DEFAULT_RUN_MODES);
    const two = createApprovalsModule({
      db: h.db,
      operations: h.module,
      agents: { get: async () => reader },
      agentCredential: () => h.credential,
      audit: h.auditLog,
      policies: { ...policies, approvals: { ...policies.approvals, elevation: { requesterMayApprove: false, approversRequired: 2 } } },
      tenantId: TENANT,
      freshAuthSeconds: 300,
      exchange: (a) => exchange(a),
      clock: () => h.clock.now,
    });
    const request = await raise();
    expect(await two.approve(request.id, ADA, 'first')).toMatchObject({ kind: 'sign_in', options: { apiScope: false } });
    expect(await two.completeElevation(signInFor(ADA, request.id, { apiToken: undefined }))).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    expect(await two.approve(request.id, GRACE, 'second')).toMatchObject({ kind: 'sign_in', options: { apiScope: true } });
    expect(await two.completeElevation(signInFor(GRACE, request.id))).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: GRACE.oid } });
  });

  it('tells the notification outbox of an approval that still needs another, once it is on record', async () => {
    const policies = policiesWithRunModes(DEFAULT_RUN_MODES);
    const changes: Array<{ kind: string; counted?: number; required?: number; approverUpn?: string; onRecord: boolean }> = [];
    const two = createApprovalsModule({
      db: h.db,
      operations: h.module,
      agents: { get: async () => reader },
      agentCredential: () => h.credential,
      audit: h.auditLog,
      policies: { ...policies, approvals: { ...policies.approvals, elevation: { requesterMayApprove: false, approversRequired: 2 } } },
      tenantId: TENANT,
      freshAuthSeconds: 300,
      exchange: (a) => exchange(a),
      clock: () => h.clock.now,
      outbox: {
        async record(tx, change) {
          // Its row is written and its entry appended already: a claim taken back is never announced.
          const row = await tx.get<{ n: number }>('SELECT COUNT(*) AS n FROM approval_reviews WHERE request_id = ?', [change.request.id]);
          const entry = await tx.get<{ n: number }>("SELECT COUNT(*) AS n FROM audit_log WHERE request_id = ? AND event_type = 'approval.recorded'", [change.request.id]);
          const onRecord = Number(row?.n) === 1 && Number(entry?.n) === 1;
          changes.push(change.kind === 'approval' ? { kind: change.kind, counted: change.counted, required: change.required, approverUpn: change.approverUpn, onRecord } : { kind: change.kind, onRecord: true });
        },
        retract: async () => undefined,
      },
    });
    const request = await raise();
    await two.approve(request.id, ADA, 'first');
    expect(await two.completeElevation(signInFor(ADA, request.id, { apiToken: undefined }))).toMatchObject({ kind: 'recorded', counted: 1, required: 2 });
    expect(changes).toEqual([{ kind: 'approval', counted: 1, required: 2, approverUpn: ADA.upn, onRecord: true }]);
    await two.approve(request.id, GRACE, 'second');
    expect(await two.completeElevation(signInFor(GRACE, request.id))).toMatchObject({ kind: 'executed' });
    // The completing approval is reported by the request's state change, not as "more needed".
    expect(changes).toHaveLength(1);
  });

  it('runs nothing and exchanges nothing when the exchange cannot be audited first', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    failAudit = (e) => e.eventType === 'approval.obo.started';
    events = [];
    expect(await m.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(events.some((e) => e.startsWith('exchange'))).toBe(false);
    expect(h.armCalls).toHaveLength(0);
  });

  it('runs nothing, and discards the token, when the decision cannot be audited after the exchange', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    failAudit = (e) => e.eventType === 'approval.decided';
    expect(await m.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', status: 503, code: 'audit_unavailable' });
    expect(h.armCalls).toHaveLength(0);
    expect((await h.module.store.get(request.id))?.request.state).toBe('pending_elevation');
    const trail = (await auditEntries(h, { requestId: request.id })).map((e) => e.eventType);
    expect(trail).not.toContain('approval.decided');
    expect(trail.at(-1)).toBe('token.discarded');
  });

  it('a failed exchange leaves no "decided: approve": the timeline reads started, then failed (issue 11.7)', async () => {
    const request = await raise();
    exchange = async () => {
      throw new OboExchangeError('consent_required', '65001', undefined);
    };
    await m.approve(request.id, ADA, 'restart it');
    expect(await m.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'obo_problem' });
    const trail = (await auditEntries(h, { requestId: request.id })).map((e) => `${e.eventType}:${e.outcome}`);
    expect(trail.filter((t) => t.startsWith('approval.decided'))).toEqual([]);
    expect(trail.slice(-2)).toEqual(['approval.obo.started:exchanging', 'approval.obo.failed:consent_required']);
    expect(h.armCalls).toHaveLength(0);
  });

  it('discards the exchanged token unused when the approve transition cannot be audited', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    const real = exchange;
    exchange = async (a) => {
      const result = await real(a);
      // The log goes down for the approve (its decision and transition), back for the discard.
      failAudit = (e) => e.eventType !== 'token.discarded';
      return result;
    };
    const out = await m.completeElevation(signInFor(ADA, request.id));
    failAudit = undefined;
    expect(out).toMatchObject({ kind: 'refused', status: 503 });
    expect(h.armCalls).toHaveLength(0);
    expect((await h.module.store.get(request.id))?.request.state).toBe('pending_elevation');
    const discarded = (await auditEntries(h, { requestId: request.id, eventType: 'token.discarded' }))[0];
    expect(discarded?.details).toMatchObject({ used: false, requestState: 'pending_elevation' });
  });

  it('runs nothing, and discards the token unused, when the request expires during the exchange', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    const real = exchange;
    exchange = async (a) => {
      // The exchange (a round trip to Entra, possibly MFA-slow) outlasts the request's deadline.
      h.clock.advance(3600_000 + 1000);
      return real(a);
    };
    const out = await m.completeElevation(signInFor(ADA, request.id));
    expect(out).toMatchObject({ kind: 'refused', status: 409, request: { state: 'expired' } });
    expect(h.armCalls).toHaveLength(0);
    expect((await h.module.store.get(request.id))?.request.state).toBe('expired');
    const transitions = await auditEntries(h, { requestId: request.id, eventType: 'operation.transition' });
    expect(transitions.map((e) => e.outcome)).toEqual(['expired']);
    const discarded = (await auditEntries(h, { requestId: request.id, eventType: 'token.discarded' }))[0];
    expect(discarded?.details).toMatchObject({ used: false, requestState: 'expired' });
  });

  it('sends the approver through sign-in again on interaction_required, up to a bound, then explains', async () => {
    const request = await raise();
    exchange = async () => {
      throw new OboExchangeError('interaction_required', '50079', '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}');
    };
    await m.approve(request.id, ADA, 'restart it');
    for (let round = 2; round <= MAX_SIGN_IN_ROUNDS; round++) {
      const out = await m.completeElevation(signInFor(ADA, request.id));
      expect(out).toMatchObject({ kind: 'sign_in', options: { claims: '{"access_token":{"acrs":{"essential":true,"value":"c1"}}}', prompt: 'login', apiScope: true } });
    }
    const last = await m.completeElevation(signInFor(ADA, request.id));
    expect(last).toMatchObject({ kind: 'obo_problem', code: 'interaction_required' });
    expect((await h.module.store.get(request.id))?.request.state).toBe('pending_elevation');
    expect(h.armCalls).toHaveLength(0);
  });

  it('caps sign-in restarts on the "sign in once more" path too: refused clearly after the bound (issue 11.7)', async () => {
    const request = await raise();
    await m.approve(request.id, ADA, 'restart it');
    // A callback without the delegated token when this approval completes the request asks for another sign-in.
    for (let round = 2; round <= MAX_SIGN_IN_ROUNDS; round++) {
      expect(await m.completeElevation(signInFor(ADA, request.id, { apiToken: undefined }))).toMatchObject({ kind: 'sign_in', options: { apiScope: true } });
    }
    const last = await m.completeElevation(signInFor(ADA, request.id, { apiToken: undefined }));
    expect(last).toMatchObject({ kind: 'refused', status: 409, code: 'too_many_sign_ins' });
    expect(last.kind === 'refused' && last.message).toContain(`${MAX_SIGN_IN_ROUNDS} sign-ins`);
    // the bound holds: no attempt is left to continue, nothing was exchanged or run
    expect(await m.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', code: 'no_attempt' });
    expect(h.armCalls).toHaveLength(0);
    const refusals = (await auditEntries(h, { requestId: request.id, eventType: 'approval.refused' })).map((e) => e.details.code);
    expect(refusals).toContain('too_many_sign_ins');
  });

  it('explains consent problems with the admin-consent page and leaves the request pending', async () => {
    const request = await raise();
    exchange = async () => {
      throw new OboExchangeError('consent_required', '65001', undefined);
    };
    await m.approve(request.id, ADA, 'restart it');
    const out = await m.completeElevation(signInFor(ADA, request.id));
    expect(out).toMatchObject({ kind: 'obo_problem', code: 'consent_required' });
    expect(out.kind === 'obo_problem' && out.adminAction).toContain('https://login.example/tenant/adminconsent?client_id=x');
    expect(out.kind === 'obo_problem' && out.message).toContain('AADSTS65001');
  });

  it('refuses callbacks that are stale, unbound, for another request, or from a personal account; each uses up the attempt', async () => {
    const cases: Array<[Partial<ElevationSignIn> | ((id: string) => Partial<ElevationSignIn>), string]> = [
      [{ authenticatedAt: Math.floor(Date.now() / 1000) - 3600 }, 'stale_sign_in'],
      [{ promptedLogin: false }, 'no_fresh_sign_in'],
      [(id) => ({ boundTo: { kind: 'something-else', requestId: id } }), 'not_bound_to_request'],
      [{ user: user(ADA.oid, { tid: PERSONAL_ACCOUNT_TENANT_ID }) }, 'personal_account'],
      [{ user: user(ADA.oid, { roles: ['standardUser'] }) }, 'not_administrator'],
      [{ apiToken: { oid: GRACE.oid, tid: TENANT, reveal: () => API_TOKEN } }, 'api_token_mismatch'],
    ];
    for (const [override, code] of cases) {
      const request = await raise();
      await m.approve(request.id, ADA, 'restart it');
      const out = await m.completeElevation({ ...signInFor(ADA, request.id), ...(typeof override === 'function' ? override(request.id) : override) });
      expect(out, code).toMatchObject({ kind: 'refused', code });
      // The same, now fresh and correct, sign-in cannot reuse the consumed attempt.
      expect(await m.completeElevation(signInFor(ADA, request.id))).toMatchObject({ kind: 'refused', code: 'no_attempt' });
    }
    expect(h.armCalls).toHaveLength(0);
    expect(await m.completeElevation({ ...signInFor(ADA, 'x'), boundTo: undefined })).toMatchObject({ kind: 'refused', status: 404 });
  });
});

describe('consent and deny', () => {
  it('runs a consent with the agent credential after the audited approve transition', async () => {
    const request = await raise(privileged, { kind: 'chat' });
    expect(request.state).toBe('pending_consent');
    events = [];
    const out = await m.approve(request.id, GRACE, 'ok');
    // The agent's own identity ran: recorded as the agent, never as the UAMI's principal id (read as OBO).
    expect(out).toMatchObject({ kind: 'executed', request: { state: 'succeeded', actingIdentity: `agent:${privileged.id}` } });
    expect(events.indexOf('audit:operation.transition:approved')).toBeLessThan(events.indexOf(`execute:agent:${privileged.id}`));
    expect(credentialSeen).toBe(h.credential);
  });

  it('refuses a personal account or a non-administrator before looking at the request, and audits the refusal', async () => {
    const request = await raise(privileged, { kind: 'chat' });
    expect(await m.approve(request.id, user(ADA.oid, { tid: PERSONAL_ACCOUNT_TENANT_ID }), 'x')).toMatchObject({ kind: 'refused', status: 403, code: 'personal_account' });
    expect(await m.deny(request.id, user(ADA.oid, { roles: ['reader'] }), 'x')).toMatchObject({ kind: 'refused', status: 403, code: 'not_administrator' });
    const refusals = await auditEntries(h, { eventType: 'approval.refused' });
    expect(refusals.map((e) => e.details.code)).toEqual(['personal_account', 'not_administrator']);
    expect((await h.module.store.get(request.id))?.request.state).toBe('pending_consent');
  });

  it('denies with the reason as the request’s state reason; a second decision is refused', async () => {
    const request = await raise();
    expect(await m.deny(request.id, ADA, '  not now \r\n sorry ')).toMatchObject({ kind: 'denied', request: { state: 'denied', stateReason: 'not now \n sorry' } });
    expect(await m.deny(request.id, GRACE, 'again')).toMatchObject({ kind: 'refused', status: 409, code: 'not_pending' });
    expect(await m.approve(request.id, GRACE, 'approve')).toMatchObject({ kind: 'refused', status: 409 });
  });

  it('lists pending requests newest first and counts them; expired ones drop out', async () => {
    const a = await raise();
    h.clock.advance(1000);
    const b = await raise(privileged, { kind: 'chat' });
    expect((await m.listPending()).map((x) => x.request.id).slice(0, 2)).toEqual([b.id, a.id]);
    expect(await m.countPending()).toBe(2);
    await h.db.run('UPDATE operation_requests SET expires_at = ? WHERE id = ?', ['2000-01-01T00:00:00.000Z', a.id]);
    expect(await m.countPending()).toBe(1);
    expect((await m.listPending()).map((x) => x.request.id)).toEqual([b.id]);
  });
});

describe('refusal records', () => {
  it('never records a malformed id from the URL as the subject', async () => {
    const hostile = `x'); DROP TABLE audit_log; --${'y'.repeat(500)}`;
    expect(await m.approve(hostile, user(ADA.oid, { roles: [] }), 'x')).toMatchObject({ kind: 'refused' });
    expect(await m.deny(hostile, user(ADA.oid, { roles: [] }), 'x')).toMatchObject({ kind: 'refused', code: 'not_administrator' });
    const refusals = await auditEntries(h, { eventType: 'approval.refused' });
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.every((e) => e.subject === null)).toBe(true);
  });
});

describe('long-running operations', () => {
  async function lroModule() {
    const policies = policiesWithRunModes(DEFAULT_RUN_MODES);
    let seen: TokenCredential | undefined;
    const mod = createApprovalsModule({
      db: h.db,
      operations: {
        store: h.module.store,
        lifecycle: h.module.lifecycle,
        executor: {
          executeRequest: (id, credential, acting, options) => {
            seen = credential;
            return h.module.executor.executeRequest(id, credential, acting, options);
          },
        },
      },
      agents: { get: async () => reader },
      agentCredential: () => h.credential,
      audit: h.auditLog,
      policies,
      tenantId: TENANT,
      freshAuthSeconds: 300,
      exchange: (a) => exchange(a),
      clock: () => h.clock.now,
      executionWaitMs: 30,
      holdPollMs: 10,
    });
    let done = false;
    h.setArm(() => ({ status: 202, headers: { 'azure-asyncoperation': 'https://arm.test.invalid/operations/op-1?api-version=2024-07-01' } }));
    h.setPoll(() => ({ status: 200, body: { status: done ? 'Succeeded' : 'InProgress' } }));
    return { mod, finish: () => (done = true), credential: () => seen! };
  }

  const discardedEntry = async (id: string) => (await auditEntries(h, { requestId: id, eventType: 'token.discarded' }))[0];

  it('keeps the one-time credential for the executor until ARM finishes, then discards it', async () => {
    const { mod, finish, credential } = await lroModule();
    const request = await raise();
    await mod.approve(request.id, ADA, 'restart it');
    const out = await mod.completeElevation(signInFor(ADA, request.id));
    expect(out).toMatchObject({ kind: 'executed', request: { state: 'executing' } });
    expect((await credential().getToken('x'))?.token).toBe(ARM_TOKEN);
    expect(await discardedEntry(request.id)).toBeUndefined();
    finish();
    await vi.waitFor(async () => expect(await discardedEntry(request.id)).toBeDefined(), { timeout: 10_000, interval: 20 });
    expect((await discardedEntry(request.id))?.details).toMatchObject({ requestState: 'succeeded', used: true, armStatus: 200 });
    await expect(credential().getToken('x')).rejects.toThrow(/discarded/);
    expect((await h.module.store.get(request.id))?.request.state).toBe('succeeded');
    await mod.close();
  });

  it('discards a held credential at shutdown', async () => {
    const { mod, credential } = await lroModule();
    const request = await raise();
    await mod.approve(request.id, ADA, 'restart it');
    await mod.completeElevation(signInFor(ADA, request.id));
    expect((await credential().getToken('x'))?.token).toBe(ARM_TOKEN);
    await mod.close();
    await expect(credential().getToken('x')).rejects.toThrow(/discarded/);
    expect((await discardedEntry(request.id))?.details).toMatchObject({ requestState: 'executing', used: true });
  });
});
