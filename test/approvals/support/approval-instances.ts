/**
 * Approvals as several instances of Elevate on one database see them: each instance its own
 * approvals module (so its own per-request lock), all sharing the operations store, lifecycle and
 * executor over the operations harness (fake ARM, real store on either adapter, real audit log).
 * One module's lock serialises decisions on a request; across instances only the store's
 * compare-and-set decides, which is what the race tests need to reach. The on-behalf-of exchange
 * is a stub each test can hold or interleave with.
 */
import type { ApprovalsModuleDeps } from '../../../src/approvals/approvals-module.ts';
import { createApprovalsModule, type ApprovalsModule } from '../../../src/approvals/approvals-module.ts';
import type { ElevationSignIn } from '../../../src/approvals/elevation-approval.ts';
import type { OboExchangeResult } from '../../../src/azure/obo-exchange.ts';
import type { OperationRequest } from '../../../src/operations/operation-types.ts';
import type { SessionUser } from '../../../src/sessions/session-data.ts';
import { makeAgent, policiesWithRunModes, PRIVILEGED_PRINCIPAL, RESTART } from '../../operations/support/operation-fixtures.ts';
import { auditEntries, DEFAULT_RUN_MODES, type Harness } from '../../operations/support/operations-harness.ts';
import { fakeJwt } from '../../support/fake-jwt.ts';

export const TENANT = '9f000000-0000-4000-8000-000000000001';
/** The operations harness's clock starts here (epoch seconds). */
export const HARNESS_NOW = Date.parse('2025-06-01T10:00:00.000Z') / 1000;
export const API_TOKEN = fakeJwt({ aud: 'elevate' }, 'api-token-signature-api-token-sig');
const ARM_TOKEN = fakeJwt({ uti: 'uti-1' }, 'sig-sig-sig-sig-sig-sig-sig-sig');

export const reader = makeAgent();
export const privileged = makeAgent({ id: 'agent-privileged', uamiPrincipalId: PRIVILEGED_PRINCIPAL, level: 'Privileged' });

export const user = (oid: string): SessionUser => ({
  oid,
  tid: TENANT,
  upn: `${oid.slice(0, 4)}@contoso.example`,
  name: oid,
  roles: ['administrator'],
  authTime: HARNESS_NOW - 5,
  signedInAt: HARNESS_NOW - 5,
});
export const ADA = user('0a0a0a0a-0000-4000-8000-00000000000a');
export const GRACE = user('0b0b0b0b-0000-4000-8000-00000000000b');

/** What a successful exchange answers. */
export const armToken = (): OboExchangeResult => ({ accessToken: ARM_TOKEN, expiresOn: new Date(Date.now() + 3600_000), uti: 'uti-1', scopes: ['https://management.azure.com/user_impersonation'] });

/** The callback of a fresh, correct sign-in bound to the request (`apiToken: undefined`: one that did not ask for it). */
export const signInFor = (u: SessionUser, requestId: string, overrides: Partial<ElevationSignIn> = {}): ElevationSignIn => ({
  user: u,
  boundTo: { kind: 'approval', requestId },
  promptedLogin: true,
  authenticatedDuringFlow: true,
  authenticatedAt: u.authTime,
  authenticationSource: 'auth_time',
  apiToken: { oid: u.oid, tid: u.tid, reveal: () => API_TOKEN },
  ...overrides,
});

/** One instance's approvals module over the harness; `overrides` replace parts of its wiring. */
export function approvalsInstance(h: Harness, overrides: Partial<Pick<ApprovalsModuleDeps, 'exchange' | 'agents' | 'operations' | 'db' | 'audit' | 'policies'>> = {}): ApprovalsModule {
  return createApprovalsModule({
    db: h.db,
    operations: { store: h.module.store, lifecycle: h.module.lifecycle, executor: h.module.executor },
    agents: { get: async (id) => [reader, privileged].find((a) => a.id === id) },
    agentCredential: () => h.credential,
    // The harness's sink: setAuditFailing fails an entry whichever part of Elevate appends it.
    audit: { append: (e) => h.audit.append(e), list: (f, p) => h.auditLog.list(f, p) },
    policies: policiesWithRunModes(DEFAULT_RUN_MODES),
    tenantId: TENANT,
    freshAuthSeconds: 300,
    exchange: async () => armToken(),
    executionWaitMs: 2000,
    clock: () => h.clock.now,
    ...overrides,
  });
}

/** The repository's policies, with two distinct administrators required for elevations and consents. */
export function twoApproversPolicies(): ApprovalsModuleDeps['policies'] {
  const policies = policiesWithRunModes(DEFAULT_RUN_MODES);
  return {
    ...policies,
    approvals: { ...policies.approvals, elevation: { ...policies.approvals.elevation, approversRequired: 2 }, consent: { ...policies.approvals.consent, approversRequired: 2 } },
  };
}

/** The agent raises a write: `reader` waits for an elevation, `privileged` in chat for consent. */
export async function raise(h: Harness, agent = reader, trigger: Record<string, string> = { kind: 'incident' }): Promise<OperationRequest> {
  const res = await h.module.service.submit(agent, { method: 'POST', path: RESTART, apiVersion: '2024-03-01', justification: 'revision unhealthy', trigger, idempotencyKey: crypto.randomUUID() });
  if (!res.ok) throw new Error(JSON.stringify(res.error));
  return res.value;
}

/** Resolves once `parties` callers have arrived: each waits for all of them (both racers past their reads). */
export function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const all = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived === parties) open();
    return all;
  };
}

/** What the audit log holds for the request, by kind. */
export async function recordOf(h: Harness, requestId: string) {
  const entries = await auditEntries(h, { requestId });
  const of = (type: string) => entries.filter((e) => e.eventType === type);
  return {
    decided: of('approval.decided'),
    refused: of('approval.refused'),
    transitions: of('operation.transition').map((e) => e.outcome),
    discarded: of('token.discarded'),
    armRequests: of('arm.request'),
  };
}
