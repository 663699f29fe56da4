/**
 * What the MCP tools need from Elevate: the agent API's use cases, already bound to one agent
 * identity. Over stdio the typed client is the port (the agent's credential, through the HTTP
 * API); inside the service an adapter binds the operations service to the agent the bearer token
 * proved (operations-service-port.ts). Either way the decisions are the API's: the tools add none.
 * Submissions are passed on as the model sent them: the API validates (and audits refusals of)
 * exactly what arrived.
 */
import type { ElevateResult } from '../client/client-errors.ts';
import type { Decision, OperationRequest, OperationRequestPage, RequestState } from '../client/api-types.ts';
import type { WaitOptions } from '../client/wait-for-request.ts';

export interface ElevatePort {
  decide(submission: Record<string, unknown>, options: { signal?: AbortSignal | undefined }): Promise<ElevateResult<Decision>>;
  submit(submission: Record<string, unknown>, options: { signal?: AbortSignal | undefined }): Promise<ElevateResult<OperationRequest>>;
  wait(id: string, options: WaitOptions): Promise<ElevateResult<OperationRequest>>;
  list(query: { limit?: number | undefined; cursor?: string | undefined; state?: RequestState | undefined }, options: { signal?: AbortSignal | undefined }): Promise<ElevateResult<OperationRequestPage>>;
  cancel(id: string, options: { signal?: AbortSignal | undefined }): Promise<ElevateResult<OperationRequest>>;
  /** The page an administrator opens to approve or deny the request. */
  approvalPageUrl(id: string): string;
}
