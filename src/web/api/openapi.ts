/**
 * The OpenAPI 3.1 document of the agent API, served at /api/v1/openapi.json. Component schemas
 * are generated from the same zod schemas that validate requests and describe responses, so the
 * document cannot drift from the code; the paths are written out here.
 */
import { z } from 'zod';
import { LIMITS, operationInputSchema } from '../../operations/operation-schema.ts';
import { MAX_WAIT_SECONDS } from '../../operations/operations-service.ts';
import { REQUEST_STATES } from '../../operations/operation-types.ts';
import { apiErrorSchema, decisionSchema, requestPageSchema, requestResourceSchema } from './api-schemas.ts';
import { raiseListSchema, raiseResourceSchema, raiseSubmissionSchema } from './raise-api-schemas.ts';
import { adminOpenApiPaths, adminOpenApiSchemas } from './admin-openapi.ts';
import { MAX_INCIDENT_WAIT_SECONDS } from '../../incidents/incident-api.ts';
import { INCIDENT_STATES } from '../../incidents/incident-state.ts';
import { incidentPageSchema, incidentResourceSchema } from './incident-schemas.ts';

type JsonObject = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonContent = (name: string) => ({ 'application/json': { schema: ref(name) } });
const error = (description: string) => ({ description, content: jsonContent('Error') });

const COMMON_ERRORS = {
  '401': error('No bearer token, or a token that is invalid, expired, or not for this API'),
  '403': error('The token is valid but its identity is not a registered agent'),
  '429': {
    ...error("The agent made more calls this minute than rate-limits.yaml allows it: nothing was done"),
    headers: { 'Retry-After': { description: 'Seconds until the agent may call again', schema: { type: 'integer', minimum: 0 } } },
  },
  '503': {
    ...error('The audit log or the permission state is unavailable: nothing was done'),
    headers: { 'Retry-After': { description: 'Present when Azure Resource Manager throttled the permission read: seconds it asked to wait', schema: { type: 'integer', minimum: 1 } } },
  },
};

function componentSchemas(): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  registry.add(operationInputSchema, { id: 'OperationSubmission' });
  registry.add(decisionSchema, { id: 'Decision' });
  registry.add(requestResourceSchema, { id: 'OperationRequest' });
  registry.add(requestPageSchema, { id: 'OperationRequestPage' });
  registry.add(apiErrorSchema, { id: 'Error' });
  registry.add(raiseSubmissionSchema, { id: 'LevelRaiseSubmission' });
  registry.add(raiseResourceSchema, { id: 'LevelRaise' });
  registry.add(raiseListSchema, { id: 'LevelRaiseList' });
  registry.add(incidentResourceSchema, { id: 'Incident' });
  registry.add(incidentPageSchema, { id: 'IncidentPage' });
  const { schemas } = z.toJSONSchema(registry, { uri: (id) => `#/components/schemas/${id}`, target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });
  const out: Record<string, JsonObject> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    // Inside an OpenAPI document the dialect is the document's, and ids are its component paths.
    const { $schema: _s, $id: _i, ...rest } = schema as JsonObject;
    out[name] = rest;
  }
  const submission = out.OperationSubmission!;
  submission.description = [
    'One ARM operation the agent asks Elevate to perform. Unknown fields are refused.',
    `\`path\` is an ARM resource path inside one of the agent's managed resource groups: no query string, no percent-encoding, no \`..\`, no control characters, at most ${LIMITS.path} characters.`,
    `\`justification\` is required for every method but GET. \`body\` (PUT, PATCH, POST only) is at most ${LIMITS.bodyBytes} bytes serialized and ${LIMITS.bodyDepth} levels deep.`,
    'A repeated `idempotencyKey` from the same agent returns the same request; the same key with a different submission is a 409.',
    '`trigger: { kind: "incident", ref }` ties the operation to an incident from GET /incidents (it must be one in the agent\'s managed resource groups; the run mode for incidents applies).',
    '`query` carries the only query parameter Elevate passes besides api-version: `newState` (New, Acknowledged, Closed) of `POST .../providers/Microsoft.AlertsManagement/alerts/{alertId}/changestate`.',
  ].join(' ');
  // the administrator API (admin-openapi.ts)
  Object.assign(out, adminOpenApiSchemas());
  return out;
}

