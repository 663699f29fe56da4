/** What ARM answered to one request sent through the pipeline client (arm-pipeline-client.ts). */
export interface ArmResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
  correlationId: string;
  /** ARM's x-ms-request-id, for support cases and audit. */
  requestId: string | undefined;
}
