/**
 * The port inside the service: the operations service's use cases bound to the agent that the
 * bearer token proved (never to anything in a tool's arguments). The MCP endpoint thus decides,
 * audits and refuses through exactly the code the HTTP API uses.
 */
import type { Decision, OperationRequest, OperationRequestPage } from '../client/api-types.ts';
import type { ElevateResult } from '../client/client-errors.ts';
import { waitForRequest } from '../client/wait-for-request.ts';
import type { OperationsService, ServiceResult } from '../operations/operations-service.ts';
import type { Agent } from '../operations/operation-types.ts';
import type { ElevatePort } from './elevate-port.ts';

/** The service's result as the client's: the same JSON the API would have rendered. */
function asResult<T>(r: ServiceResult<unknown>): ElevateResult<T> {
  if (r.ok) return { ok: true, status: r.status, value: JSON.parse(JSON.stringify(r.value)) as T };
  const e = JSON.parse(JSON.stringify(r.error)) as { code: string; message: string; fields?: never; decision?: never };
  return { ok: false, error: { status: r.status, ...e } };
}

export function operationsServicePort(service: OperationsService, agent: Agent, elevateUrl: string): ElevatePort {
  const base = elevateUrl.replace(/\/+$/, '');
  return {
    decide: async (s) => asResult<Decision>(await service.decide(agent, s)),
    submit: async (s) => asResult<OperationRequest>(await service.submit(agent, s)),
    wait: (id, o) => waitForRequest(async (rid, waitSeconds, signal) => asResult<OperationRequest>(await service.get(agent, rid, String(waitSeconds), signal)), id, o),
    list: async (q) =>
      asResult<OperationRequestPage>(await service.list(agent, { limit: q.limit === undefined ? undefined : String(q.limit), cursor: q.cursor, state: q.state })),
    cancel: async (id) => asResult<OperationRequest>(await service.cancel(agent, id)),
    approvalPageUrl: (id) => `${base}/approvals/${encodeURIComponent(id)}`,
  };
}