const idParameter = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 64, pattern: '^[A-Za-z0-9-]+$' } };

export function buildOpenApiDocument(serverUrl = '/api/v1'): JsonObject {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Elevate agent operations API',
      version: '1.0.0',
      description:
        'The SRE agent asks Elevate to perform ARM operations; Elevate decides (guardrails, run mode, the agent identity\'s own permissions), executes, or records a request for an administrator. Authenticate with an Entra access token for Elevate\'s API obtained with the agent\'s managed identity (scope `api://{elevate-client-id}/.default`).',
    },
    servers: [{ url: serverUrl }],
    security: [{ entraBearer: [] }],
    paths: {
      '/operations': {
        post: {
          operationId: 'submitOperation',
          summary: 'Ask Elevate to perform an ARM operation',
          description:
            'Runs the decision pipeline. `execute`: Elevate calls ARM with the agent\'s identity and the request carries ARM\'s status and body (state `succeeded`, `failed`, or `executing` for a long-running operation still in progress). `pending_consent` / `pending_elevation`: the request waits for an administrator. Guardrail hits and writes in ReadOnly runs are refused with 403 and store nothing. Content rules (guardrails over the request body, path and method) either refuse the same way or hold the request for an administrator (`reasonCode: content_rule`, `contentRules`, `approversRequired`); the decision names each rule, the CEL condition that matched and a Microsoft doc on the risk.',
          requestBody: { required: true, content: jsonContent('OperationSubmission') },
          responses: {
            '201': { description: 'Request created', headers: { Location: { schema: { type: 'string' } } }, content: jsonContent('OperationRequest') },
            '200': { description: 'The request already created under this idempotencyKey', content: jsonContent('OperationRequest') },
            '400': error('Invalid submission (field-level messages in `fields`) or malformed JSON'),
            ...COMMON_ERRORS,
            '403': error('Not a registered agent, or forbidden by a guardrail or the run mode (`decision` says which)'),
            '409': error('The idempotencyKey was used for a different submission'),
            '413': error('Request body too large'),
            '415': error('Content-Type is not application/json'),
          },
        },
        get: {
          operationId: 'listOperations',
          summary: "The agent's own requests, newest first",
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
            { name: 'cursor', in: 'query', schema: { type: 'string', maxLength: 200 } },
            { name: 'state', in: 'query', schema: { type: 'string', enum: [...REQUEST_STATES] } },
          ],
          responses: { '200': { description: 'A page of requests', content: jsonContent('OperationRequestPage') }, '400': error('Invalid query'), ...COMMON_ERRORS },
        },
      },
      '/operations/{id}': {
        get: {
          operationId: 'getOperation',
          summary: 'One of the agent\'s requests',
          parameters: [
            idParameter,
            {
              name: 'wait',
              in: 'query',
              description: `Long-poll: wait up to this many seconds for the state to change (answers at once when it does, or when the request is final)`,
              schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
            },
          ],
          responses: {
            '200': { description: 'The request', content: jsonContent('OperationRequest') },
            '400': error('Invalid wait'),
            '404': error('No such request among the agent\'s own'),
            ...COMMON_ERRORS,
            '429': { ...COMMON_ERRORS['429'], description: 'Too many long-polls in progress, or the agent is over its rate limit; retry after Retry-After (or shortly)' },
          },
        },
      },
      '/operations/{id}/cancel': {
        post: {
          operationId: 'cancelOperation',
          summary: 'Withdraw a request that has not started executing',
          parameters: [idParameter],
          responses: {
            '200': { description: 'The cancelled request', content: jsonContent('OperationRequest') },
            '404': error('No such request among the agent\'s own'),
            '409': error('The request can no longer be cancelled'),
            ...COMMON_ERRORS,
          },
        },
      },
      '/incidents': {
        get: {
          operationId: 'listIncidents',
          summary: "The agent's incidents (Azure Monitor alerts on its resource groups), oldest first after a cursor",
          description:
            'Keep `nextCursor` and pass it back as `cursor` to see only newer incidents. With `wait`, an empty answer is held until a new incident arrives for the agent or the seconds pass (long-poll).',
          parameters: [
            { name: 'cursor', in: 'query', schema: { type: 'string', maxLength: 200 } },
            { name: 'state', in: 'query', schema: { type: 'string', enum: [...INCIDENT_STATES] } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200, default: 50 } },
            { name: 'wait', in: 'query', description: 'Long-poll: wait up to this many seconds for a new incident when there is none', schema: { type: 'integer', minimum: 0, maximum: MAX_INCIDENT_WAIT_SECONDS } },
          ],
          responses: {
            '200': { description: 'A page of incidents', content: jsonContent('IncidentPage') },
            '400': error('Invalid query'),
            ...COMMON_ERRORS,
            '429': { ...COMMON_ERRORS['429'], description: 'Too many long-polls in progress, or the agent is over its rate limit' },
          },
        },
      },
      '/incidents/{id}': {
        get: {
          operationId: 'getIncident',
          summary: 'One incident in the agent\'s resource groups',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 64 } }],
          responses: { '200': { description: 'The incident', content: jsonContent('Incident') }, '404': error('No such incident in the agent\'s resource groups'), ...COMMON_ERRORS },
        },
      },
      '/decisions': {
        post: {
          operationId: 'decideOperation',
          summary: 'What Elevate would decide for an operation, without creating a request or calling ARM',
          requestBody: { required: true, content: jsonContent('OperationSubmission') },
          responses: {
            '200': { description: 'The decision', content: jsonContent('Decision') },
            '400': error('Invalid submission or malformed JSON'),
            ...COMMON_ERRORS,
            '413': error('Request body too large'),
            '415': error('Content-Type is not application/json'),
          },
        },
      },
      '/level-raises': {
        post: {
          operationId: 'requestLevelRaise',
          summary: 'Ask for a time-bound level raise on some of the agent\'s resource groups',
          description:
            'Stored as `pending` until an administrator approves it (approvals.yaml `levelRaise`). On approval Elevate grants the extra role assignments for the window: as PIM time-bound assignments that Azure itself removes at the end where the tenant allows it, otherwise as plain assignments Elevate removes. Run-mode ceilings and guardrails still apply during the window.',
          requestBody: { required: true, content: jsonContent('LevelRaiseSubmission') },
          responses: {
            '201': { description: 'Raise requested', headers: { Location: { schema: { type: 'string' } } }, content: jsonContent('LevelRaise') },
            '400': error('Refused: beyond the policy cap, a group the agent does not manage, not a raise, or malformed (`code` says which)'),
            '409': error('The agent already has an open raise on one of these groups'),
            '415': error('Content-Type is not application/json'),
            ...COMMON_ERRORS,
          },
        },
        get: {
          operationId: 'listLevelRaises',
          summary: "The agent's own raises, newest first",
          responses: { '200': { description: 'Raises', content: jsonContent('LevelRaiseList') }, ...COMMON_ERRORS },
        },
      },
      '/level-raises/{id}': {
        get: {
          operationId: 'getLevelRaise',
          summary: "One of the agent's raises, with its window and state",
          parameters: [idParameter],
          responses: { '200': { description: 'The raise', content: jsonContent('LevelRaise') }, '404': error("No such raise among the agent's own"), ...COMMON_ERRORS },
        },
      },
      '/level-raises/{id}/hand-back': {
        post: {
          operationId: 'handBackLevelRaise',
          summary: 'Hand a raise back when done: its role assignments are removed now and checked gone',
          parameters: [idParameter],
          responses: {
            '200': { description: 'The raise, `ended` (or `revoking` while a removal is retried)', content: jsonContent('LevelRaise') },
            '404': error("No such raise among the agent's own"),
            '409': error('The raise is not active (still pending, denied, ...)'),
            ...COMMON_ERRORS,
          },
        },
      },
      // the administrator API: `elevate requests` and scripts, with a person's delegated token
      ...adminOpenApiPaths(),
    },
    components: {
      securitySchemes: {
        entraBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Entra access token for Elevate\'s API (audience: Elevate\'s app id or App ID URI)' },
      },
      schemas: componentSchemas(),
    },
  };
}
