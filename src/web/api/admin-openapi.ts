/**
 * The administrator API's part of the OpenAPI document (/api/v1/requests): paths and response
 * schemas, merged into openapi.ts. The shapes are those of admin-request-view.ts.
 */
type JsonObject = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ 'application/json': { schema: ref(name) } });
const error = (description: string) => ({ description, content: json('Error') });
const nullable = (schema: JsonObject) => ({ anyOf: [schema, { type: 'null' }] });
const str = { type: 'string' };

const ADMIN_ERRORS = {
  '401': error('No bearer token, or a token that is invalid, expired, or not for this API'),
  '403': error('Not a delegated token with user_impersonation, not a member account of the tenant (personal Microsoft account, guest), or not an SRE Agent Administrator: nothing was done'),
  '404': error('No such request'),
  '503': error('The audit log or the tenant signing keys are unavailable: nothing was done'),
};
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } };
const reasonBody = (required: boolean) => ({
  required: true,
  content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string', maxLength: 1000 } }, ...(required ? { required: ['reason'] } : {}) } } },
});
const adminSecurity = [{ entraBearer: [] }];

export function adminOpenApiPaths(): Record<string, JsonObject> {
  return {
    '/requests': {
      get: {
        operationId: 'listPendingRequests',
        tags: ['administrators'],
        summary: 'Pending requests (administrators)',
        description: "An SRE Agent Administrator's delegated token (app role in `roles`, scope `user_impersonation`), e.g. from `elevate requests` (device code flow).",
        security: adminSecurity,
        responses: { '200': { description: 'Pending requests, oldest first', content: json('AdminRequestPage') }, ...ADMIN_ERRORS },
      },
    },
    '/requests/{id}': {
      get: {
        operationId: 'showRequest',
        tags: ['administrators'],
        summary: 'One request with its exact operation, approvals and history (administrators)',
        security: adminSecurity,
        parameters: [id],
        responses: { '200': { description: 'The request', content: json('AdminRequestDetail') }, ...ADMIN_ERRORS },
      },
    },
    '/requests/{id}/approve': {
      post: {
        operationId: 'approveRequest',
        tags: ['administrators'],
        summary: 'Approve: a consent runs now; an elevation opens a single-use attempt and asks for a fresh sign-in',
        description:
          'For an elevation the answer is 202 `fresh_sign_in_required`: sign in again (a new device code flow), then POST the new token to `/requests/{id}/approve/elevation` within the attempt.',
        security: adminSecurity,
        parameters: [id],
        requestBody: reasonBody(false),
        responses: {
          '200': { description: 'Approved and executed, or the approval recorded (more approvers needed)', content: json('AdminDecision') },
          '202': { description: 'An elevation: a fresh sign-in bound to this request is required', content: json('FreshSignInRequired') },
          '400': error('Missing or too long reason, or malformed JSON'),
          ...ADMIN_ERRORS,
          '409': error('Not pending, already approved by you, or changed concurrently'),
          '415': error('Content-Type is not application/json'),
        },
      },
    },
    '/requests/{id}/approve/elevation': {
      post: {
        operationId: 'completeElevationApproval',
        tags: ['administrators'],
        summary: "Complete an elevation with the FRESH token (bearer) of a sign-in made inside the attempt",
        description:
          "The bearer token must be minted after the attempt began (its `iat`, and `auth_time` when the app registration sends it), for the approver who opened it; the attempt is used up by this call whatever its outcome. `operationHash` is the request's, as shown. Then one on-behalf-of exchange, one execution, and the token is discarded.",
        security: adminSecurity,
        parameters: [id],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', properties: { operationHash: { type: 'string', pattern: '^[0-9a-f]{64}$' } }, required: ['operationHash'] } } },
        },
        responses: {
          '200': { description: 'Approved and executed (or the approval recorded)', content: json('AdminDecision') },
          '202': { description: 'Entra asks for another sign-in (an expired token): a new attempt is open, nothing ran', content: json('FreshSignInRequired') },
          ...ADMIN_ERRORS,
          '401': {
            description:
              "No bearer token, or one that is invalid, expired, or not for this API (`Error`); or Entra's claims challenge at the on-behalf-of exchange (Conditional Access: MFA, an authentication context), relayed as https://learn.microsoft.com/entra/identity-platform/claims-challenge describes (`ClaimsChallenge`): a new attempt is open and nothing ran. Sign in again passing the decoded `claims` (MSAL: the request's `claims`), then post that token here within the attempt.",
            headers: {
              'WWW-Authenticate': {
                description: 'For a claims challenge: `Bearer realm="<tenant id>", authorization_uri="<authorize endpoint>", error="insufficient_claims", claims="<base64 of the claims request JSON>"`',
                schema: { type: 'string' },
              },
            },
            content: json('ElevationUnauthorized'),
          },
          '403': error('Not fresh (minted before the attempt), another account, or not an administrator: nothing ran'),
          '409': error('No open attempt (used, expired, never started), the operation hash differs, or Entra refused the exchange: nothing ran'),
          '415': error('Content-Type is not application/json'),
        },
      },
    },
    '/requests/{id}/deny': {
      post: {
        operationId: 'denyRequest',
        tags: ['administrators'],
        summary: 'Deny with a reason the agent reads (administrators)',
        security: adminSecurity,
        parameters: [id],
        requestBody: reasonBody(true),
        responses: {
          '200': { description: 'Denied', content: json('AdminDecision') },
          '400': error('Missing or too long reason, or malformed JSON'),
          ...ADMIN_ERRORS,
          '409': error('Not pending, or changed concurrently'),
          '415': error('Content-Type is not application/json'),
        },
      },
    },
  };
}

