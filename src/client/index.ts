/**
 * `elevate/client`: the typed client of Elevate's agent API (see README, "Connect an AI agent").
 */
export { createElevateClient, type ElevateClient, type ElevateClientOptions, type CallOptions } from './elevate-client.ts';
export type { ApiErrorCode, ClientErrorCode, ElevateError, ElevateResult } from './client-errors.ts';
export type { Decision, ListQuery, OperationInput, OperationRequest, OperationRequestPage, OperationSubmission, RequestState } from './api-types.ts';
export { FINAL_STATES, WAITING_STATES, isFinalState } from './request-states.ts';
export { waitForRequest, type WaitOptions } from './wait-for-request.ts';
export type { components, operations, paths } from './generated/openapi-types.ts';
