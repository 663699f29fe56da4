/**
 * The agent API's types under readable names, all taken from the generated OpenAPI types
 * (generated/openapi-types.ts), so the client speaks exactly what the document says.
 */
import type { components, operations } from './generated/openapi-types.ts';

type Schemas = components['schemas'];

/** What the agent asks Elevate to do (POST /operations and /decisions). */
export type OperationSubmission = Schemas['OperationSubmission'];
/** The same, with the idempotency key optional: the client makes one when it is absent. */
export type OperationInput = Omit<OperationSubmission, 'idempotencyKey'> & { idempotencyKey?: string };
export type Decision = Schemas['Decision'];
export type OperationRequest = Schemas['OperationRequest'];
export type OperationRequestPage = Schemas['OperationRequestPage'];
export type ApiErrorBody = Schemas['Error']['error'];
export type RequestState = OperationRequest['state'];
export type ListQuery = NonNullable<operations['listOperations']['parameters']['query']>;