const summaryProperties = {
  id: str,
  state: str,
  kind: nullable({ type: 'string', enum: ['consent', 'elevation'] }),
  agent: { type: 'object', properties: { id: str, name: nullable(str) }, required: ['id', 'name'] },
  operation: { type: 'object', properties: { method: str, path: str, apiVersion: str, body: {} }, required: ['method', 'path', 'apiVersion'] },
  action: str,
  scope: str,
  justification: nullable({ type: 'string', description: 'written by the agent: untrusted text' }),
  requestedBy: nullable({ type: 'string', description: 'as the agent says' }),
  createdAt: str,
  expiresAt: nullable(str),
};

export function adminOpenApiSchemas(): Record<string, JsonObject> {
  return {
    AdminRequestSummary: { type: 'object', properties: summaryProperties, required: Object.keys(summaryProperties) },
    AdminRequestPage: { type: 'object', properties: { items: { type: 'array', items: ref('AdminRequestSummary') } }, required: ['items'] },
    AdminRequestDetail: {
      type: 'object',
      properties: {
        ...summaryProperties,
        operationHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        decision: { type: 'object', properties: { outcome: str, reasonCode: str, explanation: str } },
        trigger: { type: 'object' },
        requester: nullable({ type: 'object' }),
        approvals: { type: 'array', items: { type: 'object', properties: { approverOid: str, approverUpn: str, at: str }, required: ['approverOid', 'approverUpn', 'at'] } },
        required: nullable({ type: 'integer' }),
        stateReason: nullable(str),
        actingIdentity: nullable(str),
        arm: nullable({ type: 'object', properties: { status: { type: 'integer' }, correlationId: nullable(str) } }),
        history: { type: 'array', items: { type: 'object', properties: { seq: { type: 'integer' }, at: str, eventType: str, outcome: nullable(str), actor: str }, required: ['seq', 'at', 'eventType'] } },
      },
      required: [...Object.keys(summaryProperties), 'operationHash', 'approvals', 'history'],
    },
    AdminDecision: {
      type: 'object',
      properties: {
        outcome: { type: 'string', enum: ['executed', 'recorded', 'denied'] },
        requestId: str,
        state: str,
        counted: { type: 'integer' },
        required: { type: 'integer' },
        reason: nullable(str),
        arm: nullable({ type: 'object', properties: { status: { type: 'integer' }, correlationId: nullable(str) } }),
      },
      required: ['outcome', 'requestId', 'state'],
    },
    ClaimsChallenge: {
      type: 'object',
      description: "Entra's claims challenge, relayed: the claims are in WWW-Authenticate; the request is still pending and nothing ran.",
      properties: {
        error: { type: 'object', properties: { code: { const: 'insufficient_claims' }, message: str }, required: ['code', 'message'] },
        requestId: str,
        operationHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        attempt: nullable({ type: 'object', properties: { startedAt: str, expiresAt: str }, required: ['startedAt', 'expiresAt'] }),
      },
      required: ['error', 'requestId', 'operationHash', 'attempt'],
    },
    ElevationUnauthorized: { anyOf: [ref('ClaimsChallenge'), ref('Error')] },
    FreshSignInRequired: {
      type: 'object',
      properties: {
        outcome: { const: 'fresh_sign_in_required' },
        message: str,
        requestId: str,
        operationHash: { type: 'string', pattern: '^[0-9a-f]{64}$' },
        attempt: nullable({ type: 'object', properties: { startedAt: str, expiresAt: str }, required: ['startedAt', 'expiresAt'] }),
      },
      required: ['outcome', 'requestId', 'operationHash', 'attempt'],
    },
  };
}
