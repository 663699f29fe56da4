import { errorResult, requestView, toolResult } from '../tool-results.ts';
import { waitToolInput } from '../tool-schemas.ts';
import { argumentRefusal } from './argument-refusal.ts';
import { DEFAULT_RUN_WAIT_SECONDS } from './elevate-run-operation.ts';
import type { ToolDefinition } from './tool-definition.ts';

export const elevateWait: ToolDefinition = {
  name: 'elevate_wait',
  title: 'Keep waiting on a request',
  description: [
    'Waits up to waitSeconds (default 30) for one of your Elevate requests to finish, and answers with its state.',
    'Use it after elevate_run_operation answered "waiting_for_approval" or "executing". Same outcomes as elevate_run_operation; "waiting_for_approval" again means no administrator has decided yet, "denied" or "expired" means it will not run.',
  ].join(' '),
  input: waitToolInput,
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, { port, signal }) {
    const parsed = waitToolInput.safeParse(args);
    if (!parsed.success) return argumentRefusal(parsed.error);
    const waited = await port.wait(parsed.data.requestId, { timeoutSeconds: parsed.data.waitSeconds ?? DEFAULT_RUN_WAIT_SECONDS, signal });
    return waited.ok ? toolResult(requestView(waited.value, port.approvalPageUrl)) : errorResult(waited.error);
  },
};
