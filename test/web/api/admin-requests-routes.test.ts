/**
 * The administrator API router on its own (HTTP in, one use case call, result out): the decision
 * rate limit per administrator, how the fresh token reaches the elevation use case (for that
 * one call, as an object that refuses to be serialised), and how a claims challenge from Entra is
 * relayed (401 insufficient_claims) while other sign-in answers stay a 202. The use cases are
 * recording fakes here; the real ones run in admin-requests-api.test.ts.
 */
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import type { ApiElevationInput } from '../../../src/approvals/api-elevation-approval.ts';
import type { DecisionResult } from '../../../src/approvals/decision-results.ts';
import type { OperationRequest } from '../../../src/operations/operation-types.ts';
import type { AdminAuthenticator } from '../../../src/web/api/admin-authentication.ts';
import { adminBodyErrorHandler, adminRequestsRouter } from '../../../src/web/api/admin-requests-routes.ts';
import { readClaimsChallenge } from '../../../src/web/api/claims-challenge-header.ts';
import { fakeJwt } from '../../support/fake-jwt.ts';

const OID = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';
const request0 = { id: 'r1', state: 'denied', stateReason: 'no', operationHash: 'a'.repeat(64) } as unknown as OperationRequest;

const TENANT = '11111111-2222-3333-4444-555555555555';
const AUTHORIZE = `https://login.example/${TENANT}/oauth2/v2.0/authorize`;
const refusedNoAttempt: DecisionResult = { kind: 'refused', status: 409, code: 'no_attempt', message: 'none' };

function app(token: string, calls: { deny: number; elevation: ApiElevationInput[] }, elevationResult: DecisionResult = refusedNoAttempt) {
  const authenticate = (async () => ({
    ok: true,
    token,
    user: { oid: OID, tid: 't', upn: 'ada', name: 'Ada', roles: ['administrator'], authTime: null, signedInAt: 0 },
    claims: { oid: OID, tid: 't', scopes: ['user_impersonation'], expiresAt: new Date(Date.now() + 3600_000), issuedAt: 5, authTime: undefined },
  })) as unknown as AdminAuthenticator;
  const a = express();
  a.use(express.json());
  a.use(
    '/api/v1/requests',
    adminBodyErrorHandler as unknown as express.RequestHandler,
    adminRequestsRouter({
      authenticate,
      decisionLimit: { limit: 2, windowMs: 60_000 },
      approvals: {
        listPending: async () => [],
        overview: async () => undefined,
        approve: async () => ({ kind: 'refused', status: 409, code: 'not_pending', message: 'no' }),
        deny: async () => {
          calls.deny += 1;
          return { kind: 'denied', request: request0 };
        },
        completeElevationFromApi: async (input) => {
          calls.elevation.push(input);
          return elevationResult;
        },
        openAttempt: async () => ({ requestId: 'r1', approverOid: OID, approverUpn: 'ada', reason: 'ok', rounds: 2, createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T00:10:00.000Z' }),
      },
      claimsChallenge: { realm: TENANT, authorizationUri: AUTHORIZE },
    }),
  );
  return a;
}

describe('administrator API router', () => {
  it('limits decisions per administrator: the third in a minute is a 429 that reaches no use case', async () => {
    const calls = { deny: 0, elevation: [] as ApiElevationInput[] };
    const a = app(fakeJwt({ sub: 'x' }), calls);
    for (let i = 0; i < 2; i++) await request(a).post('/api/v1/requests/r1/deny').send({ reason: 'no' }).expect(200);
    const third = await request(a).post('/api/v1/requests/r1/deny').send({ reason: 'no' }).expect(429);
    expect(third.body.error.code).toBe('rate_limited');
    expect(calls.deny).toBe(2);
    // reads are not limited
    await request(a).get('/api/v1/requests').expect(200);
  });

  it('hands the fresh token to the elevation use case once, as an object that never serialises the token', async () => {
    const token = fakeJwt({ sub: 'fresh' });
    const calls = { deny: 0, elevation: [] as ApiElevationInput[] };
    const res = await request(app(token, calls)).post('/api/v1/requests/r1/approve/elevation').send({ operationHash: 'a'.repeat(64) }).expect(409);
    expect(res.text).not.toContain(token);
    const input = calls.elevation[0]!;
    expect(input).toMatchObject({ requestId: 'r1', issuedAt: 5, operationHash: 'a'.repeat(64) });
    expect(input.token.reveal()).toBe(token);
    expect(JSON.stringify(input)).not.toContain(token);
    expect(String(input.token)).toBe('[delegated-api-token]');
  });

  it('answers malformed JSON with 400 and an unknown route with 404', async () => {
    const calls = { deny: 0, elevation: [] as ApiElevationInput[] };
    const a = app(fakeJwt({ sub: 'x' }), calls);
    await request(a).post('/api/v1/requests/r1/deny').set('content-type', 'application/json').send('{"reason":').expect(400);
    await request(a).get('/api/v1/requests/r1/other').expect(404);
    expect(calls.deny).toBe(0);
  });

  describe('a sign-in asked for by the elevation use case', () => {
    const CLAIMS = JSON.stringify({ access_token: { capolids: { essential: true, values: ['8a1b2c3d-0000-4000-8000-000000000001'] } } });
    const signIn = (claims: string | undefined): DecisionResult => ({
      kind: 'sign_in',
      request: request0,
      options: { prompt: 'login', boundTo: { kind: 'approval', requestId: 'r1' }, apiScope: true, ...(claims !== undefined ? { claims } : {}) },
      message: 'Entra asks you to sign in again before Elevate can act for you: MFA (AADSTS50076).',
    });
    const post = (result: DecisionResult) =>
      request(app(fakeJwt({ sub: 'fresh' }), { deny: 0, elevation: [] }, result)).post('/api/v1/requests/r1/approve/elevation').send({ operationHash: 'a'.repeat(64) });

    it("relays Entra's claims challenge as a 401 insufficient_claims with the claims in WWW-Authenticate, and the attempt in the body", async () => {
      const res = await post(signIn(CLAIMS)).expect(401);
      const header = res.headers['www-authenticate'] as string;
      expect(header).toBe(`Bearer realm="${TENANT}", authorization_uri="${AUTHORIZE}", error="insufficient_claims", claims="${Buffer.from(CLAIMS).toString('base64')}"`);
      expect(readClaimsChallenge(header)).toEqual({ ok: true, claims: CLAIMS });
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.body).toEqual({
        error: { code: 'insufficient_claims', message: expect.stringContaining('AADSTS50076') },
        requestId: 'r1',
        operationHash: 'a'.repeat(64),
        attempt: { startedAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-01T00:10:00.000Z' },
      });
    });

    it('keeps a sign-in without claims (an expired token) the 202 it was, and relays no claims it cannot vouch for', async () => {
      for (const claims of [undefined, '{not json', '["access_token"]', JSON.stringify({ access_token: { capolids: { values: ['x'.repeat(5000)] } } }), JSON.stringify({ evil: {} })]) {
        const res = await post(signIn(claims)).expect(202);
        expect(res.headers['www-authenticate']).toBeUndefined();
        expect(res.body).toMatchObject({ outcome: 'fresh_sign_in_required', requestId: 'r1' });
      }
    });
  });
});
